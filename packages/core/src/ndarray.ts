// The ndarray view: scijs ndarray's interface, built without code generation.
//
// Why not scijs `ndarray` itself: it compiles one view class per (dtype, rank) with `new Function`,
// which a page with a strict Content-Security-Policy (`script-src 'self'`, no 'unsafe-eval')
// refuses with an EvalError, so no tensor could be made there. This class has the same fields and
// methods (data, shape, stride, offset, dtype, size, order, dimension, get/set/index,
// lo/hi/step/transpose/pick) for every rank; core's kernels read only the fields and loop over the
// typed array themselves, so nothing hot goes through the generic `get`/`set`. Its objects satisfy
// the `NdArray` type of `@types/ndarray`, and scijs ndarrays a user passes in work as before.
import type { NdArray as ScijsNdArray } from 'ndarray';
import type { TypedArray } from './dtype.js';

type Data = ScijsNdArray['data'];

/** The scijs dtype string of a storage array ('float32', 'int32', 'array', 'generic', …). */
function dtypeName(data: unknown): string {
  const tag = Object.prototype.toString.call(data); // "[object Float32Array]"
  switch (tag) {
    case '[object Float64Array]': return 'float64';
    case '[object Float32Array]': return 'float32';
    case '[object Float16Array]': return 'float16';
    case '[object Int8Array]': return 'int8';
    case '[object Int16Array]': return 'int16';
    case '[object Int32Array]': return 'int32';
    case '[object Uint8Array]': return 'uint8';
    case '[object Uint16Array]': return 'uint16';
    case '[object Uint32Array]': return 'uint32';
    case '[object Uint8ClampedArray]': return 'uint8_clamped';
    case '[object BigInt64Array]': return 'bigint64';
    case '[object BigUint64Array]': return 'biguint64';
  }
  return Array.isArray(data) ? 'array' : 'generic';
}

type Storage = { [i: number]: unknown; get?(i: number): unknown; set?(i: number, v: unknown): void };
type ValueOf<D extends Data> = ReturnType<ScijsNdArray<D>['get']>;

/** scijs's 'generic' storage: an object with get/set, neither a typed array nor an array. */
const isGeneric = (data: unknown) => !ArrayBuffer.isView(data) && !Array.isArray(data);

/** A strided view of `data`: element (i₀, …, iₙ₋₁) is `data[offset + Σ stride[k]·iₖ]`. */
export class NdView<D extends Data = Data> {
  data: D;
  shape: number[];
  stride: number[];
  offset: number;

  constructor(data: D, shape: number[], stride: number[], offset: number) {
    this.data = data;
    this.shape = shape;
    this.stride = stride;
    this.offset = offset | 0;
  }

  get dtype(): ScijsNdArray<D>['dtype'] {
    return dtypeName(this.data) as ScijsNdArray<D>['dtype'];
  }
  get dimension(): number {
    return this.shape.length;
  }
  /** Number of elements (1 for rank 0). */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  /** Axes from the smallest |stride| to the largest (row-major rank 2: [1, 0]). */
  get order(): number[] {
    return this.stride.map((s, i) => [Math.abs(s), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  }
  /** The transpose with the axes reversed (not in scijs ndarray 1.1; its types declare it). */
  get T(): NdView<D> {
    return this.transpose(...this.shape.map((_, i) => this.shape.length - 1 - i));
  }

  /** The storage index of an element. */
  index(...idx: number[]): number {
    let k = this.offset;
    for (let i = 0; i < this.stride.length; i++) k += this.stride[i]! * idx[i]!;
    return k;
  }
  get(...idx: number[]): ValueOf<D> {
    const data = this.data as unknown as Storage;
    const k = this.index(...idx);
    return (isGeneric(data) ? data.get!(k) : data[k]) as ValueOf<D>;
  }
  /** `set(i₀, …, iₙ₋₁, value)`; returns the value. */
  set(...args: number[]): ValueOf<D> {
    const value = args[this.shape.length];
    const data = this.data as unknown as Storage;
    const k = this.index(...args.slice(0, this.shape.length));
    if (isGeneric(data)) data.set!(k, value);
    else data[k] = value;
    return value as ValueOf<D>;
  }

  /** The view ending before index `idx[k]` on each axis (a non-number or negative keeps the axis). */
  hi(...idx: number[]): NdView<D> {
    const shape = this.shape.map((n, i) => (typeof idx[i] !== 'number' || idx[i]! < 0 ? n : idx[i]! | 0));
    return new NdView(this.data, shape, [...this.stride], this.offset);
  }
  /** The view starting at index `idx[k]` on each axis. */
  lo(...idx: number[]): NdView<D> {
    let offset = this.offset;
    const shape = [...this.shape];
    for (let i = 0; i < shape.length; i++) {
      const d = idx[i];
      if (typeof d === 'number' && d >= 0) {
        offset += this.stride[i]! * (d | 0);
        shape[i]! -= d | 0;
      }
    }
    return new NdView(this.data, shape, [...this.stride], offset);
  }
  /** Every `idx[k]`-th element on each axis; a negative step walks the axis backwards. */
  step(...idx: number[]): NdView<D> {
    let offset = this.offset;
    const shape = [...this.shape];
    const stride = [...this.stride];
    for (let i = 0; i < shape.length; i++) {
      if (typeof idx[i] !== 'number') continue;
      const d = idx[i]! | 0;
      if (d < 0) {
        offset += stride[i]! * (shape[i]! - 1);
        shape[i] = Math.ceil(-shape[i]! / d);
      } else {
        shape[i] = Math.ceil(shape[i]! / d);
      }
      stride[i]! *= d;
    }
    return new NdView(this.data, shape, stride, offset);
  }
  /** Axes reordered: axis k of the result is axis `axes[k]` of this view (missing ones stay). */
  transpose(...axes: number[]): NdView<D> {
    const order = this.shape.map((_, i) => (axes[i] === undefined ? i : axes[i]! | 0));
    return new NdView(this.data, order.map((a) => this.shape[a]!), order.map((a) => this.stride[a]!), this.offset);
  }
  /** Fixes the axes given a non-negative index (dropping them); `null`/negative keeps an axis. */
  pick(...idx: (number | null)[]): NdView<D> {
    let offset = this.offset;
    const shape: number[] = [];
    const stride: number[] = [];
    for (let i = 0; i < this.shape.length; i++) {
      const d = idx[i];
      if (typeof d === 'number' && d >= 0) offset = (offset + this.stride[i]! * d) | 0;
      else {
        shape.push(this.shape[i]!);
        stride.push(this.stride[i]!);
      }
    }
    return new NdView(this.data, shape, stride, offset);
  }
}

/**
 * `ndarray(data, shape?, stride?, offset?)` with scijs ndarray's defaults: shape `[data.length]`,
 * row-major strides, and an offset that keeps negative strides inside the data.
 */
export function ndarray<D extends TypedArray>(data: D, shape?: number[], stride?: number[], offset?: number): ScijsNdArray<D>;
export function ndarray<D extends Data>(data: D, shape?: number[], stride?: number[], offset?: number): ScijsNdArray<D>;
export function ndarray<D extends Data>(data: D, shape?: number[], stride?: number[], offset?: number): ScijsNdArray<D> {
  const dims = shape ?? [data.length];
  let strides = stride;
  if (strides === undefined) {
    strides = new Array<number>(dims.length);
    for (let i = dims.length - 1, size = 1; i >= 0; i--) {
      strides[i] = size;
      size *= dims[i]!;
    }
  }
  let start = offset;
  if (start === undefined) {
    start = 0;
    for (let i = 0; i < dims.length; i++) if (strides[i]! < 0) start -= (dims[i]! - 1) * strides[i]!;
  }
  return new NdView(data, dims, strides, start) as unknown as ScijsNdArray<D>;
}
