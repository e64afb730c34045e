// Checks the packed gemm against the naive triple loop: every transpose, stride, offset, alpha/beta
// and dtype, sizes across the block and micro-tile edges, and beta = 0 ignoring NaN in C.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemm, gemmNaive, setGemmBackend, type FloatArray } from '../src/kernels/gemm.js';
import {
  SEED, base, gemmArgs, inWindow, layouts, scalar, storedLayout, uniform, type GemmProblem, type Operands,
} from './gemm-helpers.js';

type DType = 'float32' | 'float64';
// Error bound relative to |alpha|·|op(A)|·|op(B)| + |beta|·|C|, so cancellation cannot fail a correct sum.
const TOL: Record<DType, number> = { float64: 1e-12, float32: 1e-5 };

interface Problem extends GemmProblem {
  dtype: DType;
}

/** Random A, B and C in the stored layout (op(A) is [m, k]: A is [k, m] when transposed). */
function operands(p: Problem): Operands {
  const Arr = p.dtype === 'float32' ? Float32Array : Float64Array;
  const next = uniform(p.dataSeed);
  const { aRows, bRows, lda, ldb, ldc } = storedLayout(p);
  const fill = (len: number): FloatArray => {
    const x = new Arr(len);
    for (let i = 0; i < len; i++) x[i] = next();
    return x;
  };
  return {
    a: fill(p.offA + aRows * lda), lda,
    b: fill(p.offB + bRows * ldb), ldb,
    c: fill(p.offC + p.m * ldc + 3), ldc,
  };
}

/** Runs gemm and the oracle on copies of the same C and checks them element by element. */
function check(p: Problem, o: Operands = operands(p)): void {
  const got = o.c.slice(), want = o.c.slice();
  gemm(...gemmArgs(p, o, got));
  gemmNaive(...gemmArgs(p, o, want));
  // The same product on absolute values bounds the rounding error of each entry.
  const scale = o.c.map(Math.abs);
  gemmNaive(...gemmArgs(p, o, scale, Math.abs(p.alpha), Math.abs(p.beta), o.a.map(Math.abs), o.b.map(Math.abs)));
  for (let q = 0; q < got.length; q++) {
    if (!inWindow(p, o.ldc, q)) {
      // Entries outside the [m, n] window (offset, row padding, tail) must be left alone.
      expect(got[q], `C[${q}] is outside the window`).toBe(o.c[q]);
    } else if (Math.abs(got[q] - want[q]) > TOL[p.dtype] * scale[q] + 1e-300) {
      expect.fail(`C[${q}]: gemm ${got[q]}, naive ${want[q]} (scale ${scale[q]}) for ${JSON.stringify(p)}`);
    }
  }
}

const size = fc.integer({ min: 0, max: 70 });
const pad = fc.integer({ min: 0, max: 5 });
const offset = fc.integer({ min: 0, max: 7 });
const problem: fc.Arbitrary<Problem> = fc.record({
  transA: fc.boolean(), transB: fc.boolean(),
  m: size, n: size, k: size,
  alpha: scalar, beta: scalar,
  padA: pad, padB: pad, padC: pad,
  offA: offset, offB: offset, offC: offset,
  dtype: fc.constantFrom<DType>('float32', 'float64'),
  dataSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

const name = (transA: boolean, transB: boolean) => `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;

// Every case runs on both float32 backends (float64 always takes the JS kernel).
describe.each(['js', 'wasm'] as const)('gemm (%s backend)', (backend) => {
  beforeAll(() => setGemmBackend(backend));
  afterAll(() => setGemmBackend('auto'));

  it('matches gemmNaive for random sizes, transposes, strides, offsets, alpha and beta', () => {
    fc.assert(fc.property(problem, (p) => check(p)), { seed: SEED, numRuns: 100 });
  });

  it.each(layouts)('matches gemmNaive at 200×300×150, transA=%s transB=%s', (transA, transB) => {
    for (const dtype of ['float32', 'float64'] as const) {
      check({ ...base, transA, transB, m: 200, n: 300, k: 150, alpha: 0.75, beta: -0.5, padA: 3, offC: 5, dtype });
    }
  });

  it.each(layouts)('matches gemmNaive past every cache block (70×1030×520), transA=%s transB=%s', (transA, transB) => {
    // m > MC, n > NC and k > 2·KC, none a multiple of its block, so every ragged edge is visited.
    check({ ...base, transA, transB, m: 70, n: 1030, k: 520, alpha: -1.25, beta: 1, padB: 2, dtype: 'float64' });
  });

  it('with beta = 0 overwrites C without reading it (NaN there is ignored)', () => {
    // Sizes cover the packed path, its ragged edges and the few-rows / few-columns path.
    const sizes = [[1, 9, 5], [9, 2, 5], [37, 45, 29], [64, 64, 64]] as const;
    for (const [transA, transB] of layouts) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [m, n, k] of sizes) {
          const p: Problem = { ...base, transA, transB, m, n, k, alpha: 1.5, padC: 2, offC: 1, dtype };
          const o = operands(p);
          for (let i = 0; i < m; i++) o.c.fill(NaN, p.offC + i * o.ldc, p.offC + i * o.ldc + n);
          check(p, o);
          const c = o.c.slice();
          gemm(transA, transB, m, n, k, 1.5, o.a, 0, o.lda, o.b, 0, o.ldb, 0, c, p.offC, o.ldc);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) expect(Number.isFinite(c[p.offC + i * o.ldc + j]), `${name(transA, transB)} C[${i}, ${j}]`).toBe(true);
          }
        }
      }
    }
  });

  it('with k = 0 or alpha = 0 only scales C by beta', () => {
    const c = Float64Array.of(1, 2, 3, 4, NaN);
    const empty = new Float64Array(0);
    gemm(false, false, 2, 2, 0, 1, empty, 0, 0, empty, 0, 2, 3, c, 0, 2);
    expect([...c]).toEqual([3, 6, 9, 12, NaN]);
    gemm(false, false, 2, 2, 1, 0, empty, 0, 1, empty, 0, 2, 0, c, 0, 2);
    expect([...c]).toEqual([0, 0, 0, 0, NaN]);
  });
});
