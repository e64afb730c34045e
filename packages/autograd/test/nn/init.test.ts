// init: each initializer's distribution and bounds as torch computes them, in-place filling,
// fast orthogonal init (square, wide, tall, ≥ 3-D), and clear errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Parameter, Tensor, init, manualSeed, zeros } from '@unroll/autograd';
import { SEED, expectClose, flat } from './helpers.js';

const stats = (v: number[]) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length), maxAbs: Math.max(...v.map(Math.abs)) };
};

/** Max |(WᵀW or WWᵀ) − I| over the smaller Gram matrix of W [rows, cols] (row-major). */
function orthogonalityError(w: number[], rows: number, cols: number): number {
  let err = 0;
  const n = Math.min(rows, cols);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (rows >= cols) for (let k = 0; k < rows; k++) s += w[k * cols + i]! * w[k * cols + j]!;
      else for (let k = 0; k < cols; k++) s += w[i * cols + k]! * w[j * cols + k]!;
      err = Math.max(err, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return err;
}

describe('init', () => {
  it('fills in place and returns the same tensor', () => {
    const p = new Parameter(K.zeros([3, 4]));
    const before = p.data;
    expect(init.uniform(p, -1, 1)).toBe(p);
    expect(p.data).toBe(before);
    expect(flat(p).every((v) => v >= -1 && v < 1 && v !== 0)).toBe(true);
    expect(init.constant(p, 2.5)).toBe(p);
    expect(flat(p)).toEqual(Array(12).fill(2.5));
    expect(flat(init.zeros(p))).toEqual(Array(12).fill(0));
    expect(flat(init.ones(p))).toEqual(Array(12).fill(1));
  });

  it('draws uniform and normal with the given parameters, reproducibly from a generator or manualSeed', () => {
    const u = stats(flat(init.uniform(zeros([100, 100], { dtype: 'float64' }), 2, 4, { generator: new RandomGenerator(1) })));
    expect(u.mean).toBeCloseTo(3, 1);
    expect(u.std).toBeCloseTo(2 / Math.sqrt(12), 2);
    const n = stats(flat(init.normal(zeros([100, 100], { dtype: 'float64' }), -1, 0.5, { generator: new RandomGenerator(1) })));
    expect(n.mean).toBeCloseTo(-1, 1);
    expect(n.std).toBeCloseTo(0.5, 1);
    manualSeed(123);
    const a = flat(init.normal(zeros([5])));
    manualSeed(123);
    expect(flat(init.normal(zeros([5])))).toEqual(a);
    expect(flat(init.normal(zeros([5]), 0, 1, { generator: new RandomGenerator(8) }))).toEqual(flat(init.normal(zeros([5]), 0, 1, { generator: new RandomGenerator(8) })));
  });

  it('eye puts ones on the diagonal, also when not square', () => {
    expect(init.eye(zeros([2, 3])).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(init.eye(zeros([3, 2])).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
  });

  it('computes fans and gains as torch', () => {
    expect(init.fans([8, 4])).toEqual({ fanIn: 4, fanOut: 8 });
    expect(init.fans([8, 4, 3, 3])).toEqual({ fanIn: 36, fanOut: 72 });
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBe(5 / 3);
    expect(init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });

  it('xavier and kaiming use the right bound or std', () => {
    const g = () => ({ generator: new RandomGenerator(4) });
    const [out, inn] = [300, 200];
    const xu = stats(flat(init.xavierUniform(zeros([out, inn], { dtype: 'float64' }), { gain: 2, ...g() })));
    const xBound = 2 * Math.sqrt(6 / (out + inn));
    expect(xu.maxAbs).toBeLessThanOrEqual(xBound);
    expect(xu.maxAbs).toBeGreaterThan(0.99 * xBound);
    const xn = stats(flat(init.xavierNormal(zeros([out, inn], { dtype: 'float64' }), g())));
    expect(xn.std).toBeCloseTo(Math.sqrt(2 / (out + inn)), 3);
    const ku = stats(flat(init.kaimingUniform(zeros([out, inn], { dtype: 'float64' }), { a: Math.sqrt(5), ...g() })));
    expect(ku.maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(inn)); // Linear's default: U(−1/√in, 1/√in)
    expect(ku.maxAbs).toBeGreaterThan(0.99 / Math.sqrt(inn));
    const kuOut = stats(flat(init.kaimingUniform(zeros([out, inn], { dtype: 'float64' }), { mode: 'fanOut', nonlinearity: 'relu', ...g() })));
    expect(kuOut.maxAbs).toBeLessThanOrEqual(Math.sqrt(2) * Math.sqrt(3 / out));
    expect(kuOut.maxAbs).toBeGreaterThan(0.99 * Math.sqrt(2) * Math.sqrt(3 / out));
    const kn = stats(flat(init.kaimingNormal(zeros([out, inn, 2], { dtype: 'float64' }), { nonlinearity: 'relu', ...g() })));
    expect(kn.std).toBeCloseTo(Math.SQRT2 / Math.sqrt(inn * 2), 3);
  });

  it('orthogonal gives orthonormal rows or columns for any shape, scaled by gain', () => {
    const shapes = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 2 }), fc.constantFrom(1, 0.5, 2));
    fc.assert(fc.property(shapes, fc.nat(1000), ([rows, trailing, gain], seed) => {
      const t = init.orthogonal(zeros([rows, ...trailing], { dtype: 'float64' }), { gain, generator: new RandomGenerator(seed) });
      const cols = trailing.reduce((p, d) => p * d, 1);
      const w = flat(t).map((v) => v / gain);
      expect(orthogonalityError(w, rows, cols)).toBeLessThan(1e-12);
    }), { seed: SEED, numRuns: 60 });
  });

  it('orthogonal is exact across several Householder blocks (32 columns each, a ragged last one)', () => {
    for (const shape of [[70, 40], [40, 100], [65, 65], [33, 2, 17]]) {
      const rows = shape[0]!, cols = shape.slice(1).reduce((p, d) => p * d, 1);
      const w = flat(init.orthogonal(zeros(shape, { dtype: 'float64' }), { generator: new RandomGenerator(rows) }));
      expect(orthogonalityError(w, rows, cols), K.fmt(shape)).toBeLessThan(1e-12);
    }
  });

  it('orthogonal is reproducible and sign-corrected as torch (R = WᵀA has a positive diagonal)', () => {
    const a = flat(init.orthogonal(zeros([5, 5], { dtype: 'float64' }), { generator: new RandomGenerator(3) }));
    const b = flat(init.orthogonal(zeros([5, 5], { dtype: 'float64' }), { generator: new RandomGenerator(3) }));
    expect(a).toEqual(b);
    // With Q's columns sign-fixed by diag(R) > 0, R = Qᵀ A has a positive diagonal for the drawn A.
    const g = new RandomGenerator(3);
    const draw = Array.from({ length: 25 }, () => g.normal());
    for (let j = 0; j < 5; j++) {
      let r = 0;
      for (let i = 0; i < 5; i++) r += a[i * 5 + j]! * draw[i * 5 + j]!;
      expect(r).toBeGreaterThan(0);
    }
  });

  it('orthogonal fills a float32 1024 × 1024 weight quickly', () => {
    const t0 = performance.now();
    const w = init.orthogonal(zeros([1024, 1024]), { generator: new RandomGenerator(11) });
    const ms = performance.now() - t0;
    console.log(`init.orthogonal 1024 × 1024 (float32): ${ms.toFixed(0)} ms`);
    // Spot-check orthonormality on a few column pairs (the full Gram matrix would cost more than the init).
    const v = w.values();
    for (const [i, j] of [[0, 0], [0, 1], [17, 1023], [512, 512]] as const) {
      let s = 0;
      for (let k = 0; k < 1024; k++) s += v[k * 1024 + i]! * v[k * 1024 + j]!;
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-5);
    }
  });

  it('rejects int32 and misshaped tensors, and bad arguments', () => {
    const i32 = zeros([3, 3], { dtype: 'int32' });
    expect(() => init.uniform(i32)).toThrow('init.uniform: tensor must be float32 or float64; got int32');
    expect(() => init.orthogonal(i32)).toThrow('init.orthogonal: tensor must be float32 or float64; got int32');
    expect(() => init.zeros(i32)).toThrow('init.zeros: tensor must be float32 or float64; got int32');
    expect(() => init.xavierUniform(zeros([5]))).toThrow('init.xavierUniform: fan in and fan out need a tensor of rank ≥ 2 ([out, in, ...]); got [5]');
    expect(() => init.kaimingNormal(zeros([]))).toThrow('init.kaimingNormal: fan in and fan out need a tensor of rank ≥ 2 ([out, in, ...]); got []');
    expect(() => init.fans([3])).toThrow('init.fans: fan in and fan out need a tensor of rank ≥ 2 ([out, in, ...]); got [3]');
    expect(() => init.orthogonal(zeros([4]))).toThrow('init.orthogonal: tensor must have rank ≥ 2 ([rows, cols, ...]); got [4]');
    expect(() => init.eye(zeros([2, 2, 2]))).toThrow('init.eye: tensor must be 2-D [rows, cols]; got [2, 2, 2]');
    expect(() => init.uniform(zeros([2]), 1, 0)).toThrow('init.uniform: low (1) must not exceed high (0)');
    expect(() => init.normal(zeros([2]), 0, -1)).toThrow('init.normal: std must be ≥ 0; got -1');
    expect(() => init.normal(zeros([2]), Number.NaN)).toThrow('init.normal: mean must be a finite number; got NaN');
    expect(() => init.kaimingUniform(zeros([2, 2]), { mode: 'fan_in' as 'fanIn' })).toThrow("init.kaimingUniform: mode must be 'fanIn' or 'fanOut'; got 'fan_in'");
    expect(() => init.calculateGain('gelu' as 'relu')).toThrow("init.calculateGain: unknown nonlinearity 'gelu'; expected one of linear, conv1d");
    expect(() => init.orthogonal(zeros([2, 2]), { gain: Infinity })).toThrow('init.orthogonal: gain must be a finite number; got Infinity');
    expect(() => init.constant(zeros([2]), Number.NaN)).toThrow('init.constant: value must be a number; got NaN');
    expect(() => init.ones([1, 2] as never)).toThrow('init.ones: expected a Tensor or Parameter; got Array');
    expect(init.orthogonal(zeros([0, 3]))).toBeInstanceOf(Tensor); // zero elements: nothing to fill
  });
});

describe('init on a tensor that is not a leaf parameter', () => {
  it('writes through to plain tensors of either float dtype', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const t = init.eye(zeros([2, 2], { dtype }));
      expect(t.dtype).toBe(dtype);
      expectClose(t, [1, 0, 0, 1]);
    }
  });
});
