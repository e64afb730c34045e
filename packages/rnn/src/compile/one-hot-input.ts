// The one-hot input path of the fused ops (fused/one-hot.ts), for a compiled op's input projections: when
// every row of x is one-hot (or all zeros), a projection group's x·[op(W₁) … op(W_k)] is a gather of its
// joined weight's columns and its weight gradient a float64 scatter-add of dX's rows, O(T·B·N) work
// instead of the gemms' O(T·B·I·N). The fused functions do the work (WebAssembly kernels when the
// destination lives in the kernel memory, the gemm when a weight or a gradient is not finite);
// `setOneHotPath(false)` switches this off too.
import type { FloatArray } from '@unroll/core';
import type { SequenceData } from '../fused/common.js';
import { inputProjection, oneHotRows, weightIhGrad } from '../fused/one-hot.js';
import { pointwiseWasm } from '../fused/wasm/runtime.js';
import type { ProjectionGroup } from './plan.js';
import type { FloatDType } from './runtime.js';

export { oneHotRows };

const used = { gathers: 0, scatters: 0 };
/** How many one-hot projections (gathers) and weight gradients (scatter-adds) ran so far: for tests that they are used. */
export function oneHotProjectionCounts(): { gathers: number; scatters: number } {
  return { ...used };
}

/** The fused ops' description of x [T·B, I] with weight W [N, I] (their W_ih). */
function sequenceData(T: number, B: number, I: number, N: number, dtype: FloatDType, X: FloatArray, W: FloatArray,
  hot: Int32Array): SequenceData {
  return { T, B, I, H: N, dtype, X, Wih: W, Whh: new Float32Array(0), hot };
}

/** [rows, cols] → its transpose [cols, rows], as a new array of the same kind. */
function transposed(a: FloatArray, rows: number, cols: number): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** The kernels when `out` may live in the kernel memory (float32 on the runtime); else null (JS loops). */
const kernelsFor = (dtype: FloatDType, resident: boolean) => (dtype === 'float32' && resident ? pointwiseWasm() : null);

/**
 * C [T·B, g.N] = x·op(W) for group g, x one-hot with hot columns `hot`: `joined` is the group's weight as
 * the gemm reads it ([N, I] when g.transB, else [I, N]). `resident`: C is a view of the kernel memory
 * (which the gather may grow: rebind views afterwards).
 */
export function projectOneHot(g: ProjectionGroup, T: number, B: number, dtype: FloatDType, x2d: FloatArray, hot: Int32Array,
  joined: FloatArray, C: FloatArray, resident: boolean): void {
  used.gathers++;
  const W = g.transB ? joined : transposed(joined, g.I, g.N);
  inputProjection(sequenceData(T, B, g.I, g.N, dtype, x2d, W, hot), g.N, C, 0, kernelsFor(dtype, resident));
}

/**
 * Group g's weight gradient over all steps, laid out as its joined weight ([N, I] when g.transB, else
 * [I, N]), from dX [T·B, g.N] (`resident`: a view of the kernel memory, which this may grow).
 */
export function projectionGradOneHot(g: ProjectionGroup, T: number, B: number, dtype: FloatDType, x2d: FloatArray, hot: Int32Array,
  dX: FloatArray, resident: boolean): FloatArray {
  used.scatters++;
  const s = sequenceData(T, B, g.I, g.N, dtype, x2d, new Float32Array(0), hot);
  const dw = weightIhGrad(s, dX, 0, g.N, kernelsFor(dtype, resident)).data as FloatArray;
  return g.transB ? dw : transposed(dw, g.N, g.I);
}
