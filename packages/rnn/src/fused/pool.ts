// Recycled buffers for what a fused op keeps for its backward: taken in forward, handed back by the
// op's `release` once the engine has freed the node, so a training loop allocates them only once.
import type { FloatArray, FloatDType } from '@unroll/core';

// Free buffers by dtype and exact length.
const free: Record<FloatDType, Map<number, FloatArray[]>> = { float32: new Map(), float64: new Map() };
// Bounds what the pool may hold (bytes), so a burst of released graphs cannot pin memory for good.
const MAX_POOLED_BYTES = 256 * 2 ** 20;
let pooledBytes = 0;

/**
 * An array of exactly `size` elements: a recycled one when the pool has it (its contents are stale:
 * the caller writes before reading), else a new zero-filled one.
 */
export function takeBuffer(dtype: FloatDType, size: number): FloatArray {
  const list = free[dtype].get(size);
  const buf = list?.pop();
  if (buf !== undefined) {
    pooledBytes -= buf.byteLength;
    return buf;
  }
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

/**
 * Hands buffers back for reuse. NOTE: only for arrays nothing else can reach any more — never one a
 * Tensor, a returned gradient or a view handed out shares (e.g. a buffer the op's outputs view).
 */
export function giveBack(...buffers: (FloatArray | null | undefined)[]): void {
  for (const buf of buffers) {
    if (!buf || pooledBytes + buf.byteLength > MAX_POOLED_BYTES) continue;
    const dtype: FloatDType = buf instanceof Float32Array ? 'float32' : 'float64';
    let list = free[dtype].get(buf.length);
    if (!list) free[dtype].set(buf.length, (list = []));
    list.push(buf);
    pooledBytes += buf.byteLength;
  }
}
