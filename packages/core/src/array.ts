// Creating scijs ndarrays, reading them back, and the contiguous view every kernel works on.
import { ndarray } from './ndarray.js';
import type { NdArray as ScijsNdArray } from 'ndarray';
import { allocate, checkDType, DEFAULT_DTYPE, dtypeOf, type DType, type TypedArray } from './dtype.js';
import { ShapeError, fmt } from './errors.js';
import { defaultGenerator, type Generator } from './random.js';
import { sizeOf, stridesOf, type Shape } from './shape.js';

/** A scijs ndarray over one of unroll's typed arrays. */
export type NdArray<T extends TypedArray = TypedArray> = ScijsNdArray<T>;
/** A nested array of numbers of any depth, e.g. `[[1, 2], [3, 4]]`, or a single number. */
export type Nested = number | readonly Nested[];

export interface CreateOptions {
  dtype?: DType;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

/** Wraps a typed array as a row-major ndarray of `shape`. */
export function fromData<T extends TypedArray>(data: T, shape: Shape): NdArray<T> {
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError(`fromData: ${data.length} values cannot fill shape ${fmt(shape)}`);
  }
  return ndarray(data, [...shape]);
}

export function empty(shape: Shape, dtype: DType = DEFAULT_DTYPE): NdArray<TypedArray> {
  checkShape('empty', shape);
  return ndarray(allocate(checkDType(dtype, 'empty'), sizeOf(shape)), [...shape]);
}

export const zeros = (shape: Shape, opts: CreateOptions = {}) => empty(shape, opts.dtype);

export const ones = (shape: Shape, opts: CreateOptions = {}) => full(shape, 1, opts);

export function full(shape: Shape, value: number, opts: CreateOptions = {}): NdArray<TypedArray> {
  const a = empty(shape, opts.dtype);
  a.data.fill(value);
  return a;
}

/** `[start, stop)` by `step`, like `np.arange`; `arange(n)` is 0..n-1. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): NdArray<TypedArray> {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new RangeError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const a = empty([n], opts.dtype);
  for (let i = 0; i < n; i++) a.data[i] = start + i * step;
  return a;
}

/** The shape of a nested array; ragged nesting is an error. */
export function shapeOfNested(value: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

/** A row-major ndarray from nested arrays (`[[1, 2], [3, 4]]` is [2, 2]). */
export function fromNested(value: Nested, opts: CreateOptions = {}): NdArray<TypedArray> {
  const shape = shapeOfNested(value);
  const a = empty(shape, opts.dtype);
  let k = 0;
  const walk = (v: Nested, depth: number) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`fromNested: ragged nested array; expected a number at depth ${depth}`);
      a.data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`fromNested: ragged nested array; expected length ${shape[depth]} at depth ${depth} (shape ${fmt(shape)})`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return a;
}

/** Back to nested number arrays (a rank-0 array gives a number). */
export function toNested(a: NdArray): Nested {
  const data = contiguous(a);
  const shape = a.shape;
  let k = 0;
  const build = (depth: number): Nested => {
    if (depth === shape.length) return data[k++]!;
    const out: Nested[] = new Array(shape[depth]);
    for (let i = 0; i < shape[depth]!; i++) out[i] = build(depth + 1);
    return out;
  };
  return build(0);
}

/** Uniform in [low, high) from the seeded generator. */
export function randUniform(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): NdArray<TypedArray> {
  const a = empty(shape, opts.dtype);
  const g = opts.generator ?? defaultGenerator;
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    // NOTE: storing can round up to `high` (float32 rounds u > 1 − 2⁻²⁵ to 1); draw again so it stays excluded.
    do d[i] = low + (high - low) * g.uniform(); while (d[i]! >= high && high > low);
  }
  return a;
}

/** Normal with `mean` and `std` from the seeded generator. */
export function randNormal(shape: Shape, mean = 0, std = 1, opts: RandomOptions = {}): NdArray<TypedArray> {
  const a = empty(shape, opts.dtype);
  const g = opts.generator ?? defaultGenerator;
  for (let i = 0; i < a.data.length; i++) a.data[i] = mean + std * g.normal();
  return a;
}

/** True when `a` is row-major with no gaps (its elements are data[offset .. offset+size)). */
export function isContiguous(a: NdArray): boolean {
  const expected = stridesOf(a.shape);
  for (let i = 0; i < a.shape.length; i++) {
    if (a.shape[i]! > 1 && a.stride[i] !== expected[i]) return false;
  }
  return true;
}

/**
 * The elements of `a` in row-major order as a typed array of exactly `a.size` elements:
 * the storage itself (or a subarray of it) when `a` is contiguous, else a copy.
 */
export function contiguous<T extends TypedArray>(a: NdArray<T>): T {
  const size = a.size;
  if (isContiguous(a)) {
    return (a.offset === 0 && a.data.length === size ? a.data : a.data.subarray(a.offset, a.offset + size)) as T;
  }
  const out = allocate(dtypeOf(a.data), size) as T;
  const shape = a.shape;
  const stride = a.stride;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = a.offset;
  for (let k = 0; k < size; k++) {
    out[k] = a.data[src]!;
    // Odometer: advance the last axis, carrying into earlier ones.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        src += stride[d]!;
        break;
      }
      src -= stride[d]! * (shape[d]! - 1);
      index[d] = 0;
    }
  }
  return out;
}

/** A contiguous copy (or `a` itself when already compact). */
export function compact<T extends TypedArray>(a: NdArray<T>): NdArray<T> {
  const data = contiguous(a);
  if (data === a.data && a.offset === 0) return a;
  return ndarray(data, [...a.shape]);
}

/** A fresh copy that owns its storage. */
export function clone<T extends TypedArray>(a: NdArray<T>): NdArray<T> {
  return ndarray(contiguous(a).slice() as T, [...a.shape]);
}

/** Converts to another dtype (a copy; float → int32 truncates toward zero). */
export function cast(a: NdArray, dtype: DType): NdArray<TypedArray> {
  const out = empty(a.shape, dtype);
  out.data.set(contiguous(a));
  return out;
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: a shape is a list of non-negative integers; got ${JSON.stringify(shape)}`);
  }
}
