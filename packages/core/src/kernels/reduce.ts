// Reductions over any axes (with keepdims), and the stable softmax family along one axis.
import { ndarray } from '../ndarray.js';
import { allocate, dtypeOf, type TypedArray } from '../dtype.js';
import { contiguous, type NdArray } from '../array.js';
import { ShapeError, fmt } from '../errors.js';
import { normalizeAxes, normalizeAxis, sizeOf, stridesOf, type Shape } from '../shape.js';
import { forEachRun } from './iterate.js';
import { SUM_F32_MIN, sumF32 } from './wasm/sum-f32.js';
import { checkOptions, optionKeys } from '../options.js';

export interface ReduceOptions {
  /** Axes to reduce (negative counts from the end); all axes when omitted. */
  axes?: number | readonly number[];
  /** Keep reduced axes as size 1 (so the result broadcasts against the input). */
  keepdims?: boolean;
}

/** The shape after reducing `axes`, with and without the kept size-1 axes. */
export function reducedShape(op: string, shape: Shape, axes: ReduceOptions['axes'], keepdims = false) {
  const list = normalizeAxes(op, axes, shape.length);
  const kept = shape.map((d, i) => (list.includes(i) ? 1 : d));
  return { axes: list, kept, out: keepdims ? kept : shape.filter((_, i) => !list.includes(i)) };
}

/** Folds every input element into its output slot: acc = f(acc, x). */
const REDUCE_OPTIONS = optionKeys<ReduceOptions>({ axes: true, keepdims: true });

/** How `fold` combines: acc + x, or the larger / smaller (NaN wins, as in NumPy and PyTorch). */
type FoldKind = 'sum' | 'max' | 'min';

function fold(op: string, a: NdArray, opts: ReduceOptions, kind: FoldKind) {
  checkOptions(op, opts, REDUCE_OPTIONS);
  const { kept, out } = reducedShape(op, a.shape, opts.axes, opts.keepdims);
  const x = contiguous(a);
  const init = kind === 'sum' ? 0 : kind === 'max' ? -Infinity : Infinity;
  const result = allocate(dtypeOf(a.data), sizeOf(kept)).fill(init);
  // Output strides with 0 on reduced axes: each input element lands on its slot.
  const own = stridesOf(kept);
  const outStrides = kept.map((d, i) => (d === 1 && a.shape[i] !== 1 ? 0 : own[i]!));
  // float32 sums round to float32 after every addition, as storing into the float32 slot would.
  const f32 = result instanceof Float32Array;
  // A large float32 array summed into one slot: the same running float32 sum in WebAssembly (sum-f32.ts).
  if (kind === 'sum' && f32 && result.length === 1 && x instanceof Float32Array && x.length >= SUM_F32_MIN) {
    const s = sumF32(x);
    if (s !== null) {
      result[0] = s;
      return ndarray(result, out);
    }
  }
  let k = 0;
  // NOTE: one loop per kind, no callback: a callback shared by every reduction is a megamorphic call
  // per element (~3× slower on the softmax family's backward).
  forEachRun(a.shape, [outStrides], (o, n, s) => {
    let j = o[0]!;
    const sj = s[0]!;
    if (sj === 0) {
      // The run reduces into one slot (the last axis is reduced): a running value in a register.
      let acc = result[j]!;
      if (kind === 'sum') {
        if (f32) for (let i = 0; i < n; i++) acc = Math.fround(acc + x[k++]!);
        else for (let i = 0; i < n; i++) acc += x[k++]!;
      } else if (kind === 'max') {
        for (let i = 0; i < n; i++) { const v = x[k++]!; if (v > acc || v !== v) acc = v; }
      } else {
        for (let i = 0; i < n; i++) { const v = x[k++]!; if (v < acc || v !== v) acc = v; }
      }
      result[j] = acc;
    } else if (kind === 'sum') {
      for (let i = 0; i < n; i++, j += sj) result[j] += x[k++]!;
    } else if (kind === 'max') {
      for (let i = 0; i < n; i++, j += sj) { const v = x[k++]!, m = result[j]!; if (v > m || v !== v) result[j] = v; }
    } else {
      for (let i = 0; i < n; i++, j += sj) { const v = x[k++]!, m = result[j]!; if (v < m || v !== v) result[j] = v; }
    }
  });
  return ndarray(result, out);
}

export const sum = (a: NdArray, opts: ReduceOptions = {}) => fold('sum', a, opts, 'sum');
export const max = (a: NdArray, opts: ReduceOptions = {}) => {
  if (a.size === 0) throw new ShapeError(`max: cannot reduce an empty array ${fmt(a.shape)}`);
  return fold('max', a, opts, 'max');
};
export const min = (a: NdArray, opts: ReduceOptions = {}) => {
  if (a.size === 0) throw new ShapeError(`min: cannot reduce an empty array ${fmt(a.shape)}`);
  return fold('min', a, opts, 'min');
};
export function mean(a: NdArray, opts: ReduceOptions = {}) {
  const s = fold('mean', a, opts, 'sum'); // a sum, but errors name mean
  const count = a.size / Math.max(1, s.size);
  const d = s.data as TypedArray;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / count;
  return s;
}

/** Sums a broadcast result back to `shape` (the gradient of broadcasting). */
export function sumTo(a: NdArray, shape: Shape): NdArray<TypedArray> {
  const lead = a.shape.length - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot sum ${fmt(a.shape)} to the larger rank of ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < a.shape.length; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && a.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== a.shape[i]) throw new ShapeError(`sumTo: cannot sum ${fmt(a.shape)} to ${fmt(shape)}`);
  }
  if (axes.length === 0) return a as NdArray<TypedArray>;
  const s = sum(a, { axes, keepdims: true });
  return ndarray(s.data as TypedArray, [...shape]);
}

/** Index of the largest element along `axis` (first one on ties), as int32. */
export function argmax(a: NdArray, axis = -1, keepdims = false): NdArray<TypedArray> {
  const ax = normalizeAxis('argmax', axis, a.shape.length);
  const { outer, n, inner } = split(a.shape, ax);
  if (n === 0) throw new ShapeError(`argmax: axis ${axis} of ${fmt(a.shape)} is empty`);
  const x = contiguous(a);
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0, bestValue = x[base]!;
      for (let j = 1; j < n; j++) {
        const v = x[base + j * inner]!;
        if (v > bestValue) { best = j; bestValue = v; }
      }
      out[o * inner + i] = best;
    }
  }
  const shape = a.shape.map((d, i) => (i === ax ? 1 : d));
  return ndarray(out, keepdims ? shape : shape.filter((_, i) => i !== ax));
}

/** Views a shape as [outer, n, inner] around `axis`. */
export function split(shape: Shape, axis: number) {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, n: shape[axis]!, inner };
}

type Normalizer = (x: TypedArray, y: TypedArray, base: number, n: number, inner: number) => void;

function alongAxis(op: string, a: NdArray, axis: number, f: Normalizer): NdArray<TypedArray> {
  const ax = normalizeAxis(op, axis, a.shape.length);
  const { outer, n, inner } = split(a.shape, ax);
  const x = contiguous(a);
  const y = allocate(dtypeOf(a.data), x.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(x, y, o * n * inner + i, n, inner);
  return ndarray(y, [...a.shape]);
}

function maxAlong(x: TypedArray, base: number, n: number, inner: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = x[base + j * inner]!;
    if (v > m) m = v;
  }
  return m === -Infinity ? 0 : m; // all -Infinity: keep exp(x - m) finite (gives 0/0 → NaN as torch does for softmax, -inf for lse)
}

/** softmax along `axis`, shifted by the max so exp never overflows. */
export const softmax = (a: NdArray, axis = -1) =>
  alongAxis('softmax', a, axis, (x, y, base, n, inner) => {
    const m = maxAlong(x, base, n, inner);
    let s = 0;
    for (let j = 0; j < n; j++) s += y[base + j * inner] = Math.exp(x[base + j * inner]! - m);
    for (let j = 0; j < n; j++) y[base + j * inner]! /= s;
  });

/** log-softmax along `axis`: x − max − log Σ exp(x − max). */
export const logSoftmax = (a: NdArray, axis = -1) =>
  alongAxis('logSoftmax', a, axis, (x, y, base, n, inner) => {
    const m = maxAlong(x, base, n, inner);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[base + j * inner]! - m);
    const shift = m + Math.log(s);
    for (let j = 0; j < n; j++) y[base + j * inner] = x[base + j * inner]! - shift;
  });

/** log Σ exp(x) along `axis`, stable for large |x|. */
export function logsumexp(a: NdArray, axis = -1, keepdims = false): NdArray<TypedArray> {
  const ax = normalizeAxis('logsumexp', axis, a.shape.length);
  const { outer, n, inner } = split(a.shape, ax);
  const x = contiguous(a);
  const out = allocate(dtypeOf(a.data), outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const m = maxAlong(x, base, n, inner);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[base + j * inner]! - m);
      out[o * inner + i] = m + Math.log(s);
    }
  }
  const kept = a.shape.map((d, i) => (i === ax ? 1 : d));
  return ndarray(out, keepdims ? kept : kept.filter((_, i) => i !== ax));
}
