// Stacking cells and layers, bidirectional layers: equal to composing by hand, aligned in time,
// dropout only in training, gradients through all of it, and errors for misfits.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, gradcheckModule, Tensor, concat, stack } from '@unroll/autograd';
import {
  GRUCell, LSTMCell, RNNCell, bidirectional, cellLayer, stackCells, stackLayers, unroll,
} from '@unroll/rnn';
import type { LSTMState, RecurrentCell } from '@unroll/rnn';
import { GRAD_TOL, SEED, expectClose, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };

/** Reverses the time axis (axis 0) of [T, ...]. */
const flipTime = (x: Tensor) => stack(Array.from({ length: x.shape[0]! }, (_, t) => x.select(0, x.shape[0]! - 1 - t)), 0);

describe('stackCells', () => {
  const g = new RandomGenerator(21);
  const a = new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g });
  const b = new GRUCell({ inputSize: 4, hiddenSize: 2, ...f64, generator: g });
  const c = new RNNCell({ inputSize: 2, hiddenSize: 3, ...f64, generator: g });
  const xs = rand([4, 2, 3], g);

  it('equals composing the cells by hand, step by step', () => {
    const stacked = stackCells([a, b, c]);
    expect(stacked.inputSize).toBe(3);
    expect(stacked.outputSize).toBe(3);
    let state = stacked.initialState(2);
    expect(Object.keys(state)).toEqual(['layers']);
    expect(state.layers.length).toBe(3);
    let sa: LSTMState = a.initialState(2), sb = b.initialState(2), sc = c.initialState(2);
    for (let t = 0; t < 4; t++) {
      const x = xs.select(0, t);
      const r = stacked.step(state, x);
      state = r.state;
      const ra = a.step(sa, x), rb = b.step(sb, ra.output), rc = c.step(sc, rb.output);
      [sa, sb, sc] = [ra.state, rb.state, rc.state];
      expectClose(r.output, rc.output, 0, `output at ${t}`);
    }
    expectClose(state.layers[0].c, sa.c, 0);
    expectClose(state.layers[1].h, sb.h, 0);
    expectClose(state.layers[2].h, sc.h, 0);
  });

  it('registers Module cells as children 0, 1, … and runs under unroll', () => {
    const stacked = stackCells([a, b]);
    expect(stacked.namedParameters().map(([n]) => n).slice(0, 5)).toEqual(['0.weight_ih', '0.weight_hh', '0.bias_ih', '0.bias_hh', '1.weight_ih']);
    const r = unroll(stacked, xs, { reverse: true });
    const ra = unroll(a, xs, { reverse: true });
    const rb = unroll(b, ra.outputs, { reverse: true });
    expectClose(r.outputs, rb.outputs, 0);
  });

  it('applies dropout between cells only in training mode', () => {
    const plain = stackCells([a, b]);
    const dropped = stackCells([a, b], { dropout: 0.5, generator: new RandomGenerator(1) });
    const want = unroll(plain, xs).outputs;
    expect(dropped.training).toBe(true);
    const trained = unroll(dropped, xs).outputs;
    expect(K.sum(K.abs(K.sub(trained.data, want.data))).data[0]).toBeGreaterThan(1e-3);
    // The same generator state gives the same masks.
    const again = unroll(stackCells([a, b], { dropout: 0.5, generator: new RandomGenerator(1) }), xs).outputs;
    expectClose(again, trained, 0);
    dropped.eval();
    expectClose(unroll(dropped, xs).outputs, want, 0, 'eval mode');
    dropped.train();
  });

  it('passes gradcheck through two stacked cells under the runner with lengths', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const gg = new RandomGenerator(s.seed);
      const l1 = new GRUCell({ inputSize: s.input, hiddenSize: s.hidden, ...f64, generator: gg });
      const l2 = new LSTMCell({ inputSize: s.hidden, hiddenSize: 2, ...f64, generator: gg });
      const st = stackCells([l1, l2]);
      const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      // The parameters of each cell are checked in turn (with x each time).
      const r1 = gradcheckModule(l1, (xx) => {
        const r = unroll(st, xx!, { lengths: lens });
        return [r.outputs, r.state.layers[0].h, r.state.layers[1].c];
      }, { inputs: [x], ...GRAD_TOL });
      expect(r1.ok, r1.report).toBe(true);
      const r2 = gradcheckModule(l2, (xx) => {
        const r = unroll(st, xx!, { lengths: lens, reverse: true });
        return [r.outputs, r.state.layers[1].h];
      }, { inputs: [x], ...GRAD_TOL });
      expect(r2.ok, r2.report).toBe(true);
    }), { seed: SEED, numRuns: 4 });
  });

  it('refuses misfitting cells and malformed states', () => {
    expect(() => stackCells([a, c])).toThrow('stackCells: cells[1].inputSize (2) must equal cells[0].outputSize (4)');
    expect(() => stackCells([])).toThrow('stackCells: needs a non-empty array of cells');
    expect(() => stackCells([a, b], { dropout: 1 })).toThrow('stackCells: dropout must be in [0, 1); got 1');
    const st = stackCells([a, b]);
    expect(() => st.step({ layers: [a.initialState(2)] } as never, xs.select(0, 0)))
      .toThrow('StackedCells.step: state.layers must be an array of 2 cell states; got 1');
  });
});

describe('bidirectional', () => {
  const g = new RandomGenerator(31);
  const fwd = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g });
  const bwd = new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g });
  const xs = rand([5, 2, 3], g);

  it('concatenates the forward output at t with the backward output at t (aligned in time)', () => {
    const bi = bidirectional(fwd, bwd);
    expect(bi.outputSize).toBe(8);
    const r = bi.run(xs);
    expect(r.outputs.shape).toEqual([5, 2, 8]);
    const f = unroll(fwd, xs);
    // The backward direction at t has read x_{T−1} … x_t: the same as running the cell forward over
    // the flipped sequence and flipping its outputs back.
    const b = flipTime(unroll(bwd, flipTime(xs)).outputs);
    expectClose(r.outputs, concat([f.outputs, b], -1), 1e-15);
    expectClose(r.state.forward.h, f.state.h, 0);
    expectClose(r.state.backward.c, unroll(bwd, xs, { reverse: true }).state.c, 0);
  });

  it("aligns per sequence with lengths: the backward direction starts at each sequence's last real step", () => {
    const lengths = [5, 3];
    const r = bidirectional(fwd, bwd, { merge: 'none' }).run(xs, { lengths });
    const seq = xs.narrow(0, 0, 3).narrow(1, 1, 1); // the real part of sequence 1
    const want = flipTime(unroll(bwd, flipTime(seq)).outputs);
    expectClose(r.outputs.backward.narrow(1, 1, 1).narrow(0, 0, 3), want, 1e-15);
    expect([...r.outputs.backward.narrow(1, 1, 1).narrow(0, 3, 2).values()].every((v) => v === 0)).toBe(true);
  });

  it("merges by 'sum', 'mul', 'ave' and 'none'; batch-first keeps the layout", () => {
    const other = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g });
    const f = unroll(fwd, xs).outputs, b = unroll(other, xs, { reverse: true }).outputs;
    expectClose(bidirectional(fwd, other, { merge: 'sum' }).run(xs).outputs, f.add(b), 0);
    expectClose(bidirectional(fwd, other, { merge: 'mul' }).run(xs).outputs, f.mul(b), 0);
    expectClose(bidirectional(fwd, other, { merge: 'ave' }).run(xs).outputs, f.add(b).mul(0.5), 0);
    const none = bidirectional(fwd, other, { merge: 'none' }).run(xs).outputs;
    expectClose(none.forward, f, 0);
    expectClose(none.backward, b, 0);
    const bf = bidirectional(fwd, other).run(xs.permute([1, 0, 2]), { batchFirst: true }).outputs;
    expectClose(bf, concat([f, b], -1).permute([1, 0, 2]), 0);
  });

  it('with one cell, reads both directions with the same (shared) weights', () => {
    const bi = bidirectional(fwd);
    expect(bi.parameters().length).toBe(fwd.parameters().length);
    const r = bi.run(xs);
    expectClose(r.outputs.narrow(2, 4, 4), unroll(fwd, xs, { reverse: true }).outputs, 0);
  });

  it('refuses output sizes an elementwise merge cannot combine, and unknown modes', () => {
    const small = new RNNCell({ inputSize: 3, hiddenSize: 2 });
    const wide = new RNNCell({ inputSize: 3, hiddenSize: 5 });
    expect(() => bidirectional(small, wide, { merge: 'sum' })).toThrow("bidirectional: merge 'sum' needs equal output sizes; got 2 (forward) and 5 (backward)");
    expect(() => bidirectional(small, new RNNCell({ inputSize: 4, hiddenSize: 2 }))).toThrow('bidirectional: the cells must read one input size; got 3 (forward) and 4 (backward)');
    expect(() => bidirectional(small, wide, { merge: 'max' as 'sum' })).toThrow("bidirectional: merge must be 'concat', 'sum', 'mul', 'ave' or 'none'; got max");
    expect(bidirectional(small, wide).outputSize).toBe(7);
  });
});

describe('stackLayers', () => {
  const g = new RandomGenerator(41);
  const mk = (i: number) => new LSTMCell({ inputSize: i, hiddenSize: 3, ...f64, generator: g });
  const [a, b, c, d] = [mk(2), mk(2), mk(6), mk(6)];
  const xs = rand([4, 3, 2], g);

  it('a deep bidirectional stack equals composing the layers by hand (layer 2 reads 2·hidden)', () => {
    const deep = stackLayers([bidirectional(a, b), bidirectional(c, d)]);
    expect(deep.inputSize).toBe(2);
    expect(deep.outputSize).toBe(6);
    const lengths = [4, 1, 2];
    const r = deep.run(xs, { lengths });
    const l1 = concat([unroll(a, xs, { lengths }).outputs, unroll(b, xs, { lengths, reverse: true }).outputs], -1);
    const l2f = unroll(c, l1, { lengths }), l2b = unroll(d, l1, { lengths, reverse: true });
    expectClose(r.outputs, concat([l2f.outputs, l2b.outputs], -1), 0);
    expectClose(r.state.layers[1].backward.h, l2b.state.h, 0);
    expect(deep.namedParameters().map(([n]) => n)[0]).toBe('0.forward.weight_ih');
  });

  it('of plain cells equals stackCells under the runner; batch-first too', () => {
    const e = new GRUCell({ inputSize: 3, hiddenSize: 2, ...f64, generator: g });
    const viaLayers = stackLayers([a, e]).run(xs.permute([1, 0, 2]), { batchFirst: true });
    const viaCells = unroll(stackCells([a, e]), xs);
    expectClose(viaLayers.outputs, viaCells.outputs.permute([1, 0, 2]), 0);
    expectClose(viaLayers.state.layers[1].h, viaCells.state.layers[1].h, 0);
    const rev = stackLayers([cellLayer(a, { reverse: true })]).run(xs);
    expectClose(rev.outputs, unroll(a, xs, { reverse: true }).outputs, 0);
  });

  it('drops out between layers in training only, and takes a given initial state', () => {
    const plain = stackLayers([bidirectional(a, b), bidirectional(c, d)]);
    const dropped = stackLayers([bidirectional(a, b), bidirectional(c, d)], { dropout: 0.3, generator: new RandomGenerator(2) });
    const want = plain.run(xs).outputs;
    expect(K.sum(K.abs(K.sub(dropped.run(xs).outputs.data, want.data))).data[0]).toBeGreaterThan(1e-3);
    dropped.eval();
    expectClose(dropped.run(xs).outputs, want, 0);
    const s0 = plain.initialState(3);
    const s1 = { layers: [s0.layers[0], { forward: { h: rand([3, 3], g), c: rand([3, 3], g) }, backward: s0.layers[1].backward }] } as typeof s0;
    const r = plain.run(xs, { initialState: s1 });
    const l1 = plain.run(xs).outputs; // layer 1 unchanged; layer 2's forward starts from s1
    expect(r.outputs.shape).toEqual(l1.shape);
    const l1out = concat([unroll(a, xs).outputs, unroll(b, xs, { reverse: true }).outputs], -1);
    expectClose(r.state.layers[1].forward.h, unroll(c, l1out, { initialState: s1.layers[1].forward }).state.h, 0);
  });

  it('passes gradcheck through a 2-layer bidirectional stack with lengths', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const gg = new RandomGenerator(s.seed);
      const cell = (i: number) => new RNNCell({ inputSize: i, hiddenSize: s.hidden, ...f64, generator: gg });
      const [p, q, r, t] = [cell(s.input), cell(s.input), cell(2 * s.hidden), cell(2 * s.hidden)];
      const deep = stackLayers([bidirectional(p, q), bidirectional(r, t, { merge: 'sum' })]);
      const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      const res = gradcheckModule(q, (xx) => {
        const out = deep.run(xx!, { lengths: lens });
        return [out.outputs, out.state.layers[0].backward.h, out.state.layers[1].forward.h];
      }, { inputs: [x], ...GRAD_TOL });
      expect(res.ok, res.report).toBe(true);
    }), { seed: SEED, numRuns: 5 });
  });

  it('refuses misfitting layers', () => {
    expect(() => stackLayers([bidirectional(a, b), c, d])).toThrow('stackLayers: layers[2].inputSize (6) must equal layers[1].outputSize (3)');
    expect(() => stackLayers([a, {} as RecurrentCell<unknown>])).toThrow('stackLayers: layers[1] must be a RecurrentCell');
    expect(() => stackLayers([a]).run(xs, { initialState: { layers: [] } as never })).toThrow('StackedLayers.run: initialState.layers must be an array of 1 layer states');
  });
});
