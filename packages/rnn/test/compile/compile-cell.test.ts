// compileCell against the composed step loop (float64, 1e-10): outputs, final states and every gradient,
// for the built-in cells and user cells, across lengths × reverse × batchFirst, bidirectional and stacked.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Module, Tensor, clamp, matmul, mul, narrow, sum, tanh } from '@unroll/autograd';
import {
  GRUCell, LSTMCell, RNNCell, bidirectional, compileCell, stackCells, stackLayers, stateTensors, unroll,
} from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { SEED, rand } from '../helpers.js';
import { composed, maxError, runAll } from './run.js';
import { ConcatMGU, IndRNN, LayerNormLSTM, MGU, ManyProjections, UserLSTM } from './cells.js';

type AnyCell = RecurrentCell<any> & Module;

const withFused = <T>(cell: object, on: boolean, fn: () => T): T => {
  const flagged = (cell instanceof Module ? cell.namedModules().map(([, m]) => m) : [cell]).filter((m) => typeof (m as { fused?: unknown }).fused === 'boolean') as unknown as { fused: boolean }[];
  const before = flagged.map((m) => m.fused);
  flagged.forEach((m) => { m.fused = on; });
  try { return fn(); } finally { flagged.forEach((m, i) => { m.fused = before[i]!; }); }
};

const sizes = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), time: fc.integer({ min: 1, max: 5 }),
  input: fc.integer({ min: 1, max: 3 }), hidden: fc.integer({ min: 1, max: 4 }),
  reverse: fc.boolean(), batchFirst: fc.boolean(), withLengths: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
});

/** Checks compiled (compileCell) against composed for a cell family over random sizes and options. */
function checkFamily(make: (I: number, H: number, g: RandomGenerator) => AnyCell, numRuns = 8): void {
  fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, batchFirst, withLengths, seed }) => {
    const g = new RandomGenerator(seed);
    const cell = make(input, hidden, g);
    const xs = rand(batchFirst ? [batch, time, input] : [time, batch, input], g, { requiresGrad: true });
    const h0 = stateTensors(cell.initialState(batch, { dtype: 'float64' })).length
      ? mapRandom(cell.initialState(batch, { dtype: 'float64' }), g) : cell.initialState(batch);
    const lengths = withLengths ? Array.from({ length: batch }, () => 1 + Math.floor(g.uniform() * time)) : undefined;
    const opts = { reverse, batchFirst, ...(lengths ? { lengths } : {}) };
    const params = cell.parameters();
    const want = withFused(cell, false, () => runAll(composed(cell), params, xs, h0, opts, seed));
    const got = runAll(compileCell(cell), params, xs, h0, opts, seed);
    const err = maxError(got, want);
    if (!(err <= 1e-10)) throw new Error(`compiled vs composed differ by ${err} (${JSON.stringify({ batch, time, input, hidden, ...opts })})`);
  }), { seed: SEED, numRuns });
}

/** A state of random values (requiring grad) with the structure of `s`. */
function mapRandom(s: unknown, g: RandomGenerator): unknown {
  if (s instanceof Tensor) return rand(s.shape, g, { requiresGrad: true });
  if (Array.isArray(s)) return s.map((v) => mapRandom(v, g));
  if (typeof s === 'object' && s !== null) return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, mapRandom(v, g)]));
  return s;
}

const f64 = { dtype: 'float64' as const };

describe('compileCell: compiled = composed to 1e-10 (outputs, final state, every gradient)', () => {
  it('RNNCell tanh and relu', () => {
    checkFamily((I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, generator: g, ...f64 }));
    checkFamily((I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', generator: g, ...f64 }));
  });
  const lstmVariants = {
    standard: {}, peephole: { peephole: true }, 'no forget gate': { forgetGate: false }, 'coupled gates': { coupledGates: true },
    'coupled + peephole': { coupledGates: true, peephole: true }, 'no forget gate + peephole': { forgetGate: false, peephole: true },
    'other activations': { gateActivation: 'sigmoid', cellActivation: 'relu', hiddenActivation: 'identity' }, 'no bias': { bias: false },
  } as const;
  for (const [name, variant] of Object.entries(lstmVariants)) {
    it(`LSTMCell ${name}`, () => checkFamily((I, H, g) => new LSTMCell({ inputSize: I, hiddenSize: H, generator: g, ...f64, ...variant }), 5));
  }
  it('GRUCell reset after (PyTorch) and reset before (Cho et al.)', () => {
    checkFamily((I, H, g) => new GRUCell({ inputSize: I, hiddenSize: H, generator: g, ...f64 }), 6);
    checkFamily((I, H, g) => new GRUCell({ inputSize: I, hiddenSize: H, resetAfter: false, generator: g, ...f64 }), 6);
  });
  it('user cells: minimal gated unit (hoisted and concatenated forms), IndRNN, layer-norm LSTM', () => {
    checkFamily((I, H, g) => new MGU(I, H, g), 6);
    checkFamily((I, H, g) => new ConcatMGU(I, H, g), 6);
    checkFamily((I, H, g) => new IndRNN(I, H, g), 6);
    checkFamily((I, H, g) => new LayerNormLSTM(I, H, g), 6);
  });
  it('input projections of both orientations as one gemm each (biases folded, sliced, a frozen weight)', () => {
    checkFamily((I, H, g) => new ManyProjections(I, H, g), 6);
    checkFamily((I, H, g) => new ManyProjections(I, H, g, 'float64', true), 6);
  });
  it('a compiled stack of cells (compileCell(stackCells([...]))) and a stack of compiled cells', () => {
    checkFamily((I, H, g) => stackCells([new MGU(I, H, g), new LSTMCell({ inputSize: H, hiddenSize: H, generator: g, ...f64 })]) as AnyCell, 5);
    const g = new RandomGenerator(4);
    const a = new IndRNN(2, 3, g), b = new UserLSTM(3, 3, g);
    const xs = rand([4, 2, 2], g, { requiresGrad: true });
    const ref = stackCells([a, b]), fast = stackCells([compileCell(a), compileCell(b)]);
    const h0 = mapRandom(ref.initialState(2), g);
    const params = ref.parameters();
    expect(fast.parameters()).toEqual(params);
    expect(maxError(runAll(fast, params, xs, h0, { lengths: [4, 2] }, 1), runAll(ref, params, xs, h0, { lengths: [4, 2] }, 1))).toBeLessThanOrEqual(1e-10);
  });
});

describe('compileCell in sequence layers', () => {
  it('bidirectional and stackLayers of compiled cells equal the composed ones (lengths, batch-first)', () => {
    const g = new RandomGenerator(11);
    const cells = [new MGU(3, 4, g), new LayerNormLSTM(3, 4, g), new UserLSTM(8, 2, g), new IndRNN(8, 2, g)];
    const build = (c: AnyCell[], compiled: boolean) => {
      const k = (x: AnyCell) => (compiled ? compileCell(x) : x); // user cells: their own step loop is the composed path
      return stackLayers([bidirectional(k(c[0]!), k(c[1]!)), bidirectional(k(c[2]!), k(c[3]!))]);
    };
    const xs = rand([3, 5, 3], g, { requiresGrad: true });
    const params = cells.flatMap((c) => c.parameters());
    const run = (compiled: boolean) => {
      for (const p of params) p.grad = null;
      xs.grad = null;
      const r = build(cells, compiled).run(xs, { batchFirst: true, lengths: [5, 2, 4] });
      const loss = sum(mul(r.outputs, rand(r.outputs.shape, new RandomGenerator(3))));
      loss.backward();
      return [[...r.outputs.values()], [...xs.grad!.values()], ...params.map((p) => (p.grad ? [...p.grad.values()] : new Array<number>(p.size).fill(-1)))];
    };
    expect(maxError(run(true), run(false))).toBeLessThanOrEqual(1e-10);
  });
});

describe('a compiled cell is the cell', () => {
  it('keeps the protocol, the parameters, the state dict and train/eval', () => {
    const g = new RandomGenerator(5);
    const cell = new LayerNormLSTM(3, 4, g);
    const c = compileCell(cell);
    expect(c).toBeInstanceOf(LayerNormLSTM);
    expect(c.uncompiled).toBe(cell);
    expect(c.inputSize).toBe(3);
    expect(c.parameters()).toEqual(cell.parameters());
    expect(Object.keys(c.stateDict())).toEqual(Object.keys(cell.stateDict()));
    c.eval();
    expect(cell.training).toBe(false);
    cell.train();
    expect(c.training).toBe(true);
    // step is the composed step.
    const x = rand([2, 3], g), s = cell.initialState(2);
    expect([...c.step(s, x).output.values()]).toEqual([...cell.step(s, x).output.values()]);
    expect(compileCell(c).uncompiled).toBe(cell);
  });
});

describe('steps of unusual shape', () => {
  it('a state field passed through unchanged, an output sliced from the state, an output from x alone, constants and clamp', () => {
    const g = new RandomGenerator(1);
    const P = (s: number[]) => new Tensor(K.randUniform(s, -0.7, 0.7, { dtype: 'float64', generator: g }), { requiresGrad: true });
    const W = P([4, 3]), U = P([4, 4]);
    const zeros = (b: number) => new Tensor(K.zeros([b, 4], { dtype: 'float64' }));
    const passThrough = {
      inputSize: 3, outputSize: 2,
      initialState: (b: number) => ({ h: zeros(b), keep: zeros(b) }),
      step(s: { h: Tensor; keep: Tensor }, x: Tensor) {
        const pre = matmul(x, W, { transB: true }).add(matmul(s.h, U, { transB: true }));
        const h = clamp(tanh(pre).mul(s.keep).sub(0.25), { min: -0.6, max: 0.9 });
        return { state: { h, keep: s.keep }, output: narrow(h, 1, 1, 2) };
      },
    };
    const xOnlyOutput = {
      inputSize: 3, outputSize: 4,
      initialState: (b: number) => ({ h: zeros(b) }),
      step(s: { h: Tensor }, x: Tensor) {
        return { state: { h: tanh(matmul(s.h, U, { transB: true }).add(1)) }, output: tanh(matmul(x, W, { transB: true })) };
      },
    };
    for (const cell of [passThrough, xOnlyOutput] as RecurrentCell<any>[]) {
      const xs = rand([5, 2, 3], g, { requiresGrad: true });
      const h0 = mapRandom(cell.initialState(2), g);
      for (const opts of [{}, { reverse: true, lengths: [5, 3] }, { batchFirst: true }]) {
        const x = 'batchFirst' in opts ? rand([2, 5, 3], g, { requiresGrad: true }) : xs;
        expect(maxError(runAll(compileCell(cell), [W, U], x, h0, opts, 1), runAll(composed(cell), [W, U], x, h0, opts, 1))).toBeLessThanOrEqual(1e-12);
      }
    }
  });
});
