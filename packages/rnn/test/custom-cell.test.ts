// A user's own cell — a minimal gated unit written here as a plain class that extends nothing of
// ours — runs under the runner, stacks, goes bidirectional and passes gradcheck.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { Generator, Tensor, concat, matmul, sigmoid, tanh } from '@unroll/autograd';
import { LSTMCell, bidirectional, detachState, stackCells, stackLayers, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { SEED, expectClose, gradcheckWithParams, rand, tinySizes } from './helpers.js';

/**
 * Minimal gated unit (Zhou et al. 2016), one gate:
 *   f  = σ(W_f [x, h] + b_f)
 *   h̃  = tanh(W_h [x, f ⊙ h] + b_h)
 *   h' = (1 − f) ⊙ h + f ⊙ h̃
 */
class MGU {
  readonly outputSize: number;
  wF: Tensor;
  bF: Tensor;
  wH: Tensor;
  bH: Tensor;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: Generator) {
    this.outputSize = hiddenSize;
    const w = (shape: number[]) => new Tensor(K.randUniform(shape, -0.6, 0.6, { dtype: 'float64', generator: g }), { requiresGrad: true });
    this.wF = w([hiddenSize, inputSize + hiddenSize]);
    this.bF = w([hiddenSize]);
    this.wH = w([hiddenSize, inputSize + hiddenSize]);
    this.bH = w([hiddenSize]);
  }
  initialState(batch: number, opts: { dtype?: 'float32' | 'float64' | 'int32' } = {}) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize], { dtype: opts.dtype ?? 'float64' })) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const f = sigmoid(matmul(concat([x, state.h], 1), this.wF, { transB: true }).add(this.bF));
    const hTilde = tanh(matmul(concat([x, f.mul(state.h)], 1), this.wH, { transB: true }).add(this.bH));
    const h = state.h.add(f.mul(hTilde.sub(state.h)));
    return { state: { h }, output: h };
  }
}

describe('a custom cell (MGU, a plain class)', () => {
  const g = new Generator(51);
  const mgu: RecurrentCell<{ h: Tensor }> = new MGU(3, 4, g);
  const xs = rand([4, 2, 3], g);

  it('runs under unroll (forward, reverse, lengths) exactly as its own step loop', () => {
    const r = unroll(mgu, xs, { reverse: true });
    let state = mgu.initialState(2);
    const ys: Tensor[] = [];
    for (let t = 3; t >= 0; t--) {
      const s = mgu.step(state, xs.select(0, t));
      state = s.state;
      ys[t] = s.output;
    }
    expectClose(r.state.h, state.h, 0);
    expectClose(r.outputs.select(0, 1), ys[1]!, 0);
    const masked = unroll(mgu, xs, { lengths: [2, 4] });
    expectClose(masked.state.h.narrow(0, 0, 1), unroll(mgu, xs.narrow(0, 0, 2).narrow(1, 0, 1)).state.h, 1e-15);
  });

  it('stacks with built-in cells and goes bidirectional', () => {
    const lstm = new LSTMCell({ inputSize: 4, hiddenSize: 2, dtype: 'float64', generator: g });
    const st = stackCells([mgu, lstm]);
    const r = unroll(st, xs);
    expectClose(r.outputs, unroll(lstm, unroll(mgu, xs).outputs).outputs, 0);
    const bi = bidirectional(mgu, new MGU(3, 4, g));
    expect(bi.run(xs).outputs.shape).toEqual([4, 2, 8]);
    const deep = stackLayers([bi, bidirectional(new MGU(8, 2, g), new MGU(8, 2, g), { merge: 'ave' })]);
    const out = deep.run(xs, { lengths: [4, 3] });
    expect(out.outputs.shape).toEqual([4, 2, 2]);
    expect(detachState(out.state).layers[1].backward.h.requiresGrad).toBe(false);
  });

  it('passes gradcheck under unroll, stackCells and bidirectional with lengths', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const gg = new Generator(s.seed);
      const cell = new MGU(s.input, s.hidden, gg);
      const other = new MGU(s.hidden, 2, gg);
      const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
      const h0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      const one = gradcheckWithParams(cell, [x, h0], (xx, hh) => {
        const r = unroll(cell, xx!, { initialState: { h: hh! }, lengths: lens, reverse: true });
        return [r.outputs, r.state.h];
      }, ['wF', 'bF', 'wH', 'bH']);
      expect(one.ok, one.report).toBe(true);
      const stacked = gradcheckWithParams(other, [x], (xx) => unroll(stackCells([cell, other]), xx!, { lengths: lens }).outputs, ['wF', 'bF', 'wH', 'bH']);
      expect(stacked.ok, stacked.report).toBe(true);
      const bi = gradcheckWithParams(cell, [x], (xx) => {
        const r = bidirectional(cell, new MGU(s.input, s.hidden, new Generator(s.seed + 9))).run(xx!, { lengths: lens });
        return [r.outputs, r.state.backward.h];
      }, ['wF', 'bF', 'wH', 'bH']);
      expect(bi.ok, bi.report).toBe(true);
    }), { seed: SEED, numRuns: 4 });
  });
});
