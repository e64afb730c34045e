// The input side of a fused sequence op when x is one-hot (every row a single 1 and zeros elsewhere, or
// all zeros — characters or tokens fed as one-hot vectors): x·W_ihᵀ is then a gather of W_ih's columns
// and dW_ih a scatter-add of dG's rows, O(T·B·G) work instead of the gemms' O(T·B·I·G).
//
// The values are the gemm's up to the order of a float sum: the gemm adds the same nonzero terms plus
// products with zero. Those products are zero only while the other factor is finite (0·∞ = NaN), so a
// W_ih or a dG that is not all finite takes the gemm, which spreads the NaN as it always did.
import * as K from '@unroll/core';
import type { FloatArray, NdArray } from '@unroll/core';
import { newArray, wrap } from './common.js';
import type { SequenceData } from './common.js';
import { scratch, scratchZeros64 } from './scratch.js';
import type { PointwiseWasm } from './wasm/runtime.js';
import { partsFor, scatterAddRows, wasmAddress } from './wasm/row-ops.js';

let enabled = true;

/**
 * Switches the one-hot gather and scatter on (default) or off (the gemms always), for tests and
 * benchmarks that compare the two. Returns the previous setting.
 */
export function setOneHotPath(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/**
 * The hot column of each row of X [rows, I] (−1 for an all-zero row) when every row is one-hot or all
 * zeros; null as soon as a row is not (a value other than 0 and 1, or a second 1), or when the path is
 * switched off. One pass over X.
 */
export function oneHotRows(X: FloatArray, rows: number, I: number): Int32Array | null {
  if (!enabled) return null;
  let hot: Int32Array | null = null;
  for (let r = 0, p = 0; r < rows; r++) {
    let h = -1;
    for (let i = 0; i < I; i++, p++) {
      const v = X[p]!;
      if (v === 0) continue;
      if (v !== 1 || h >= 0) return null;
      h = i;
    }
    // Allocated after the first row passed, so a dense x costs a glance at one row.
    hot ??= new Int32Array(rows);
    hot[r] = h;
  }
  return hot;
}

/** Whether every value of `a` is finite. */
function allFinite(a: FloatArray): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** Writes W_ihᵀ [I, G] (of W_ih [G, I]) into wt from wt[at]. */
function transposeInto(Wih: FloatArray, G: number, I: number, wt: FloatArray, at: number): void {
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < I; i++) wt[at + i * G + g] = Wih[g * I + i]!;
  }
}

/**
 * Whether x·W_ihᵀ can be a gather of W_ihᵀ's rows (x one-hot and W_ih finite, the conditions of
 * `inputProjection`'s gather); then writes W_ihᵀ [I, G] (float32) into heap[tableAt..] and the hot column
 * of every row into heap's bytes from float offset hotAt (int32 [T·B]), for a kernel that gathers a
 * step's rows just before the step needs them (see wasm-loops.ts).
 */
export function gatherTable(s: SequenceData, G: number, heap: Float32Array, tableAt: number, hotAt: number): boolean {
  const { T, B, I, Wih, hot } = s;
  if (hot === null || !allFinite(Wih)) return false;
  transposeInto(Wih, G, I, heap, tableAt);
  new Int32Array(heap.buffer, heap.byteOffset + 4 * hotAt, T * B).set(hot);
  return true;
}

/**
 * out[at..] [T·B, G] = X·W_ihᵀ for every step at once: a gather of W_ih's columns when `s.hot` says x is
 * one-hot and W_ih is finite, else one gemm [T·B, I]·[I, G]. G is W_ih's row count. The gather runs as a
 * WebAssembly kernel on `w`'s threads when `out` lives in its memory.
 */
export function inputProjection(s: SequenceData, G: number, out: FloatArray, at: number, w: PointwiseWasm | null = null): void {
  const { T, B, I, X, Wih, hot } = s;
  const TB = T * B;
  if (hot === null || !allFinite(Wih)) {
    K.gemm(false, true, TB, G, I, 1, X, 0, I, Wih, 0, I, 0, out, at, G);
    return;
  }
  const outAt = wasmAddress(w, out, at, G);
  // W_ihᵀ [I, G] once, so each row is one contiguous copy.
  const region = outAt >= 0 ? w!.rt.alloc(I * G + TB) : null;
  if (region) {
    // (Allocating may grow the memory: `out` is used by its address from here.)
    const rt = w!.rt, heap = rt.view(region), tableAt = region.at, hotAt = region.at + 4 * I * G;
    transposeInto(Wih, G, I, heap, 0);
    new Int32Array(heap.buffer, hotAt, TB).set(hot);
    rt.run([{ kernel: w!.gatherRows, args: [TB, 4 * G, tableAt, hotAt, outAt] }], partsFor(w!, TB * G, TB));
    rt.free(region);
    return;
  }
  const wt = scratch('onehot.wt', s.dtype, I * G);
  transposeInto(Wih, G, I, wt, 0);
  for (let r = 0; r < TB; r++) {
    const h = hot[r]!, o = at + r * G;
    if (h < 0) out.fill(0, o, o + G);
    else out.set(wt.subarray(h * G, h * G + G), o);
  }
}

/**
 * dW_ih [G, I] = dGᵀ·X over every step at once (dG [T·B, G] at dG[at..], row stride G): a scatter-add of
 * dG's rows into their hot columns (summed in float64) when x is one-hot and dG finite, else one gemm
 * [G, T·B]·[T·B, I].
 */
export function weightIhGrad(s: SequenceData, dG: FloatArray, at: number, G: number, w: PointwiseWasm | null = null): NdArray {
  const { T, B, I } = s;
  const dw = newArray(s.dtype, G * I);
  // The WebAssembly scatter-add when dG lives in the kernel memory (the same sums), else the JS loop.
  const hot = s.hot;
  if (hot === null || !(scatterAddRows(w, hot, T * B, G, dG, at, I, (acc) => transposeSums(acc, I, G, dw))
    ?? scatterRows(hot, T * B, I, G, dG, at, dw))) {
    K.gemm(true, false, G, I, T * B, 1, dG, at, G, s.X, 0, I, 0, dw, 0, I);
  }
  return wrap(dw, [G, I]);
}

/**
 * Transposes the float64 sums acc [I, G] into dw [G, I]; false (dw then garbage) when a sum is not finite:
 * every dG value lands in some sum, so that catches any non-finite dG.
 */
function transposeSums(acc: Float64Array, I: number, G: number, dw: FloatArray): boolean {
  for (let i = 0; i < I; i++) {
    for (let g = 0; g < G; g++) {
      const v = acc[i * G + g]!;
      if (!Number.isFinite(v)) return false;
      dw[g * I + i] = v;
    }
  }
  return true;
}

/**
 * dw [G, I] = Σ_r dG[r]ᵀ·e_{hot[r]}: every row of dG added into the row of an [I, G] float64 sum its hot
 * column picks, then transposed into dw. False (dw then garbage) when a sum is not finite.
 */
function scatterRows(hot: Int32Array, rows: number, I: number, G: number, dG: FloatArray, at: number, dw: FloatArray): boolean {
  const acc = scratchZeros64('onehot.acc', I * G);
  for (let r = 0; r < rows; r++) {
    const h = hot[r]!;
    if (h < 0) continue;
    const o = h * G, p = at + r * G;
    // NOTE: unrolled by four: V8 then runs this loop about twice as fast.
    let g = 0;
    for (; g + 4 <= G; g += 4) {
      acc[o + g] += dG[p + g]!;
      acc[o + g + 1] += dG[p + g + 1]!;
      acc[o + g + 2] += dG[p + g + 2]!;
      acc[o + g + 3] += dG[p + g + 3]!;
    }
    for (; g < G; g++) acc[o + g] += dG[p + g]!;
  }
  return transposeSums(acc, I, G, dw);
}
