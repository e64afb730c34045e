// Scratch buffers the fused kernels reuse from call to call, so the hot path allocates nothing
// it hands back or saves: one grow-only typed array per (slot, dtype).
import type { FloatArray, FloatDType } from '@unroll/core';

const pools: Record<FloatDType, Map<string, FloatArray>> = { float32: new Map(), float64: new Map() };
// Larger requests get a fresh array that is not kept: a one-off huge sequence must not pin its
// buffers for the rest of the process.
const MAX_KEPT = 2 ** 25;

/**
 * A scratch array of exactly `size` elements for `slot`, reused by every later call with the same
 * slot and dtype (grown when too small, never shrunk; above 2²⁵ elements a fresh array, not kept).
 * Its contents are garbage from the previous user: callers initialise what they read.
 * NOTE: never hand a scratch array to a Tensor or keep it past the synchronous call that took it —
 * the next call overwrites it. Slots are distinct names, so buffers in use together never alias.
 */
export function scratch(slot: string, dtype: FloatDType, size: number): FloatArray {
  if (size > MAX_KEPT) return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const pool = pools[dtype];
  let buf = pool.get(slot);
  if (buf === undefined || buf.length < size) {
    // Grow by at least half so slowly increasing sizes do not reallocate every call.
    const capacity = Math.min(MAX_KEPT, Math.max(size, buf === undefined ? 0 : Math.ceil(buf.length * 1.5)));
    buf = dtype === 'float32' ? new Float32Array(capacity) : new Float64Array(capacity);
    pool.set(slot, buf);
  }
  return buf.length === size ? buf : buf.subarray(0, size);
}

/** A scratch accumulator in float64 (the peephole gradients' sums over rows), zero-filled. */
export function scratchZeros64(slot: string, size: number): Float64Array {
  const buf = scratch(slot, 'float64', size) as Float64Array;
  buf.fill(0);
  return buf;
}
