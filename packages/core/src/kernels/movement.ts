// Kernels that move elements: reshape, permute, slice, concat, stack, gather/scatter-add, index-select.
import { ndarray } from '../ndarray.js';
import { allocate, dtypeOf, type TypedArray } from '../dtype.js';
import { contiguous, type NdArray } from '../array.js';
import { forEachRun } from './iterate.js';
import { ShapeError, fmt } from '../errors.js';
import { normalizeAxis, resolveReshape, sameShape, sizeOf, stridesOf, type Shape } from '../shape.js';
import { split } from './reduce.js';

/** Same elements, new shape (one dim may be -1). Shares storage when `a` is contiguous. */
export function reshape(a: NdArray, shape: readonly number[]): NdArray<TypedArray> {
  return ndarray(contiguous(a as NdArray<TypedArray>), resolveReshape('reshape', a.shape, shape));
}

/** Reorders axes: result axis i is input axis `axes[i]`. A contiguous copy. */
export function permute(a: NdArray, axes: readonly number[]): NdArray<TypedArray> {
  const rank = a.shape.length;
  const list = axes.map((x) => normalizeAxis('permute', x, rank));
  if (list.length !== rank || new Set(list).size !== rank) {
    throw new ShapeError(`permute: axes ${fmt(axes)} are not a permutation of ${rank} axes for ${fmt(a.shape)}`);
  }
  const view = ndarray(a.data as TypedArray, a.shape, a.stride, a.offset).transpose(...list);
  return ndarray(contiguous(view).slice() as TypedArray, view.shape);
}

/** Swaps two axes (the last two by default, as `.T` for a matrix). */
export function transpose(a: NdArray, axis0 = -2, axis1 = -1): NdArray<TypedArray> {
  const rank = a.shape.length;
  const axes = Array.from({ length: rank }, (_, i) => i);
  const i = normalizeAxis('transpose', axis0, rank), j = normalizeAxis('transpose', axis1, rank);
  [axes[i], axes[j]] = [axes[j]!, axes[i]!];
  return permute(a, axes);
}

/** One axis of a slice: start (inclusive), stop (exclusive), step > 0; negatives count from the end. */
export interface Range {
  start?: number;
  stop?: number;
  step?: number;
}

/** Normalises a Range against a dimension of size n, as Python's slice.indices. */
export function resolveRange(op: string, r: Range, n: number) {
  const step = r.step ?? 1;
  if (!Number.isInteger(step) || step <= 0) throw new ShapeError(`${op}: step must be a positive integer; got ${step}`);
  const clip = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  const start = clip(r.start ?? 0);
  const stop = Math.max(start, clip(r.stop ?? n));
  return { start, stop, step, length: Math.ceil((stop - start) / step) };
}

/** The strided view of a[ranges...] over a's storage (no copy); axes without a range stay whole. */
function rangeView(op: string, a: NdArray, ranges: readonly (Range | undefined)[]): NdArray<TypedArray> {
  if (ranges.length > a.shape.length) throw new ShapeError(`${op}: ${ranges.length} ranges for ${fmt(a.shape)}`);
  let offset = a.offset;
  const shape = [...a.shape];
  const stride = [...a.stride];
  ranges.forEach((r, i) => {
    if (!r) return;
    const { start, step, length } = resolveRange(op, r, a.shape[i]!);
    offset += start * a.stride[i]!;
    shape[i] = length;
    stride[i] = a.stride[i]! * step;
  });
  return ndarray(a.data as TypedArray, shape, stride, offset);
}

/** A contiguous copy of a[ranges...]; axes without a range are kept whole. */
export function slice(a: NdArray, ranges: readonly (Range | undefined)[]): NdArray<TypedArray> {
  const view = rangeView('slice', a, ranges);
  return ndarray(contiguous(view).slice() as TypedArray, view.shape);
}

/** Writes `src` into the region `ranges` of `dst` (in place, adding when `accumulate`). */
export function sliceAssign(dst: NdArray, ranges: readonly (Range | undefined)[], src: NdArray, accumulate = false): void {
  const view = rangeView('sliceAssign', dst, ranges);
  const { shape, stride, offset } = view;
  if (!sameShape(shape, src.shape)) throw new ShapeError(`sliceAssign: region is ${fmt(shape)}; got ${fmt(src.shape)}`);
  // Walks the region and src together run by run (src keeps its own strides: no contiguous copy).
  const out = view.data as TypedArray, values = src.data as TypedArray, srcOffset = src.offset;
  forEachRun(shape, [stride, src.stride], (o, n, s) => {
    const sd = s[0]!, ss = s[1]!;
    let p = offset + o[0]!, q = srcOffset + o[1]!;
    if (accumulate) for (let i = 0; i < n; i++, p += sd, q += ss) out[p] = out[p]! + values[q]!;
    else for (let i = 0; i < n; i++, p += sd, q += ss) out[p] = values[q]!;
  });
}

/** Joins arrays along an existing axis; all other dims must agree. */
export function concat(arrays: readonly NdArray[], axis = 0): NdArray<TypedArray> {
  if (arrays.length === 0) throw new ShapeError('concat: needs at least one array');
  const first = arrays[0]!;
  const ax = normalizeAxis('concat', axis, first.shape.length);
  for (const b of arrays) {
    if (b.shape.length !== first.shape.length || b.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: along axis ${ax}, ${fmt(first.shape)} and ${fmt(b.shape)} differ off that axis`);
    }
  }
  const shape = [...first.shape];
  shape[ax] = arrays.reduce((n, b) => n + b.shape[ax]!, 0);
  const { outer, inner } = split(shape, ax);
  const out = allocate(dtypeOf(first.data), sizeOf(shape));
  const rowOut = shape[ax]! * inner;
  let at = 0;
  for (const b of arrays) {
    const x = contiguous(b);
    const row = b.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * row, (o + 1) * row), o * rowOut + at);
    at += row;
  }
  return ndarray(out, shape);
}

/** Joins same-shape arrays along a new axis. */
export function stack(arrays: readonly NdArray[], axis = 0): NdArray<TypedArray> {
  if (arrays.length === 0) throw new ShapeError('stack: needs at least one array');
  const first = arrays[0]!.shape;
  const ax = normalizeAxis('stack', axis, first.length + 1);
  for (const b of arrays) {
    if (!sameShape(b.shape, first)) throw new ShapeError(`stack: all arrays must have one shape; got ${fmt(first)} and ${fmt(b.shape)}`);
  }
  const withAxis = (s: Shape) => [...s.slice(0, ax), 1, ...s.slice(ax)];
  return concat(arrays.map((b) => ndarray(contiguous(b), withAxis(b.shape))), ax);
}

/**
 * An id must lie in [0, n). Negative ids are refused, as PyTorch's gather/index_select do: a −1 left
 * over from padding or a failed lookup would otherwise silently read the last row.
 */
function checkIndex(op: string, v: number, n: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= n) {
    throw new RangeError(`${op}: index ${v} is out of range for a dimension of size ${n}; ids must be in [0, ${n})${v < 0 ? ' (negative ids do not count from the end)' : ''}`);
  }
  return v;
}

/**
 * torch.gather: out[..i..] = a[..index[..i..]..] along `axis`; `index` has a's rank,
 * and each of its dims other than `axis` is at most a's.
 */
export function gather(a: NdArray, axis: number, index: NdArray): NdArray<TypedArray> {
  const ax = normalizeAxis('gather', axis, a.shape.length);
  checkGatherShapes('gather', a.shape, index.shape, ax);
  const x = contiguous(a), idx = contiguous(index);
  const out = allocate(dtypeOf(a.data), idx.length);
  walkGather('gather', a.shape, index.shape, ax, idx, (k, src) => { out[k] = x[src]!; });
  return ndarray(out, [...index.shape]);
}

/** torch.scatter_add: returns a copy of `a` with src[..i..] added at a[..index[..i..]..] along `axis`. */
export function scatterAdd(a: NdArray, axis: number, index: NdArray, src: NdArray): NdArray<TypedArray> {
  const ax = normalizeAxis('scatterAdd', axis, a.shape.length);
  checkGatherShapes('scatterAdd', a.shape, index.shape, ax);
  if (!sameShape(index.shape, src.shape)) throw new ShapeError(`scatterAdd: index is ${fmt(index.shape)} but src is ${fmt(src.shape)}`);
  const out = contiguous(a).slice() as TypedArray, idx = contiguous(index), s = contiguous(src);
  walkGather('scatterAdd', a.shape, index.shape, ax, idx, (k, dst) => { out[dst] = out[dst]! + s[k]!; });
  return ndarray(out, [...a.shape]);
}

function checkGatherShapes(op: string, shape: Shape, indexShape: Shape, ax: number) {
  if (indexShape.length !== shape.length || indexShape.some((d, i) => i !== ax && d > shape[i]!)) {
    throw new ShapeError(`${op}: index ${fmt(indexShape)} must have the rank of ${fmt(shape)} and no larger dims off axis ${ax}`);
  }
}

function walkGather(op: string, shape: Shape, indexShape: Shape, ax: number, idx: TypedArray, visit: (k: number, flat: number) => void) {
  const strides = stridesOf(shape);
  const rank = indexShape.length;
  const pos = new Array<number>(rank).fill(0);
  for (let k = 0; k < idx.length; k++) {
    let flat = 0;
    for (let d = 0; d < rank; d++) flat += (d === ax ? checkIndex(op, idx[k]!, shape[ax]!) : pos[d]!) * strides[d]!;
    visit(k, flat);
    for (let d = rank - 1; d >= 0; d--) {
      if (++pos[d]! < indexShape[d]!) break;
      pos[d] = 0;
    }
  }
}

/**
 * Picks slices of `a` along `axis` by ids of any shape (embedding lookup):
 * out shape = a.shape[:axis] + ids.shape + a.shape[axis+1:].
 */
export function indexSelect(a: NdArray, axis: number, ids: NdArray): NdArray<TypedArray> {
  const ax = normalizeAxis('indexSelect', axis, a.shape.length);
  const { outer, n, inner } = split(a.shape, ax);
  const x = contiguous(a), id = contiguous(ids);
  const out = allocate(dtypeOf(a.data), outer * id.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < id.length; k++) {
      const j = checkIndex('indexSelect', id[k]!, n);
      const from = (o * n + j) * inner;
      out.set(x.subarray(from, from + inner), (o * id.length + k) * inner);
    }
  }
  return ndarray(out, [...a.shape.slice(0, ax), ...ids.shape, ...a.shape.slice(ax + 1)]);
}

/** The adjoint of indexSelect: adds slices of `src` into a zero array of `shape` at `ids` along `axis`. */
export function indexAdd(shape: Shape, axis: number, ids: NdArray, src: NdArray): NdArray<TypedArray> {
  const out = ndarray(allocate(dtypeOf(src.data), sizeOf(shape)), [...shape]);
  indexAddInto(out, axis, ids, src);
  return out;
}

/** indexAdd in place: adds slices of `src` into the contiguous array `into` at `ids` along `axis`. */
export function indexAddInto(into: NdArray, axis: number, ids: NdArray, src: NdArray): void {
  const shape = into.shape;
  const ax = normalizeAxis('indexAdd', axis, shape.length);
  const { outer, n, inner } = split(shape, ax);
  const id = contiguous(ids), s = contiguous(src);
  const out = into.data as TypedArray;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < id.length; k++) {
      const to = (o * n + checkIndex('indexAdd', id[k]!, n)) * inner;
      const from = (o * id.length + k) * inner;
      for (let i = 0; i < inner; i++) out[to + i] = out[to + i]! + s[from + i]!;
    }
  }
}
