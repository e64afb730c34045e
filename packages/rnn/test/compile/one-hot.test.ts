// compileCell on one-hot input (one-hot-input.ts): the input projections become gathers of the weights'
// columns and their weight gradients scatter-adds. Compiled = composed to 1e-10 in float64 (lengths,
// reverse, batchFirst, grouped and bias-folded projections of both orientations, stacked, bidirectional);
// float32 with the path on = off (forward bit for bit, gradients to rounding) at 1 and 2 threads; a
// non-finite weight or gradient takes the gemm (same NaN/∞ as with the path off); `verify` still passes.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { LayerNorm, Module, Parameter, RandomGenerator, Tensor, matmul, mul, relu, sum, tanh } from '@unroll/autograd';
import { RNNCell, bidirectional, compileCell, stackCells, stackLayers, stateTensors, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { setOneHotPath } from '../../src/fused/one-hot.js';
import { oneHotProjectionCounts } from '../../src/compile/one-hot-input.js';
import { SEED, rand } from '../helpers.js';
import { composed, maxError, runAll } from './run.js';
import { IndRNN, LayerNormLSTM, MGU, ManyProjections, UserLSTM } from './cells.js';

type AnyCell = RecurrentCell<any> & Module;
type DT = 'float32' | 'float64';

const threadsAtStart = getNumThreads();
afterEach(() => {
  setNumThreads(threadsAtStart);
  setOneHotPath(true);
});

/** A one-hot sequence of `shape` (last axis the one-hot one), about every fifth row all zeros (padding-like). */
function oneHot(shape: number[], g: RandomGenerator, dtype: DT, requiresGrad = false): Tensor {
  const I = shape[shape.length - 1]!, rows = shape.reduce((a, d) => a * d, 1) / I;
  const x = dtype === 'float32' ? new Float32Array(rows * I) : new Float64Array(rows * I);
  for (let r = 0; r < rows; r++) if (g.uniform() > 0.2) x[r * I + Math.floor(g.uniform() * I)] = 1;
  return new Tensor(K.fromData(x, shape), { requiresGrad });
}

/** Runs `fn`, returning its result and how many gathers and scatter-adds it ran. */
function counted<T>(fn: () => T): { result: T; gathers: number; scatters: number } {
  const before = oneHotProjectionCounts();
  const result = fn();
  const after = oneHotProjectionCounts();
  return { result, gathers: after.gathers - before.gathers, scatters: after.scatters - before.scatters };
}

/** A state of random values (requiring grad) with the structure of `s`. */
function mapRandom(s: unknown, g: RandomGenerator): unknown {
  if (s instanceof Tensor) return rand(s.shape, g, { requiresGrad: true });
  if (Array.isArray(s)) return s.map((v) => mapRandom(v, g));
  if (typeof s === 'object' && s !== null) return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, mapRandom(v, g)]));
  return s;
}

const sizes = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), time: fc.integer({ min: 1, max: 5 }),
  input: fc.integer({ min: 1, max: 5 }), hidden: fc.integer({ min: 1, max: 4 }),
  reverse: fc.boolean(), batchFirst: fc.boolean(), withLengths: fc.boolean(), xGrad: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
});

/** Compiled (one-hot path) against composed in float64 for a cell family over random sizes and options. */
function checkFamily(make: (I: number, H: number, g: RandomGenerator) => AnyCell, numRuns = 8): void {
  let gathers = 0, scatters = 0;
  fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, batchFirst, withLengths, xGrad, seed }) => {
    const g = new RandomGenerator(seed);
    const cell = make(input, hidden, g);
    const xs = oneHot(batchFirst ? [batch, time, input] : [time, batch, input], g, 'float64', xGrad);
    const h0 = mapRandom(cell.initialState(batch, { dtype: 'float64' }), g);
    const lengths = withLengths ? Array.from({ length: batch }, () => 1 + Math.floor(g.uniform() * time)) : undefined;
    const opts = { reverse, batchFirst, ...(lengths ? { lengths } : {}) };
    const params = cell.parameters();
    const want = runAll(composed(cell), params, xs, h0, opts, seed);
    const got = counted(() => runAll(compileCell(cell), params, xs, h0, opts, seed));
    gathers += got.gathers;
    scatters += got.scatters;
    const err = maxError(got.result, want);
    if (!(err <= 1e-10)) throw new Error(`one-hot compiled vs composed differ by ${err} (${JSON.stringify({ batch, time, input, hidden, xGrad, ...opts })})`);
  }), { seed: SEED, numRuns });
  // The path under test did run (each run projects, and backward scatters for a weight that wants a gradient).
  expect(gathers).toBeGreaterThanOrEqual(numRuns);
  expect(scatters).toBeGreaterThanOrEqual(numRuns);
}

const f64 = { dtype: 'float64' as const };

/**
 * h' = tanh(LN(x·Wᵀ) + relu(x·D) ⊙ h + h·Uᵀ): both input products feed other ops on x alone, so they are
 * hoisted as recorded ops (not the compiled op's own projections) — one transB, one not.
 */
class NormedInputRNN extends Module {
  readonly outputSize: number;
  readonly w: Parameter; readonly d: Parameter; readonly u: Parameter; readonly ln: LayerNorm;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator) {
    super();
    this.outputSize = hiddenSize;
    const p = (shape: number[]) => new Parameter(K.randUniform(shape, -0.6, 0.6, { dtype: 'float64', generator: g }));
    this.w = this.registerParameter('w', p([hiddenSize, inputSize]));
    this.d = this.registerParameter('d', p([inputSize, hiddenSize]));
    this.u = this.registerParameter('u', p([hiddenSize, hiddenSize]));
    this.ln = this.registerModule('ln', new LayerNorm(hiddenSize, f64));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize], f64)) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = state.h;
    const next = tanh(this.ln.forward(matmul(x, this.w, { transB: true })).add(relu(matmul(x, this.d)).mul(h)).add(matmul(h, this.u, { transB: true })));
    return { state: { h: next }, output: next };
  }
}

describe('compileCell on one-hot input: compiled = composed to 1e-10 (float64)', () => {
  it('RNNCell tanh and relu (bias folded into the gathered projection)', () => {
    checkFamily((I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, generator: g, ...f64 }));
    checkFamily((I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', generator: g, ...f64 }), 5);
  });
  it('a minimal gated unit (two projections, one group) and a user LSTM', () => {
    checkFamily((I, H, g) => new MGU(I, H, g), 6);
    checkFamily((I, H, g) => new UserLSTM(I, H, g), 5);
  });
  it('projections of both orientations, sliced, biases folded, a frozen member (per-member gradients)', () => {
    checkFamily((I, H, g) => new ManyProjections(I, H, g), 6);
    checkFamily((I, H, g) => new ManyProjections(I, H, g, 'float64', true), 6);
  });
  it('projections that feed other hoisted ops (a layer norm of x·Wᵀ, a relu of x·D): the one-hot matmul op', () => {
    checkFamily((I, H, g) => new NormedInputRNN(I, H, g), 8);
    checkFamily((I, H, g) => new LayerNormLSTM(I, H, g), 4);
  });
  it('a compiled stack (only the first layer sees one-hot input)', () => {
    checkFamily((I, H, g) => stackCells([new MGU(I, H, g), new IndRNN(H, H, g)]) as AnyCell, 5);
  });
  it('bidirectional and stackLayers of compiled cells (lengths, batch-first)', () => {
    const g = new RandomGenerator(11);
    const cells = [new MGU(6, 4, g), new UserLSTM(6, 4, g), new IndRNN(8, 2, g), new MGU(8, 2, g)];
    const xs = oneHot([3, 5, 6], g, 'float64', true);
    const params = cells.flatMap((c) => c.parameters());
    const run = (compiled: boolean) => {
      const k = (x: AnyCell) => (compiled ? compileCell(x) : x);
      for (const p of params) p.grad = null;
      xs.grad = null;
      const r = stackLayers([bidirectional(k(cells[0]!), k(cells[1]!)), bidirectional(k(cells[2]!), k(cells[3]!))])
        .run(xs, { batchFirst: true, lengths: [5, 2, 4] });
      sum(mul(r.outputs, rand(r.outputs.shape, new RandomGenerator(3)))).backward();
      return [[...r.outputs.values()], [...xs.grad!.values()], ...params.map((p) => [...p.grad!.values()])];
    };
    const got = counted(() => run(true));
    expect(got.gathers).toBeGreaterThanOrEqual(2); // both directions of the first layer
    expect(maxError(got.result, run(false))).toBeLessThanOrEqual(1e-10);
  });
});

/** Outputs, final state and parameter gradients of sum(outputs ⊙ dY) through the compiled cell, the one-hot path on or off. */
function float32Run(cell: AnyCell, xs: Tensor, on: boolean, dY: Tensor, verify = false): { values: number[][]; gathers: number; scatters: number } {
  const before = setOneHotPath(on);
  try {
    const params = cell.parameters();
    for (const p of params) p.grad = null;
    const { result, gathers, scatters } = counted(() => {
      const r = unroll(compileCell(cell, { verify }), xs);
      sum(mul(r.outputs, dY)).backward();
      return [[...r.outputs.values()], ...stateTensors(r.state).map(([, t]) => [...t.values()]), ...params.map((p) => [...p.grad!.values()])];
    });
    return { values: result, gathers, scatters };
  } finally {
    setOneHotPath(before);
  }
}

/**
 * Largest |a − b| relative to max(1, the largest finite |b| of that tensor) (as `verify` measures); NaN/±∞
 * must sit at the same places with the same value.
 */
function relError(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((x, i) => {
    const scale = b[i]!.reduce((s, w) => (Number.isFinite(w) ? Math.max(s, Math.abs(w)) : s), 1);
    x.forEach((v, j) => {
      const w = b[i]![j]!;
      if (!Number.isFinite(v) || !Number.isFinite(w)) { if (!Object.is(v, w) && !(Number.isNaN(v) && Number.isNaN(w))) m = Infinity; return; }
      m = Math.max(m, Math.abs(v - w) / scale);
    });
  });
  return m;
}

describe('compileCell on one-hot input in float32: the path on = off', () => {
  // W1's shapes, shortened: one-hot 65 → 256, batch 32, 40 steps (T·B·H ≥ 2¹⁸: the row kernels split).
  const T = 40, B = 32, I = 65, H = 256;
  const makers: [string, (g: RandomGenerator) => AnyCell][] = [
    ['RNNCell tanh', (g) => new RNNCell({ inputSize: I, hiddenSize: H, generator: g, dtype: 'float32' })],
    ['minimal gated unit', (g) => new MGU(I, H, g, 'float32')],
  ];
  for (const [name, make] of makers) {
    for (const threads of [1, 2]) {
      it(`${name}, ${threads} thread(s): outputs and state bit for bit, gradients to rounding`, () => {
        setNumThreads(threads);
        const g = new RandomGenerator(7);
        const cell = make(g);
        const xs = oneHot([T, B, I], g, 'float32');
        const dY = rand([T, B, H], g, { dtype: 'float32' });
        const on = float32Run(cell, xs, true, dY), off = float32Run(cell, xs, false, dY);
        expect(on.gathers).toBe(1);
        expect(on.scatters).toBe(1);
        expect(off.gathers + off.scatters).toBe(0);
        const nState = on.values.length - 1 - cell.parameters().length;
        for (let k = 0; k <= nState; k++) expect(on.values[k]).toEqual(off.values[k]);
        // dW: float64 sums of 1280 rows against the float32 gemm's.
        expect(relError(on.values, off.values)).toBeLessThanOrEqual(2e-5);
      });
    }
  }

  it('a non-finite weight or gradient takes the gemm: the same NaN and ∞ as with the path off', () => {
    const g = new RandomGenerator(9);
    const cell = new MGU(8, 8, g, 'float32');
    const xs = oneHot([6, 4, 8], g, 'float32');
    // A NaN in a column of wf no row picks: the gemm makes NaN of 0·NaN, so every output must be NaN.
    const used = new Set<number>();
    (xs.data.data as Float32Array).forEach((v, i) => { if (v === 1) used.add(i % 8); });
    const col = [...Array(8).keys()].find((i) => !used.has(i)) ?? 0;
    const dY = rand([6, 4, 8], g, { dtype: 'float32' });
    const wf = cell.wf.data.data as Float32Array, saved = wf[col]!;
    wf[col] = NaN;
    const on = float32Run(cell, xs, true, dY), off = float32Run(cell, xs, false, dY);
    expect(on.values[0]!.every(Number.isNaN)).toBe(true);
    expect(relError(on.values, off.values)).toBe(0);
    wf[col] = saved;
    // An infinite output gradient: dX is not finite, dW comes from the gemm (with its NaN from 0·∞).
    const inf = Float32Array.from(dY.data.data as Float32Array);
    inf[5] = Infinity;
    const dInf = new Tensor(K.fromData(inf, [6, 4, 8]));
    const on2 = float32Run(cell, xs, true, dInf), off2 = float32Run(cell, xs, false, dInf);
    expect(on2.scatters).toBe(1);
    expect(on2.values.flat().some((v) => !Number.isFinite(v))).toBe(true);
    expect(relError(on2.values, off2.values)).toBe(0);
  });

  it('verify (on by default) passes on one-hot input, float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const g = new RandomGenerator(13);
      const cell = new RNNCell({ inputSize: 9, hiddenSize: 8, generator: g, dtype });
      const xs = oneHot([20, 5, 9], g, dtype);
      const dY = rand([20, 5, 8], g, { dtype });
      const run = float32Run(cell, xs, true, dY, true);
      expect(run.gathers).toBeGreaterThanOrEqual(1);
    }
  });
});
