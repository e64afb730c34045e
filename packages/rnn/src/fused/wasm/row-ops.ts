// The JS side of the row kernels (row-kernels.ts): where they can run (data in the runtime's memory, rows
// a multiple of 4 floats), how many parts to split them into, and the scatter-add's float64 sums.
import type { FloatArray } from '@unroll/core';
import type { PointwiseWasm } from './runtime.js';

/**
 * The byte address of `a[at]` when `w` is given, `a` lives in its runtime's memory and rows of G floats
 * suit the SIMD kernels (G a multiple of 4); else −1 (then JS loops or a gemm run instead).
 */
export function wasmAddress(w: PointwiseWasm | null, a: FloatArray, at: number, G: number): number {
  return w !== null && a instanceof Float32Array && G % 4 === 0 ? w.rt.addressOf(a, at) : -1;
}

/** Parts to split `work` float moves into: the runtime's threads from 2¹⁸ of them (a copy that size is ~50 µs), at most `most`; else 1. */
export function partsFor(w: PointwiseWasm, work: number, most: number): number {
  return work < 1 << 18 ? 1 : Math.max(1, Math.min(w.rt.threads(), most));
}

/**
 * Σ of the rows of src [rows, G] (float32 at float offset `at` of an array in `w`'s memory) into
 * `targets` float64 rows: row r goes to row index[r] (skipped when negative), or to row 0 for every r when
 * index is null. `read(sums)` gets the sums [targets, G] (valid only during the call); its result is
 * returned. Null, running nothing, when the kernel cannot run here. The same sums at any thread count.
 */
export function scatterAddRows<R>(w: PointwiseWasm | null, index: Int32Array | null, rows: number, G: number, src: FloatArray,
  at: number, targets: number, read: (sums: Float64Array) => R): R | null {
  const srcAt = wasmAddress(w, src, at, G);
  const region = srcAt >= 0 ? w!.rt.alloc(2 * targets * G + rows) : null;
  if (!region) return null;
  const rt = w!.rt, sumsAt = region.at, indexAt = region.at + 8 * targets * G;
  try {
    new Float64Array(rt.f32().buffer, sumsAt, targets * G).fill(0);
    const ix = new Int32Array(rt.f32().buffer, indexAt, rows);
    if (index) ix.set(index);
    else ix.fill(0);
    rt.run([{ kernel: w!.scatterAddRows, args: [rows, G, srcAt, indexAt, sumsAt] }], partsFor(w!, rows * G, G / 4));
    return read(new Float64Array(rt.f32().buffer, sumsAt, targets * G));
  } finally {
    rt.free(region);
  }
}
