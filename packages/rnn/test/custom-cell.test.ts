// A user's own cell — a minimal gated unit written twice: as a plain class that extends nothing of
// ours, and with the cell kit (CellBase) — runs under the runner, stacks, goes bidirectional and
// passes gradcheck; the kit's cell also gets the house's step checks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, concat, gradcheckModule, matmul, sigmoid, tanh } from '@unroll/autograd';
import { CellBase, LSTMCell, bidirectional, detachState, stackCells, stackLayers, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { GRAD_TOL, SEED, expectClose, rand, tinySizes } from './helpers.js';

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
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator) {
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
  /** The weights, for gradcheckModule (a plain class is not a Module). */
  weights(): Tensor[] {
    return [this.wF, this.bF, this.wH, this.bH];
  }
}

/** The same unit with the cell kit: parameters, step checks and the initial state come from CellBase. */
class KitMGU extends CellBase<{ h: Tensor }> {
  readonly wF: Tensor;
  readonly bF: Tensor;
  readonly wH: Tensor;
  readonly bH: Tensor;
  constructor(inputSize: number, readonly hiddenSize: number, generator: RandomGenerator) {
    super({ inputSize, outputSize: hiddenSize, state: { h: hiddenSize }, dtype: 'float64', generator });
    const init = { uniform: 0.6 };
    this.wF = this.parameter('w_f', [hiddenSize, inputSize + hiddenSize], init);
    this.bF = this.parameter('b_f', [hiddenSize], init);
    this.wH = this.parameter('w_h', [hiddenSize, inputSize + hiddenSize], init);
    this.bH = this.parameter('b_h', [hiddenSize], init);
  }
  protected forward(state: { h: Tensor }, x: Tensor) {
    const f = sigmoid(matmul(concat([x, state.h], 1), this.wF, { transB: true }).add(this.bF));
    const hTilde = tanh(matmul(concat([x, f.mul(state.h)], 1), this.wH, { transB: true }).add(this.bH));
    const h = state.h.add(f.mul(hTilde.sub(state.h)));
    return { state: { h }, output: h };
  }
  weights(): Tensor[] {
    return this.parameters();
  }
}

const kinds = [
  { kind: 'a plain class', Cell: MGU },
  { kind: 'CellBase', Cell: KitMGU },
] as const;

describe.each(kinds)('a custom cell (MGU, $kind)', ({ Cell: MGU }) => {
  const g = new RandomGenerator(51);
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
      const gg = new RandomGenerator(s.seed);
      const cell = new MGU(s.input, s.hidden, gg);
      const other = new MGU(s.hidden, 2, gg);
      const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
      const h0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      const one = gradcheckModule(cell.weights(), (xx, hh) => {
        const r = unroll(cell, xx!, { initialState: { h: hh! }, lengths: lens, reverse: true });
        return [r.outputs, r.state.h];
      }, { inputs: [x, h0], ...GRAD_TOL });
      expect(one.ok, one.report).toBe(true);
      const stacked = gradcheckModule(other.weights(), (xx) => unroll(stackCells([cell, other]), xx!, { lengths: lens }).outputs, { inputs: [x], ...GRAD_TOL });
      expect(stacked.ok, stacked.report).toBe(true);
      const bi = gradcheckModule(cell.weights(), (xx) => {
        const r = bidirectional(cell, new MGU(s.input, s.hidden, new RandomGenerator(s.seed + 9))).run(xx!, { lengths: lens });
        return [r.outputs, r.state.backward.h];
      }, { inputs: [x], ...GRAD_TOL });
      expect(bi.ok, bi.report).toBe(true);
    }), { seed: SEED, numRuns: 4 });
  });
});

describe('CellBase', () => {
  it("checks x and the state with the house's messages before the step's first op", () => {
    const cell = new KitMGU(3, 6, new RandomGenerator(1));
    const x = rand([2, 3], new RandomGenerator(2));
    expect(() => cell.step({ h: rand([2, 5], new RandomGenerator(3)) }, x)).toThrow('KitMGU.step: state.h must be [2, 6]; got [2, 5]');
    expect(() => cell.step(cell.initialState(2), rand([2, 4], new RandomGenerator(3)))).toThrow('KitMGU.step: x must be [batch, 3]; got [2, 4]');
    expect(() => cell.step(cell.initialState(2), x.to('float32'))).toThrow("KitMGU.step: x is float32 but the parameters are float64; convert one (x.to('float64') or cell.to('float32'))");
    expect(() => cell.step(cell.initialState(2, { dtype: 'float32' }), x)).toThrow("KitMGU.step: state.h is float32 but the parameters are float64; convert it with .to('float64')");
    expect(() => cell.step({} as { h: Tensor }, x)).toThrow('KitMGU.step: state.h must be a Tensor [2, 6]; got undefined');
    expect(() => cell.step([] as unknown as { h: Tensor }, x)).toThrow("KitMGU.step: state must be a record with 'h'; got an array");
    expect(() => unroll(cell, rand([4, 2, 3], new RandomGenerator(4)), { initialState: { h: rand([2, 5], new RandomGenerator(5)) } }))
      .toThrow('KitMGU.step: state.h must be [2, 6]; got [2, 5]');
  });

  it('derives initialState from the declared shapes, registers parameters by name and follows to(dtype)', () => {
    class TwoState extends CellBase<{ h: Tensor; m: Tensor }> {
      readonly w = this.parameter('weight', [4, 2], 'ones');
      readonly b = this.parameterIf(false, 'bias', [4]);
      constructor() { super({ name: 'TwoState', inputSize: 2, outputSize: 4, state: { h: 4, m: [2, 3] } }); }
      protected forward(state: { h: Tensor; m: Tensor }, x: Tensor) {
        const h = matmul(x, this.w, { transB: true }).add(state.h);
        return { state: { h, m: state.m }, output: h };
      }
    }
    const cell = new TwoState();
    const s0 = cell.initialState(3);
    expect(s0.h.shape).toEqual([3, 4]);
    expect(s0.m.shape).toEqual([3, 2, 3]);
    expect(s0.h.dtype).toBe('float32');
    expect(cell.initialState(1, { dtype: 'float64' }).m.dtype).toBe('float64');
    expect(Object.keys(cell.stateDict())).toEqual(['weight']);
    expect(cell.w.values().every((v) => v === 1)).toBe(true);
    expect(unroll(cell, rand([2, 3, 2], new RandomGenerator(6), { dtype: 'float32' })).outputs.shape).toEqual([2, 3, 4]);
    cell.to('float64');
    expect(cell.dtype).toBe('float64');
    expect(cell.initialState(1).h.dtype).toBe('float64');
    expect(() => cell.initialState(0)).toThrow('TwoState.initialState: batch must be a positive integer; got 0');
    expect(() => cell.step({ h: s0.h.to('float64'), m: rand([3, 2, 2], new RandomGenerator(7)) }, rand([3, 2], new RandomGenerator(8))))
      .toThrow('TwoState.step: state.m must be [3, 2, 3]; got [3, 2, 2]');
  });

  it('refuses a bad declaration', () => {
    class Bad extends CellBase<{ h: Tensor }> {
      constructor(opts: ConstructorParameters<typeof CellBase<{ h: Tensor }>>[0]) { super(opts); }
      protected forward(state: { h: Tensor }) { return { state, output: state.h }; }
    }
    expect(() => new Bad({ inputSize: 0, outputSize: 2, state: { h: 2 } })).toThrow('Bad: inputSize must be a positive integer; got 0');
    expect(() => new Bad({ inputSize: 1, outputSize: 2, state: { h: 0 } })).toThrow('Bad: state.h must be a positive integer or a list of them');
    expect(() => new Bad({ inputSize: 1, outputSize: 2, state: {} as { h: number } })).toThrow('Bad: state must name at least one state tensor');
    expect(() => new Bad({ inputSize: 1, outputSize: 2, state: { h: 2 }, dtype: 'int32' as 'float32' })).toThrow("Bad: dtype must be 'float32' or 'float64'; got int32");
  });
});
