// What the fused ops share: argument checks with house-style messages, small array helpers, and
// what the LSTM and GRU sequence ops share around their cell math (layouts, the WebAssembly heap,
// input gradients).
import * as K from '@unroll/core';
import { isPadded } from '../padding.js';
import { Tensor, permute } from '@unroll/autograd';
import type { FloatArray, NdArray } from '@unroll/core';
import { normalizeLengths } from '../unroll.js';
import { scratch } from './scratch.js';
import { pointwiseWasm } from './wasm/runtime.js';
import type { Lengths } from '../unroll.js';
import type { PointwiseWasm } from './wasm/runtime.js';
import { scatterAddRows } from './wasm/row-ops.js';

/** The dtypes the fused ops compute in. */
export type { FloatDType } from '@unroll/core';
import type { FloatDType } from '@unroll/core';

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
 * `dtype` (bias gradients over T·B rows): with `w`, when a lives in its memory with ld = cols, the
 * WebAssembly scatter-add into one row (float64 sums, split by columns over the threads); else one gemm
 * 1ᵀ·A with a scratch row of ones.
 */
export function columnSums(a: FloatArray, off: number, rows: number, cols: number, ld: number, dtype: FloatDType,
  w: PointwiseWasm | null = null): FloatArray {
  const summed = ld === cols ? scatterAddRows(w, null, rows, cols, a, off, 1, (sums) => Float32Array.from(sums)) : null;
  if (summed) return summed;
  const ones = scratch('common.ones', dtype, rows);
  ones.fill(1);
  const out = newArray(dtype, cols);
  K.gemm(false, false, 1, cols, rows, 1, ones, 0, rows, a, off, ld, 0, out, 0, cols);
  return out;
}

/**
 * A fresh (unshared) copy of `n` values of `a` from `off`, in a's dtype. `set`, not `slice`: `slice` of a
 * view of the shared kernel memory copies element by element (~4× slower for a 2 MB view, measured).
 */
export function copyOf(a: FloatArray, off = 0, n = a.length - off): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  out.set(a.subarray(off, off + n));
  return out;
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

/** The weights a sequence op validates for every cell: W_ih [G·H, I], W_hh [G·H, H], optional b_ih, b_hh [G·H]. */
export interface LayerWeights {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh?: Tensor | null;
  readonly biasHh?: Tensor | null;
}

/**
 * The hidden size H of a layer with `gates` gate blocks, checked from weightHh [gates·H, H]; also
 * checks weightIh [gates·H, features].
 */
export function checkLayerWeights(who: string, gates: number, w: LayerWeights, features: number): number {
  const whh = w?.weightHh;
  if (!whh || whh.rank !== 2 || whh.shape[0] !== gates * whh.shape[1]! || whh.shape[1] === 0) {
    throw new K.ShapeError(`${who}: weightHh must be [${gates}·hidden, hidden]; got ${whh ? K.fmt(whh.shape) : String(whh)}`);
  }
  const H = whh.shape[1]!;
  checkShape(who, 'weightIh', w.weightIh, [gates * H, features], `[${gates}·hidden, inputSize]`);
  return H;
}

/** Whether the layer has biases: both biasIh and biasHh [gates·H], or neither (else throws). */
export function checkBiases(who: string, gates: number, w: LayerWeights, H: number): boolean {
  const hasBias = !!w.biasIh;
  if (hasBias !== !!w.biasHh) throw new TypeError(`${who}: give both biasIh and biasHh, or neither`);
  if (hasBias) {
    checkShape(who, 'biasIh', w.biasIh, [gates * H], `[${gates}·hidden]`);
    checkShape(who, 'biasHh', w.biasHh, [gates * H], `[${gates}·hidden]`);
  }
  return hasBias;
}

/** Swaps the batch and time axes when `batchFirst` (the sequence ops compute time-major); else `x` itself. */
export function swapBatchTime(x: Tensor, batchFirst: boolean): Tensor {
  return batchFirst ? permute(x, [1, 0, 2]) : x;
}

/** Options of `lstmSequence` and `gruSequence` (the runner's, with the same meaning). */
export interface FusedSequenceOptions {
  /** x and outputs are [batch, time, features] (default false: [time, batch, features]). */
  batchFirst?: boolean;
  /** Read each sequence from its last real step back to its first; outputs stay in time order. */
  reverse?: boolean;
  /** Real length of each sequence in [1, time]: padded steps keep the state and output zeros. */
  lengths?: Lengths | null;
}

/**
 * What `lstmSequence` and `gruSequence` check and prepare alike: x's layout, the layer's weights
 * (`gates` blocks), each state tensor [batch, H], the biases, `check(H)` for what only one cell has,
 * one dtype over x, the state, the weights and `extra`, and the lengths. Returns x time-major.
 */
export function prepareSequence(
  who: string, gates: number, x: Tensor, state: Readonly<Record<string, Tensor | undefined>>, w: LayerWeights, opts: FusedSequenceOptions,
  check: (H: number) => void = () => {}, extra: [string, Tensor | null | undefined][] = [],
): { xs: Tensor; lengths: Int32Array | null; reverse: boolean; batchFirst: boolean } {
  const batchFirst = opts.batchFirst ?? false, reverse = opts.reverse ?? false;
  const { time, batch, features } = sequenceSizes(who, x, batchFirst);
  const H = checkLayerWeights(who, gates, w, features);
  const keys = Object.keys(state);
  for (const k of keys) checkShape(who, `state.${k}`, state?.[k], [batch, H], '[batch, hidden]');
  checkBiases(who, gates, w, H);
  check(H);
  commonDType(who, [['x', x], ...keys.map((k): [string, Tensor | undefined] => [`state.${k}`, state[k]]), ['weightIh', w.weightIh],
    ['weightHh', w.weightHh], ['biasIh', w.biasIh], ['biasHh', w.biasHh], ...extra]);
  return { xs: swapBatchTime(x, batchFirst), lengths: lengthsOf(who, opts.lengths, batch, time), reverse, batchFirst };
}

/** What a sequence op's loops know of every call: sizes [T, B, I] → H, dtype and the flat x, W_ih, W_hh. */
export interface SequenceData {
  T: number; B: number; I: number; H: number; dtype: FloatDType;
  X: FloatArray; Wih: FloatArray; Whh: FloatArray;
  /** Each row's hot column (−1: an all-zero row) when x is one-hot, else null: see one-hot.ts. */
  hot: Int32Array | null;
}

/**
 * The WebAssembly SIMD pointwise kernels when a call can use them — float32, a form they implement
 * (`supported`) and H a multiple of their 4 lanes — and the engine has them; else null.
 */
export function simdKernels(dtype: FloatDType, supported: boolean, H: number): PointwiseWasm | null {
  return dtype === 'float32' && supported && H % 4 === 0 ? pointwiseWasm() : null;
}

/**
 * Lays buffers out in the WebAssembly heap: `region(n)` returns the float offset of the next n floats,
 * each region 16-byte aligned; `top` is the floats needed so far (what to `reserve`).
 */
export class HeapLayout {
  top = 0;

  region(n: number): number {
    const at = this.top;
    this.top += (n + 3) & ~3;
    return at;
  }
}

/**
 * After a SIMD step over all B rows (padded ones computed garbage): each row padded at step t keeps
 * its state instead, copied from slot `prev` to slot `next` of every state buffer at `buffers` in `heap`.
 */
export function keepPaddedRows(heap: FloatArray, buffers: readonly number[], lengths: Int32Array | null, t: number,
  B: number, H: number, prev: number, next: number): void {
  for (let b = 0; b < B; b++) {
    if (!isPadded(lengths, t, b)) continue;
    const r = b * H;
    for (const o of buffers) heap.copyWithin(o + next + r, o + prev + r, o + prev + r + H);
  }
}

/** dx [T, B, I] = dG·W_ih for every step at once: [T·B, G]·[G, I], dG at dG[at..] with row stride G. */
export function inputGrad(s: SequenceData, dG: FloatArray, at: number, G: number): NdArray {
  const { T, B, I } = s;
  const dx = newArray(s.dtype, T * B * I);
  K.gemm(false, false, T * B, I, G, 1, dG, at, G, s.Wih, 0, I, 0, dx, 0, I);
  return wrap(dx, [T, B, I]);
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
export { isPadded } from '../padding.js';

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
