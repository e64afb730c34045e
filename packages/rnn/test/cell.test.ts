// The generic state helpers: they work on any state record (nested records and arrays of tensors).
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, tensor } from '@unroll/autograd';
import { detachState, mapState, selectStateRows, stateTensors, whereState, zipState } from '@unroll/rnn';
import { expectClose, rand } from './helpers.js';

describe('state helpers', () => {
  const g = new RandomGenerator(61);
  const state = {
    layers: [{ h: rand([3, 2], g, { requiresGrad: true }) }, { h: rand([3, 2], g), c: rand([3, 2, 2], g) }],
    step: 7,
  };

  it('mapState rebuilds records and arrays, keeps other values, and names paths', () => {
    const paths: string[] = [];
    const doubled = mapState(state, (t, p) => { paths.push(p); return t.mul(2); });
    expect(paths).toEqual(['state.layers[0].h', 'state.layers[1].h', 'state.layers[1].c']);
    expect(doubled.step).toBe(7);
    expectClose(doubled.layers[1]!.c!, state.layers[1]!.c!.mul(2), 0);
    expect(stateTensors(state).map(([p]) => p)).toEqual(paths);
  });

  it('detachState cuts the graph and keeps the values', () => {
    const out = state.layers[0]!.h.tanh();
    const d = detachState({ h: out });
    expect(out.requiresGrad).toBe(true);
    expect(d.h.requiresGrad).toBe(false);
    expect(d.h.isLeaf).toBe(true);
    expectClose(d.h, out, 0);
  });

  it('selectStateRows picks batch rows of every tensor (with gradient)', () => {
    const picked = selectStateRows(state, [2, 0]);
    expect(picked.layers[1]!.c!.shape).toEqual([2, 2, 2]);
    expectClose(picked.layers[0]!.h.narrow(0, 0, 1), state.layers[0]!.h.narrow(0, 2, 1), 0);
    picked.layers[0]!.h.sum().backward();
    expect(state.layers[0]!.h.grad!.toArray()).toEqual([[1, 1], [0, 0], [1, 1]]);
    expect(() => selectStateRows(state, [3])).toThrow('selectStateRows: row 3 is out of range for state.layers[0].h [3, 2]');
  });

  it('whereState masks row by row, broadcasting over trailing axes', () => {
    const other = mapState(state, (t) => new Tensor(K.zeros(t.shape, { dtype: 'float64' })));
    const mixed = whereState([true, false, true], state, other);
    expectClose(mixed.layers[1]!.c!.narrow(0, 1, 1), other.layers[1]!.c!.narrow(0, 1, 1), 0);
    expectClose(mixed.layers[1]!.c!.narrow(0, 2, 1), state.layers[1]!.c!.narrow(0, 2, 1), 0);
    const viaTensor = whereState(tensor([1, 0, 1], { dtype: 'int32' }), state, other);
    expectClose(viaTensor.layers[0]!.h, mixed.layers[0]!.h, 0);
    expect(() => whereState([true, false], state, other)).toThrow('whereState: state.layers[0].h must have batch 2 on axis 0');
  });

  it('zipState refuses states of different structure', () => {
    expect(() => zipState({ h: state.layers[0]!.h }, { c: state.layers[0]!.h } as never, (a) => a))
      .toThrow('zipState: state.h is missing from the second state');
    expect(() => zipState({ l: [state.layers[0]!.h] }, { l: [] }, (a) => a)).toThrow('zipState: state.l differs in length between the states');
  });
});
