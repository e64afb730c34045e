// Everything compiled sequences take from the machine, in one place: gemm, buffers, float32 fast math.
// When core's kernel runtime (one WebAssembly memory, resident packed weights) lands, this file is
// the one to switch.
import * as K from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { expFast, sigmoidFast, tanhFast } from '../fused/fast-math.js';
import { giveBack, takeBuffer } from '../fused/pool.js';
import { scratch } from '../fused/scratch.js';

export type { FloatDType } from '@unroll/core';
import type { FloatDType } from '@unroll/core';

/** C = α·op(A)·op(B) + β·C on flat row-major arrays with offsets and leading dimensions (core's gemm). */
export const gemm = K.gemm;

/** A pooled array (stale contents) for values kept until backward; return it with `release`. */
export const take = takeBuffer;
/** Hands pooled arrays back (only arrays nothing else can reach). */
export const release = giveBack;

/** A per-slot scratch array reused from call to call (never kept past one synchronous call). */
export function scratchSlot(name: string, dtype: FloatDType, size: number): FloatArray {
  return scratch(`compiled.${name}`, dtype, size);
}

/** A fresh zero-filled array. */
export function fresh(dtype: FloatDType, size: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

// float32 forward rules with the fused kernels' fast math (accurate to float32 rounding); the
// partials stay the ops' own (they read y, which these compute).
const FAST: Record<string, (x: number) => number> = { tanh: tanhFast, sigmoid: sigmoidFast, exp: expFast };

/** The fast float32 forward of an elementwise op, when there is one. */
export function fastForward(op: string): ((x: number) => number) | undefined {
  return Object.hasOwn(FAST, op) ? FAST[op] : undefined;
}
