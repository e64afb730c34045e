// What the fused ops share: argument checks with house-style messages, the placeholder for an
// absent optional input, whether a call records a graph, and small array helpers.
import * as K from '@unroll/core';
import { Tensor, isGradEnabled } from '@unroll/autograd';
import type { FloatArray, NdArray } from '@unroll/core';
import { normalizeLengths } from '../unroll.js';
import { scratch } from './scratch.js';
import type { Lengths } from '../unroll.js';

/** The dtypes the fused ops compute in. */
export type FloatDType = 'float32' | 'float64';

const placeholders: Partial<Record<FloatDType, Tensor>> = {};

/**
 * The stand-in for an absent optional input (no bias, no peepholes): an empty [0] tensor that never
 * requires a gradient. Ops take a fixed list of named inputs; attrs say which ones are real.
 */
export function absent(dtype: FloatDType): Tensor {
  return (placeholders[dtype] ??= new Tensor(K.zeros([0], { dtype })));
}

/** Whether applying an op to `inputs` will record it (the same rule defineOp applies). */
export function willRecord(inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/** A new zero-filled float array of `dtype`. */
export function newArray(dtype: FloatDType, size: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

/** The dtype of a float array. */
export function dtypeOfArray(a: FloatArray): FloatDType {
  return a instanceof Float32Array ? 'float32' : 'float64';
}

/** Wraps a flat array as an ndarray of `shape` (no copy). */
export function wrap(data: FloatArray, shape: number[]): NdArray {
  return K.fromData(data, shape);
}

/** The flat row-major values of an input (a view when already contiguous, else a copy). */
export function flat(a: NdArray): FloatArray {
  return K.contiguous(a) as FloatArray;
}

/**
 * Σ over `rows` rows of the [rows, cols] block at a[off..] (row stride `ld`), as a fresh array of
 * `dtype`: one gemm 1ᵀ·A with a scratch row of ones (bias gradients over T·B rows, at gemm speed).
 */
export function columnSums(a: FloatArray, off: number, rows: number, cols: number, ld: number, dtype: FloatDType): FloatArray {
  const ones = scratch('common.ones', dtype, rows);
  ones.fill(1);
  const out = newArray(dtype, cols);
  K.gemm(false, false, 1, cols, rows, 1, ones, 0, rows, a, off, ld, 0, out, 0, cols);
  return out;
}

/** A fresh copy of `n` values of `a` from `off`, in a's dtype. */
export function copyOf(a: FloatArray, off: number, n: number): FloatArray {
  return a.slice(off, off + n);
}

/** Throws unless `t` is a float Tensor of exactly `shape`; `what` names it (`weightHh [4H, H]`). */
export function checkShape(who: string, name: string, t: unknown, shape: readonly number[], legend: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${who}: ${name} must be a Tensor ${K.fmt(shape)} (${legend}); got ${typeof t}`);
  if (!K.sameShape(t.shape, shape)) {
    throw new K.ShapeError(`${who}: ${name} must be ${K.fmt(shape)} (${legend}); got ${K.fmt(t.shape)}`);
  }
  return t;
}

/** Throws unless `t` is a non-empty rank-2 Tensor; returns its [rows, cols]. */
export function checkMatrix(who: string, name: string, t: unknown, legend: string): [number, number] {
  if (!(t instanceof Tensor)) throw new TypeError(`${who}: ${name} must be a Tensor ${legend}; got ${typeof t}`);
  if (t.rank !== 2 || t.shape[0] === 0 || t.shape[1] === 0) throw new K.ShapeError(`${who}: ${name} must be ${legend}; got ${K.fmt(t.shape)}`);
  return t.shape as [number, number];
}

/** The float dtype every tensor must share (the first one's); throws naming the one that differs. */
export function commonDType(who: string, named: readonly (readonly [string, Tensor | null | undefined])[]): FloatDType {
  let dtype: K.DType | null = null;
  let first = '';
  for (const [name, t] of named) {
    if (!t) continue;
    if (t.dtype === 'int32') throw new K.DTypeError(`${who}: ${name} must be float32 or float64; got int32`);
    if (dtype === null) { dtype = t.dtype; first = name; } else if (t.dtype !== dtype) {
      throw new K.DTypeError(`${who}: ${name} is ${t.dtype} but ${first} is ${dtype}; convert one with .to('${dtype}')`);
    }
  }
  return (dtype ?? 'float32') as FloatDType;
}

/** Lengths as an Int32Array of `batch` values in [1, time], or null when absent. */
export function lengthsOf(who: string, lengths: Lengths | null | undefined, batch: number, time: number): Int32Array | null {
  if (lengths === undefined || lengths === null) return null;
  return Int32Array.from(normalizeLengths(who, lengths, batch, time));
}

/** Sizes of a time-major sequence x [time, batch, features]; throws naming `who` otherwise. */
export function sequenceSizes(who: string, x: unknown, batchFirst: boolean): { time: number; batch: number; features: number } {
  const layout = batchFirst ? '[batch, time, features]' : '[time, batch, features]';
  if (!(x instanceof Tensor)) throw new TypeError(`${who}: x must be a Tensor ${layout}; got ${typeof x}`);
  if (x.rank !== 3 || x.shape.some((d) => d === 0)) {
    throw new K.ShapeError(`${who}: x must be a non-empty rank-3 ${layout}; got ${K.fmt(x.shape)}`);
  }
  const [a, b, features] = x.shape as [number, number, number];
  return batchFirst ? { time: b, batch: a, features } : { time: a, batch: b, features };
}

// Slot layout of the per-step state buffers hs, cs ([T + 1, B, H]): running forward, step t reads slot t
// and writes slot t + 1 (slot 0 is the initial state); in reverse, step t reads slot t + 1 and writes
// slot t (slot T is the initial state). Either way the slots read by steps 0..T−1 form one contiguous
// [T·B, H] block, so dW_hh is a single gemm.

/** The slot step t reads its previous state from. */
export const readSlot = (t: number, reverse: boolean): number => (reverse ? t + 1 : t);
/** The slot step t writes its new state to. */
export const writeSlot = (t: number, reverse: boolean): number => (reverse ? t : t + 1);
/** Whether sequence b is padding at step t. */
export const isPadded = (lengths: Int32Array | null, t: number, b: number): boolean => lengths !== null && t >= lengths[b]!;

/** The outputs [T, B, H] in time order: a view of hs, or (with lengths) a copy with padded steps zero. */
export function outputsOf(hs: FloatArray, T: number, B: number, H: number, reverse: boolean, lengths: Int32Array | null,
  dtype: FloatDType): FloatArray {
  const BH = B * H;
  const from = writeSlot(0, reverse) * BH;
  if (lengths === null) return hs.subarray(from, from + T * BH);
  const ys = newArray(dtype, T * BH);
  for (let t = 0; t < T; t++) {
    const slot = writeSlot(t, reverse) * BH;
    for (let b = 0; b < B; b++) {
      if (t < lengths[b]!) ys.set(hs.subarray(slot + b * H, slot + b * H + H), t * BH + b * H);
    }
  }
  return ys;
}
