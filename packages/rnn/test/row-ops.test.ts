// The row kernels' scatter-add (wasm/row-ops.ts): float64 sums of float32 rows into rows picked by an
// index (the one-hot dW_ih) or all into one row (columnSums, the bias gradients), equal to the same sums
// in JS bit for bit at 1 and 2 threads, and columnSums through it equal to its gemm to float32 rounding.
import { afterEach, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { RandomGenerator } from '@unroll/autograd';
import { columnSums } from '../src/fused/common.js';
import { pointwiseWasm } from '../src/fused/wasm/runtime.js';
import { scatterAddRows } from '../src/fused/wasm/row-ops.js';
import { rand } from './helpers.js';

const threadsAtStart = getNumThreads();
afterEach(() => setNumThreads(threadsAtStart));
const w = pointwiseWasm();

describe.runIf(w !== null)('scatterAddRows', () => {
  // 700 rows of 388 floats: past 2¹⁸ float moves, so split over the threads (columns in multiples of 4).
  const rows = 700, G = 388, targets = 5, at = 12;
  const src = rand([rows, G], new RandomGenerator(1), { dtype: 'float32' }).data.data as Float32Array;
  const g = new RandomGenerator(2);
  const index = Int32Array.from({ length: rows }, () => g.int(targets + 1) - 1); // −1: skipped

  /** The same sums in JS, row order, float64. */
  function reference(ix: Int32Array | null): number[] {
    const sums = new Float64Array(targets * G);
    for (let r = 0; r < rows; r++) {
      const t = ix ? ix[r]! : 0;
      if (t >= 0) for (let c = 0; c < G; c++) sums[t * G + c]! += src[r * G + c]!;
    }
    return Array.from(sums.subarray(0, (ix ? targets : 1) * G));
  }

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): by index and all into one row, the JS sums bit for bit; refused where src is not in the kernel memory`, () => {
      setNumThreads(threads);
      w!.reserve(rows * G + at)!.set(src, at);
      expect(scatterAddRows(w, index, rows, G, w!.view(), at, targets, (s) => Array.from(s))).toEqual(reference(index));
      expect(scatterAddRows(w, null, rows, G, w!.view(), at, 1, (s) => Array.from(s))).toEqual(reference(null));
      expect(scatterAddRows(w, null, rows, G, src, 0, 1, (s) => s)).toBeNull();
      expect(scatterAddRows(null, null, rows, G, w!.view(), at, 1, (s) => s)).toBeNull();
      expect(scatterAddRows(w, null, rows, G - 1, w!.view(), at, 1, (s) => s)).toBeNull(); // not a multiple of 4
    });
  }

  it('columnSums: the kernel path (float64 sums) equals the gemm path to float32 rounding', () => {
    w!.reserve(rows * G + at)!.set(src, at);
    const viaKernel = columnSums(w!.view(), at, rows, G, G, 'float32', w);
    const viaGemm = columnSums(src, 0, rows, G, G, 'float32');
    const want = reference(null);
    expect(Array.from(viaKernel)).toEqual(Array.from(Float32Array.from(want)));
    viaGemm.forEach((v, c) => expect(Math.abs(v - want[c]!)).toBeLessThan(1e-4));
  });
});
