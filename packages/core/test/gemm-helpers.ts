// What gemm.test.ts and gemm-wasm.test.ts share: a gemm problem, its seeded entries, the stored layout of
// its operands, the argument list of a call, the window of C a call may write, and the cases drawn from.
import fc from 'fast-check';
import type { FloatArray } from '../src/kernels/gemm.js';

export const SEED = 42;

/** One gemm call C ← alpha·op(A)·op(B) + beta·C, described by its sizes and layout. */
export interface GemmProblem {
  transA: boolean; transB: boolean;
  m: number; n: number; k: number;
  alpha: number; beta: number;
  /** Extra leading-dimension padding and start offsets, so strides and offsets are exercised. */
  padA: number; padB: number; padC: number;
  offA: number; offB: number; offC: number;
  /** Seed for the matrix entries (drawn here rather than by fast-check, which is slow for 10⁴ numbers). */
  dataSeed: number;
}

/** The operands of a problem as stored: A, B and C with their leading dimensions. */
export interface Operands<A extends FloatArray = FloatArray> {
  a: A; lda: number; b: A; ldb: number; c: A; ldc: number;
}

/** mulberry32: a tiny seeded PRNG giving uniform values in [-1, 1). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 31) - 1;
  };
}

/** The stored shapes of A and B (op(A) is [m, k]: A is [k, m] when transposed) and the leading dimensions. */
export function storedLayout(p: GemmProblem) {
  const [aRows, aCols] = p.transA ? [p.k, p.m] : [p.m, p.k];
  const [bRows, bCols] = p.transB ? [p.n, p.k] : [p.k, p.n];
  return { aRows, aCols, bRows, bCols, lda: aCols + p.padA, ldb: bCols + p.padB, ldc: p.n + p.padC };
}

/**
 * The arguments of gemm for `p` on operands `o` writing `c`; alpha, beta, A and B can be swapped (the
 * absolute-value product that bounds the rounding error uses |alpha|, |beta|, |A| and |B|).
 */
export function gemmArgs(p: GemmProblem, o: Operands, c: FloatArray, alpha = p.alpha, beta = p.beta,
  a: FloatArray = o.a, b: FloatArray = o.b) {
  return [p.transA, p.transB, p.m, p.n, p.k, alpha, a, p.offA, o.lda, b, p.offB, o.ldb, beta, c, p.offC, o.ldc] as const;
}

/** Whether flat index q of C lies in the [m, n] window a call may write (not offset, row padding or tail). */
export function inWindow(p: GemmProblem, ldc: number, q: number): boolean {
  const r = q - p.offC, i = Math.floor(r / ldc), j = r - i * ldc;
  return r >= 0 && i < p.m && j < p.n;
}

/** alpha and beta: the special values 0, ±1 and any double in [−3, 3]. */
export const scalar = fc.oneof(
  fc.constantFrom(0, 1, -1),
  fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }),
);

/** The four [transA, transB] combinations. */
export const layouts = [[false, false], [false, true], [true, false], [true, true]] as const;

/** A fixed problem's defaults: no padding or offsets, alpha 1, beta 0. */
export const base = { alpha: 1, beta: 0, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, offC: 0, dataSeed: 7 };
