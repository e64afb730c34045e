// The strided walk shared by broadcasting kernels: visit every element of an output
// shape while tracking each input's offset (stride 0 on a broadcast axis).
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
