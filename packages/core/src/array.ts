// Creating scijs ndarrays, reading them back, and the contiguous view every kernel works on.
import { ndarray } from './ndarray.js';
import type { NdArray as ScijsNdArray } from 'ndarray';
import { allocate, checkDType, DEFAULT_DTYPE, dtypeOf, type DType, type TypedArray } from './dtype.js';
import { DTypeError, ShapeError, fmt } from './errors.js';
import { defaultGenerator, type RandomGenerator } from './random.js';
import { MAX_RANK, sizeOf, stridesOf, type Shape } from './shape.js';
import { forEachRun } from './kernels/iterate.js';

/** A scijs ndarray over one of unroll's typed arrays. */
export type NdArray<T extends TypedArray = TypedArray> = ScijsNdArray<T>;
/** A nested array of numbers of any depth, e.g. `[[1, 2], [3, 4]]`, or a single number. */
export type Nested = number | readonly Nested[];

export interface CreateOptions {
  dtype?: DType;
}
export interface RandomOptions extends CreateOptions {
  generator?: RandomGenerator;
}

/** Wraps a typed array as a row-major ndarray of `shape`. */
export function fromData<T extends TypedArray>(data: T, shape: Shape): NdArray<T> {
  if (shape.length > MAX_RANK) throw new ShapeError(`fromData: rank ${shape.length} exceeds the limit of ${MAX_RANK}`);
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
  // NOTE: fill() converts anything with Number(): 'x' would become NaN, '3' would become 3.
  if (typeof value !== 'number') throw new TypeError(`full: value must be a number; got ${typeof value} ${JSON.stringify(value)}`);
  const a = empty(shape, opts.dtype);
  if (a.data instanceof Int32Array) checkInt32(value, 'full', 'value');
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
  if (a.data instanceof Int32Array) for (let i = 0; i < n; i++) checkInt32(start + i * step, 'arange', `element ${i}`);
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

/** A row-major ndarray from nested arrays (`[[1, 2], [3, 4]]` is [2, 2]); int32 refuses what `cast` refuses. */
export function fromNested(value: Nested, opts: CreateOptions = {}, where = 'fromNested'): NdArray<TypedArray> {
  const shape = shapeOfNested(value);
  const a = empty(shape, opts.dtype);
  const int32 = a.data instanceof Int32Array;
  let k = 0;
  const walk = (v: Nested, depth: number) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`fromNested: ragged nested array; expected a number at depth ${depth}`);
      if (int32) checkInt32(v, where, `value at ${fmt(unravel(k, shape))}`);
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
  const a = empty(shape, floatOnly(opts.dtype, 'randUniform'));
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
  const a = empty(shape, floatOnly(opts.dtype, 'randNormal'));
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
  // Run by run along the last axis (see forEachRun): a tight strided loop per run. NOTE: ndarray-ops
  // is faster still on large views (packages/core/bench/ndarray-ops.bench.ts), but it compiles its
  // loops with new Function, which a page under a strict Content-Security-Policy refuses.
  const src = a.data, offset = a.offset;
  let k = 0;
  forEachRun(a.shape, [a.stride], (o, n, s) => {
    const step = s[0]!;
    for (let i = 0, p = offset + o[0]!; i < n; i++, p += step) out[k++] = src[p]!;
  });
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

/**
 * Converts to another dtype (a copy). Converting to int32 refuses, with the position, any value
 * int32 cannot hold exactly: a non-integer, NaN, ±Infinity or one outside [−2³¹, 2³¹) (a typed
 * array would silently truncate 1.5 to 1, NaN to 0 and 2³² + 1 to 1). `where` names the caller.
 */
export function cast(a: NdArray, dtype: DType, where = 'cast'): NdArray<TypedArray> {
  const out = empty(a.shape, dtype);
  const values = contiguous(a);
  if (out.data instanceof Int32Array && !(values instanceof Int32Array)) {
    for (let k = 0; k < values.length; k++) checkInt32(values[k]!, where, `value at ${fmt(unravel(k, a.shape))}`);
  }
  out.data.set(values);
  return out;
}

/** The largest magnitude int32 holds is 2³¹ − 1 (and −2³¹). */
const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/** Refuses a number int32 storage would not hold exactly (see `cast`); `what` says which value it is. */
export function checkInt32(v: number, where: string, what: string): void {
  if (Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) return;
  const why = !Number.isFinite(v) ? 'it is not finite' : !Number.isInteger(v) ? 'it is not an integer' : 'it is outside [-2^31, 2^31)';
  throw new DTypeError(`${where}: ${what} is ${v}, which int32 cannot hold (${why})`);
}

/** Random draws are real numbers; storing them as int32 would truncate them, so int32 is refused. */
function floatOnly(dtype: DType | undefined, where: string): DType | undefined {
  if (dtype === 'int32') throw new DTypeError(`${where}: dtype must be float32 or float64; got int32 (draws would be truncated)`);
  return dtype;
}

/** The multi-index of flat position k in a row-major array of `shape`. */
function unravel(k: number, shape: Shape): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = k % shape[d]!;
    k = Math.floor(k / shape[d]!);
  }
  return index;
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: a shape is a list of non-negative integers; got ${JSON.stringify(shape)}`);
  }
  if (shape.length > MAX_RANK) throw new ShapeError(`${op}: rank ${shape.length} exceeds the limit of ${MAX_RANK}`);
}
