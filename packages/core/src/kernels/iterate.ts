// The strided walk shared by broadcasting kernels and strided copies: visit every element of an
// output shape while tracking each input's offset (stride 0 on a broadcast axis).
//
// Why our own loops and not ndarray-ops: ndarray-ops (cwise) compiles its loops with `new Function`,
// which a page under a strict Content-Security-Policy (`script-src 'self'`) refuses, and core must
// run there (packages/web-demo tests it). Measured anyway (packages/core/bench/ndarray-ops.bench.ts,
// float32 transposed [n, n] views, one run on a 2-core machine at load ~12, ours / ndarray-ops time):
//   copy view → new array   64: 4.4   4096: 21    262144: 2.0   (ours allocates the result; theirs fills a given one)
//   copy view → view        64: 22    4096: 0.99  262144: 1.7
//   fill a view             64: 1.2   4096: 1.3   262144: 3.1
//   exp / add of views      64: 8.5 / 2.1   4096: 11 / 13   262144: 1.7 / 2.8
// ndarray-ops is faster on strided work (its loops are specialised per layout, and it writes into
// a given output), but not at a price a browser page can pay; the hot paths (gemm, fused cells,
// contiguous elementwise) never take a strided walk.
import type { Shape } from '../shape.js';

/**
 * Calls `inner(offsets, n, innerStrides)` once per run of the last axis: `offsets[j]` is
 * input j's flat index at the start of the run, `innerStrides[j]` its step along the run.
 * Callers write their tight loop inside `inner`, so the per-element cost stays a loop body.
 */
export function forEachRun(
  shape: Shape,
  strides: readonly (readonly number[])[],
  inner: (offsets: number[], n: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  const inputs = strides.length;
  const offsets = new Array<number>(inputs).fill(0);
  if (shape.some((d) => d === 0)) return;
  if (rank === 0) {
    inner(offsets, 1, new Array<number>(inputs).fill(0));
    return;
  }
  const n = shape[rank - 1]!;
  const innerStrides = strides.map((s) => s[rank - 1]!);
  const index = new Array<number>(rank).fill(0);
  let runs = 1;
  for (let d = 0; d < rank - 1; d++) runs *= shape[d]!;
  for (let r = 0; r < runs; r++) {
    inner(offsets, n, innerStrides);
    // Odometer over the leading axes.
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        for (let j = 0; j < inputs; j++) offsets[j]! += strides[j]![d]!;
        break;
      }
      for (let j = 0; j < inputs; j++) offsets[j]! -= strides[j]![d]! * (shape[d]! - 1);
      index[d] = 0;
    }
  }
}
