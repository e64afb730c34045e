// Elementwise kernels with NumPy broadcasting. Outputs are fresh, row-major and contiguous.
import { ndarray } from '../ndarray.js';
import { allocate, dtypeOf, type DType, type TypedArray } from '../dtype.js';
import { contiguous, type NdArray } from '../array.js';
import { ShapeError, fmt } from '../errors.js';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../shape.js';
import { forEachRun } from './iterate.js';

type Unary = (x: number) => number;
type Binary = (x: number, y: number) => number;

/** y[i] = f(x[i]). */
export function map(a: NdArray, f: Unary, dtype: DType = dtypeOf(a.data)): NdArray<TypedArray> {
  const x = contiguous(a);
  const out = allocate(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return ndarray(out, [...a.shape]);
}

/** z = f(a, b) broadcast; `op` names the caller in shape errors. */
export function zip(op: string, a: NdArray, b: NdArray, f: Binary, dtype: DType = dtypeOf(a.data)): NdArray<TypedArray> {
  const shape = sameShape(a.shape, b.shape) ? [...a.shape] : broadcastShapes(op, a.shape, b.shape);
  const out = allocate(dtype, sizeOf(shape));
  const x = contiguous(a);
  const y = contiguous(b);
  if (x.length === out.length && y.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!, y[i]!);
  } else if (x.length === out.length && y.length === 1) {
    const c = y[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!, c);
  } else if (y.length === out.length && x.length === 1) {
    const c = x[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(c, y[i]!);
  } else if (x.length === out.length && y.length > 0 && isSuffix(b.shape, shape)) {
    // A row broadcast down the leading axes (a bias added to [..., n]): no strided walk.
    const n = y.length;
    for (let o = 0; o < out.length; o += n) for (let j = 0; j < n; j++) out[o + j] = f(x[o + j]!, y[j]!);
  } else if (y.length === out.length && x.length > 0 && isSuffix(a.shape, shape)) {
    const n = x.length;
    for (let o = 0; o < out.length; o += n) for (let j = 0; j < n; j++) out[o + j] = f(x[j]!, y[o + j]!);
  } else {
    let k = 0;
    forEachRun(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (o, n, s) => {
      let ia = o[0]!, ib = o[1]!;
      const sa = s[0]!, sb = s[1]!;
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[k++] = f(x[ia]!, y[ib]!);
    });
  }
  return ndarray(out, shape);
}

/** Whether `s` equals the trailing axes of `full` once its leading size-1 axes are dropped ([1, n] and [n] of [m, n]). */
function isSuffix(s: readonly number[], full: readonly number[]): boolean {
  let start = 0;
  while (start < s.length && s[start] === 1) start++;
  const tail = s.length - start;
  if (tail > full.length) return false;
  for (let d = 0; d < tail; d++) if (s[start + d] !== full[full.length - tail + d]) return false;
  return true;
}

/** out = f(a, b, c) broadcast over all three (used by `where`). */
export function zip3(
  op: string, a: NdArray, b: NdArray, c: NdArray,
  f: (x: number, y: number, z: number) => number, dtype: DType,
): NdArray<TypedArray> {
  let shape: number[];
  try {
    shape = broadcastShapes(op, broadcastShapes(op, a.shape, b.shape), c.shape);
  } catch {
    // The second broadcast would name an intermediate shape; name all three operands instead.
    throw new ShapeError(`${op}: cannot broadcast ${fmt(a.shape)}, ${fmt(b.shape)} and ${fmt(c.shape)} together`);
  }
  const out = allocate(dtype, sizeOf(shape));
  const x = contiguous(a), y = contiguous(b), z = contiguous(c);
  let k = 0;
  const strides = [a, b, c].map((t) => broadcastStrides(t.shape, shape));
  forEachRun(shape, strides, (o, n, s) => {
    let ia = o[0]!, ib = o[1]!, ic = o[2]!;
    const sa = s[0]!, sb = s[1]!, sc = s[2]!;
    if (sa === 1 && sb === 1 && sc === 0) {
      // The common case of the softmax family's backward: two full operands and one value per row.
      const w = z[ic]!;
      for (let i = 0; i < n; i++) out[k++] = f(x[ia++]!, y[ib++]!, w);
    } else {
      for (let i = 0; i < n; i++, ia += sa, ib += sb, ic += sc) out[k++] = f(x[ia]!, y[ib]!, z[ic]!);
    }
  });
  return ndarray(out, shape);
}

/** Materialises `a` broadcast to `shape`. */
export function broadcastTo(op: string, a: NdArray, shape: readonly number[]): NdArray<TypedArray> {
  if (!sameShape(broadcastShapes(op, a.shape, shape), shape)) {
    throw new ShapeError(`${op}: cannot broadcast ${fmt(a.shape)} to ${fmt(shape)}`);
  }
  const out = allocate(dtypeOf(a.data), sizeOf(shape));
  const x = contiguous(a);
  let k = 0;
  forEachRun(shape, [broadcastStrides(a.shape, shape)], (o, n, s) => {
    let ia = o[0]!;
    for (let i = 0; i < n; i++, ia += s[0]!) out[k++] = x[ia]!;
  });
  return ndarray(out, [...shape]);
}

// Named kernels. Each is one line so the list reads as a table.
export const neg = (a: NdArray) => map(a, (x) => -x);
export const exp = (a: NdArray) => map(a, Math.exp);
export const log = (a: NdArray) => map(a, Math.log);
export const sqrt = (a: NdArray) => map(a, Math.sqrt);
export const abs = (a: NdArray) => map(a, Math.abs);
export const sign = (a: NdArray) => map(a, Math.sign);
export const tanh = (a: NdArray) => map(a, Math.tanh);
export const sigmoid = (a: NdArray) => map(a, sigmoidScalar);
export const relu = (a: NdArray) => map(a, (x) => (x > 0 ? x : 0));
/** log(1 + eˣ) without overflow for large x or loss of precision for very negative x. */
export const softplus = (a: NdArray) => map(a, softplusScalar);
export const square = (a: NdArray) => map(a, (x) => x * x);
export const scale = (a: NdArray, s: number) => map(a, (x) => x * s);
export const addScalar = (a: NdArray, s: number) => map(a, (x) => x + s);
export const clamp = (a: NdArray, lo: number, hi: number) => map(a, (x) => (x < lo ? lo : x > hi ? hi : x));

export const add = (a: NdArray, b: NdArray) => zip('add', a, b, (x, y) => x + y);
export const sub = (a: NdArray, b: NdArray) => zip('sub', a, b, (x, y) => x - y);
export const mul = (a: NdArray, b: NdArray) => zip('mul', a, b, (x, y) => x * y);
export const div = (a: NdArray, b: NdArray) => zip('div', a, b, (x, y) => x / y);
export const pow = (a: NdArray, b: NdArray) => zip('pow', a, b, Math.pow);
export const maximum = (a: NdArray, b: NdArray) => zip('maximum', a, b, (x, y) => (x >= y ? x : y));
export const minimum = (a: NdArray, b: NdArray) => zip('minimum', a, b, (x, y) => (x <= y ? x : y));

export function sigmoidScalar(x: number): number {
  // Split by sign so exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function softplusScalar(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
