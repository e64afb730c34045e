// The runner: equal to a hand-written step loop, lengths and reverse semantics, gradients
// through masking, bad-input errors, and a 5,000-step sequence.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, gradcheckModule, Tensor, stack, tensor } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell, unroll } from '@unroll/rnn';
import type { LSTMState, RecurrentCell } from '@unroll/rnn';
import { GRAD_TOL, SEED, expectClose, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };

/** The loop the runner replaces, written out: xs [T, B, I]. */
function handLoop<S>(cell: RecurrentCell<S>, xs: Tensor, state: S, reverse = false): { outputs: Tensor; state: S } {
  const T = xs.shape[0]!;
  const ys: Tensor[] = [];
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const r = cell.step(state, xs.select(0, t));
    state = r.state;
    ys[t] = r.output;
  }
  return { outputs: stack(ys, 0), state };
}

describe('unroll', () => {
  const g = new RandomGenerator(11);
  const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g });
  const xs = rand([5, 2, 3], g);
  const s0: LSTMState = { h: rand([2, 4], g), c: rand([2, 4], g) };

  it('equals a hand-written step loop, forward and reverse', () => {
    for (const reverse of [false, true]) {
      const got = unroll(cell, xs, { initialState: s0, reverse });
      const want = handLoop(cell, xs, s0, reverse);
      expect(got.outputs.shape).toEqual([5, 2, 4]);
      expectClose(got.outputs, want.outputs, 0, `outputs (reverse ${reverse})`);
      expectClose(got.state.h, want.state.h, 0);
      expectClose(got.state.c, want.state.c, 0);
    }
  });

  it('starts from cell.initialState (zeros, in xs dtype) when none is given', () => {
    const got = unroll(cell, xs);
    const want = handLoop(cell, xs, cell.initialState(2));
    expectClose(got.outputs, want.outputs, 0);
  });

  it('batchFirst reads and writes [batch, time, features]', () => {
    const xb = xs.permute([1, 0, 2]);
    for (const reverse of [false, true]) {
      const got = unroll(cell, xb, { batchFirst: true, initialState: s0, reverse });
      const want = unroll(cell, xs, { initialState: s0, reverse });
      expect(got.outputs.shape).toEqual([2, 5, 4]);
      expectClose(got.outputs, want.outputs.permute([1, 0, 2]), 0);
      expectClose(got.state.c, want.state.c, 0);
    }
  });

  describe('lengths', () => {
    const gru = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: new RandomGenerator(3) });
    const lengths = [5, 2, 3];
    const batch = rand([5, 3, 3], new RandomGenerator(4));

    for (const reverse of [false, true]) {
      it(`a masked batch equals the sequences run one at a time (reverse ${reverse})`, () => {
        for (const c of [gru, cell] as RecurrentCell<unknown>[]) {
          const init = c.initialState(3);
          const got = unroll(c, batch, { lengths, reverse, initialState: init });
          lengths.forEach((len, b) => {
            const seq = batch.narrow(0, 0, len).narrow(1, b, 1); // [len, 1, 3]: only the real steps
            const own = unroll(c, seq, { reverse, initialState: selectRow(init, b) });
            const out = got.outputs.narrow(1, b, 1);
            expectClose(out.narrow(0, 0, len), own.outputs, 1e-15, `outputs of sequence ${b}`);
            if (len < 5) expect([...out.narrow(0, len, 5 - len).values()].every((v) => v === 0)).toBe(true);
            for (const [k, t] of Object.entries(got.state as Record<string, Tensor>)) {
              expectClose(t.narrow(0, b, 1), (own.state as Record<string, Tensor>)[k]!, 1e-15, `state.${k} of sequence ${b}`);
            }
          });
        }
      });
    }

    it('accepts an int32 tensor and equals the array form; full lengths equal no lengths', () => {
      const a = unroll(gru, batch, { lengths });
      const b = unroll(gru, batch, { lengths: tensor(lengths, { dtype: 'int32' }) });
      expectClose(a.outputs, b.outputs, 0);
      const full = unroll(gru, batch, { lengths: [5, 5, 5], reverse: true });
      expectClose(full.outputs, unroll(gru, batch, { reverse: true }).outputs, 0);
    });

    it('passes gradcheck through masked steps, forward and reverse (x, h0 and the weights)', () => {
      fc.assert(fc.property(tinySizes, fc.boolean(), (s, reverse) => {
        const c = new RNNCell({ inputSize: s.input, hiddenSize: s.hidden, ...f64, generator: new RandomGenerator(s.seed) });
        const gg = new RandomGenerator(s.seed + 1);
        const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
        const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
        const h0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
        const r = gradcheckModule(c, (xx, hh) => {
          const out = unroll(c, xx!, { initialState: { h: hh! }, lengths: lens, reverse });
          return [out.outputs, out.state.h];
        }, { inputs: [x, h0], ...GRAD_TOL });
        expect(r.ok, r.report).toBe(true);
      }), { seed: SEED, numRuns: 8 });
    });
  });

  it('passes gradcheck for an LSTM through the runner, batch-first with lengths', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const c = new LSTMCell({ inputSize: s.input, hiddenSize: s.hidden, ...f64, generator: new RandomGenerator(s.seed) });
      const gg = new RandomGenerator(s.seed + 2);
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      const x = rand([s.batch, s.time, s.input], gg, { requiresGrad: true });
      const h0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
      const c0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
      const r = gradcheckModule(c, (xx, hh, cc) => {
        const out = unroll(c, xx!, { batchFirst: true, initialState: { h: hh!, c: cc! }, lengths: lens, reverse: s.seed % 2 === 1 });
        return [out.outputs, out.state.h, out.state.c];
      }, { inputs: [x, h0, c0], ...GRAD_TOL });
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 5 });
  });

  it('gives clear errors for bad input', () => {
    const z = (shape: number[]) => new Tensor(K.zeros(shape, f64));
    expect(() => unroll(cell, z([4, 5]))).toThrow('unroll: xs must be rank 3 [time, batch, features]; got [4, 5]');
    expect(() => unroll(cell, z([4, 5]), { batchFirst: true })).toThrow('unroll: xs must be rank 3 [batch, time, features]; got [4, 5]');
    expect(() => unroll(cell, z([4, 2, 5]))).toThrow('unroll: xs must be [time, batch, 3] (the input size); got [4, 2, 5]');
    expect(() => unroll(cell, z([0, 2, 3]))).toThrow('unroll: xs has no time steps (time = 0): [0, 2, 3]');
    expect(() => unroll(cell, z([4, 0, 3]))).toThrow('unroll: xs has an empty batch (batch = 0): [4, 0, 3]');
    expect(() => unroll(cell, z([4, 2, 3]), { lengths: [4, 5] })).toThrow('unroll: lengths[1] = 5 is outside [1, 4] (the time steps of the input)');
    expect(() => unroll(cell, z([4, 2, 3]), { lengths: [0, 4] })).toThrow('unroll: lengths[0] = 0 is outside [1, 4]');
    expect(() => unroll(cell, z([4, 2, 3]), { lengths: [2.5, 4] })).toThrow('unroll: lengths[0] = 2.5 is outside [1, 4]');
    expect(() => unroll(cell, z([4, 2, 3]), { lengths: [4] })).toThrow('unroll: lengths must have one entry per sequence (batch 2); got 1');
    expect(() => unroll(cell, z([4, 2, 3]), { lengths: tensor([4, 4]) })).toThrow('unroll: lengths must be a number[] or an int32 tensor [batch]; got float32 [2]');
    expect(() => unroll(cell, z([4, 2, 3]), { initialState: { h: z([3, 4]), c: z([3, 4]) } }))
      .toThrow('unroll: initialState.h must have batch 2 on axis 0 (xs is [4, 2, 3]); got [3, 4]');
    expect(() => unroll(cell, z([4, 2, 3]), { initialState: { h: z([2, 4]), c: z([2, 5]) } }))
      .toThrow('LSTMCell.step: state.c must be [2, 4]; got [2, 5]');
    expect(() => unroll({ inputSize: 3 } as unknown as RecurrentCell<unknown>, z([4, 2, 3]))).toThrow('unroll: cell must be a RecurrentCell');
    const liar: RecurrentCell<{ h: Tensor }> = {
      inputSize: 3, outputSize: 2,
      initialState: (b) => ({ h: z([b, 2]) }),
      step: (s) => ({ state: s, output: z([2, 3]) }),
    };
    expect(() => unroll(liar, z([4, 2, 3]))).toThrow('unroll: cell.step returned output [2, 3]; expected [2, 2] ([batch, outputSize])');
  });

  it('runs a 5,000-step sequence forward and backward without overflowing the stack', () => {
    const c = new LSTMCell({ inputSize: 2, hiddenSize: 4, ...f64, generator: new RandomGenerator(1) });
    const x = rand([5000, 1, 2], new RandomGenerator(2), { requiresGrad: true });
    const r = unroll(c, x);
    r.outputs.sum().add(r.state.c.sum()).backward();
    expect(x.grad!.shape).toEqual([5000, 1, 2]);
    expect(Number.isFinite(x.grad!.values()[0]!)).toBe(true);
    expect(c.weightHh.grad!.shape).toEqual([16, 4]);
  });
});

function selectRow<S>(state: S, b: number): S {
  return Object.fromEntries(Object.entries(state as Record<string, Tensor>).map(([k, t]) => [k, t.narrow(0, b, 1)])) as S;
}
