// Truncated BPTT: chunks cut in lockstep, the carried state continues the sequence exactly,
// and no gradient crosses a chunk boundary.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, tensor } from '@unroll/autograd';
import { GRUCell, LSTMCell, chunks, detachState, tbptt, unroll } from '@unroll/rnn';
import { expectClose, rand } from './helpers.js';

describe('chunks', () => {
  it('cuts a tensor, or a record in lockstep (int32 targets too), the last chunk shorter', () => {
    const xs = rand([7, 2, 3], new RandomGenerator(1));
    const lens = [...chunks(xs, 3)].map((c) => c.shape);
    expect(lens).toEqual([[3, 2, 3], [3, 2, 3], [1, 2, 3]]);
    const ids = new Tensor(K.arange(0, 14, 1, { dtype: 'int32' })).data;
    const targets = new Tensor(K.reshape(ids, [7, 2]));
    const got = [...chunks({ inputs: xs, targets }, 3)];
    expect(got.map((c) => c.targets.toArray())).toEqual([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]], [[12, 13]]]);
    expectClose(got[1]!.inputs, xs.narrow(0, 3, 3), 0);
    const bf = [...chunks(xs.permute([1, 0, 2]), 4, { batchFirst: true })];
    expect(bf.map((c) => c.shape)).toEqual([[2, 4, 3], [2, 3, 3]]);
  });

  it('refuses mismatched lengths and bad chunk sizes', () => {
    const xs = rand([7, 2, 3], new RandomGenerator(1));
    expect(() => [...chunks({ a: xs, b: rand([6, 2], new RandomGenerator(2)) }, 3)])
      .toThrow('chunks: every tensor must have 7 time steps on axis 0; b is [6, 2]');
    expect(() => [...chunks(xs, 0)]).toThrow('chunks: chunkLength must be a positive integer; got 0');
  });
});

describe('carrying the state with detachState', () => {
  const g = new RandomGenerator(71);
  const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64', generator: g });
  const xs = rand([10, 2, 3], g);

  it('chunk by chunk gives the whole-sequence values', () => {
    const whole = unroll(cell, xs);
    let state = cell.initialState(2);
    const outs: Tensor[] = [];
    for (const chunk of chunks(xs, 4)) {
      const r = unroll(cell, chunk, { initialState: state });
      outs.push(r.outputs);
      state = detachState(r.state);
    }
    expectClose(state.c, whole.state.c, 1e-15);
    expectClose(outs[2]!, whole.outputs.narrow(0, 8, 2), 1e-15);
  });

  it('stops the gradient at the chunk boundary', () => {
    const x = rand([6, 1, 3], g, { requiresGrad: true });
    const [first, second] = [...chunks(x, 3)];
    const r1 = unroll(cell, first!);
    const r2 = unroll(cell, second!, { initialState: detachState(r1.state) });
    r2.outputs.sum().backward();
    const grad = x.grad!.toArray() as number[][][];
    expect(grad.slice(0, 3).flat(2).every((v) => v === 0)).toBe(true);
    expect(grad.slice(3).flat(2).some((v) => v !== 0)).toBe(true);
    // Without the cut, the gradient reaches the first chunk.
    x.grad = null;
    const [a, b] = [...chunks(x, 3)];
    unroll(cell, b!, { initialState: unroll(cell, a!).state }).outputs.sum().backward();
    expect((x.grad!.toArray() as number[][][]).slice(0, 3).flat(2).some((v) => v !== 0)).toBe(true);
  });

  it('tbptt runs the loop: each body sees the detached state of the previous chunk', () => {
    const gru = new GRUCell({ inputSize: 3, hiddenSize: 2, dtype: 'float64', generator: g });
    const ids = tensor(Array.from({ length: 10 }, (_, t) => [t, t]), { dtype: 'int32' });
    const seen: number[] = [];
    const final = tbptt({ xs, ids }, 4, gru.initialState(2), ({ chunk, state, index }) => {
      expect(state.h.requiresGrad).toBe(false);
      seen.push(index, (chunk.ids.toArray() as number[][])[0]![0]!);
      return unroll(gru, chunk.xs, { initialState: state }).state;
    });
    expect(seen).toEqual([0, 0, 1, 4, 2, 8]);
    expectClose(final.h, unroll(gru, xs).state.h, 1e-15);
  });
});
