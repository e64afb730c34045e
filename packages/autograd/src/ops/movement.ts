// Differentiable ops that move elements: reshape, permute, slice, concat, gather, index-select, expand, cast.
import * as K from '@unroll/core';
import type { DType, Range } from '@unroll/core';
import { defineOp } from '../define-op.js';
import { noGrad } from '../mode.js';
import { SparseGradient } from '../sparse-gradient.js';
import { Tensor } from '../tensor.js';

const reshapeOp = defineOp({
  name: 'reshape',
  inputs: ['x'] as const,
  acceptsInt32: true,
  forward: ({ x }, { shape }: { shape: readonly number[] }) => K.reshape(x, shape),
  backward: ({ dy, shapes }) => ({ x: () => K.reshape(dy, shapes.x) }),
});
/** Same elements in a new shape; one dimension may be -1. */
export const reshape = (x: Tensor, shape: readonly number[]): Tensor => reshapeOp.apply([x], { shape });

const permuteOp = defineOp({
  name: 'permute',
  inputs: ['x'] as const,
  acceptsInt32: true,
  forward: ({ x }, { axes }: { axes: readonly number[] }) => K.permute(x, axes),
  backward: ({ dy, attrs: { axes } }) => ({ x: () => K.permute(dy, inversePermutation(axes, dy.shape.length)) }),
});
/** Reorders axes: result axis i is input axis `axes[i]`. */
export const permute = (x: Tensor, axes: readonly number[]): Tensor => permuteOp.apply([x], { axes });

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const axes = Array.from({ length: x.rank }, (_, i) => i);
  const i = K.normalizeAxis('transpose', axis0, x.rank), j = K.normalizeAxis('transpose', axis1, x.rank);
  [axes[i], axes[j]] = [axes[j], axes[i]];
  return permute(x, axes);
}

function inversePermutation(axes: readonly number[], rank: number): number[] {
  const inv = new Array<number>(rank);
  axes.forEach((a, i) => { inv[K.normalizeAxis('permute', a, rank)] = i; });
  return inv;
}

const sliceOp = defineOp({
  name: 'slice',
  inputs: ['x'] as const,
  acceptsInt32: true,
  forward: ({ x }, { ranges }: { ranges: readonly (Range | undefined)[] }) => K.slice(x, ranges),
  // dy in the sliced region, zero elsewhere: sparse, so the engine adds the T slices a loop takes
  // from one tensor into one buffer (linear in T) instead of summing T full-size arrays.
  backward: ({ dy, shapes, attrs: { ranges } }) => ({
    x: () => new SparseGradient(shapes.x, dy, (into, value) => K.sliceAssign(into, ranges, value, true)),
  }),
});
/**
 * x[start:stop:step, ...] per axis, keeping the rank. Axes without a range are kept whole.
 * @example slice(x, [undefined, { start: 1, stop: 3 }]) // x[:, 1:3]
 */
export const slice = (x: Tensor, ranges: readonly (Range | undefined)[]): Tensor => sliceOp.apply([x], { ranges });

/** x[..., index, ...] on `axis`, removing that axis (x[t] for axis 0). */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const ax = K.normalizeAxis('select', axis, x.rank);
  const n = x.shape[ax];
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new RangeError(`select: index ${index} is out of range for axis ${ax} of ${K.fmt(x.shape)}`);
  }
  const i = index < 0 ? index + n : index;
  const ranges: (Range | undefined)[] = [];
  ranges[ax] = { start: i, stop: i + 1 };
  return reshape(slice(x, ranges), x.shape.filter((_, d) => d !== ax));
}

/** `length` elements of `axis` from `start` (like torch.narrow). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const ax = K.normalizeAxis('narrow', axis, x.rank);
  if (start < 0 || length < 0 || start + length > x.shape[ax]) {
    throw new RangeError(`narrow: [${start}, ${start + length}) is outside axis ${ax} of ${K.fmt(x.shape)}`);
  }
  const ranges: (Range | undefined)[] = [];
  ranges[ax] = { start, stop: start + length };
  return slice(x, ranges);
}

const concatOp = defineOp({
  name: 'concat',
  inputs: 'variadic',
  acceptsInt32: true,
  forward: (xs, { axis }: { axis: number }) => K.concat(xs, axis),
  backward: ({ dy, shapes, attrs: { axis } }) => {
    const ax = K.normalizeAxis('concat', axis, dy.shape.length);
    let at = 0;
    return shapes.map((s) => {
      const start = at;
      at += s[ax];
      const ranges: Range[] = [];
      ranges[ax] = { start, stop: at };
      return () => K.slice(dy, ranges);
    });
  },
});
/** Joins tensors along an existing axis. */
export const concat = (xs: readonly Tensor[], axis = 0): Tensor => concatOp.apply(xs, { axis });

/** Joins same-shape tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new K.ShapeError('stack: needs at least one tensor');
  const shape = xs[0].shape;
  const ax = K.normalizeAxis('stack', axis, shape.length + 1);
  for (const x of xs) {
    if (!K.sameShape(x.shape, shape)) throw new K.ShapeError(`stack: all tensors must have one shape; got ${K.fmt(shape)} and ${K.fmt(x.shape)}`);
  }
  return concat(xs.map((x) => unsqueeze(x, ax)), ax);
}

/** Splits along `axis` into pieces of `sizes` (an array), or of `size` each (the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const ax = K.normalizeAxis('split', axis, x.rank);
  const n = x.shape[ax];
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new RangeError(`split: size must be a positive integer; got ${sizes}`);
    list = Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes));
  } else {
    list = [...sizes];
    if (list.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new RangeError(`split: sizes must be non-negative integers; got ${K.fmt(list)}`);
    }
    if (list.reduce((s, v) => s + v, 0) !== n) {
      throw new K.ShapeError(`split: sizes ${K.fmt(list)} do not add up to axis ${ax} of ${K.fmt(x.shape)}`);
    }
  }
  let at = 0;
  return list.map((len) => narrow(x, ax, (at += len) - len, len));
}

/** Splits into `chunks` nearly equal pieces along `axis` (like torch.chunk). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const ax = K.normalizeAxis('chunk', axis, x.rank);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer; got ${chunks}`);
  return split(x, Math.ceil(x.shape[ax] / chunks), ax);
}

/** Inserts a size-1 axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = K.normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/** Removes size-1 axes (all, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const ax = K.normalizeAxis('squeeze', axis, x.rank);
  if (x.shape[ax] !== 1) throw new K.ShapeError(`squeeze: axis ${ax} of ${K.fmt(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((_, d) => d !== ax));
}

const expandOp = defineOp({
  name: 'expand',
  inputs: ['x'] as const,
  acceptsInt32: true,
  forward: ({ x }, { shape }: { shape: readonly number[] }) => K.broadcastTo('expand', x, shape),
  backward: ({ dy }) => ({ x: () => dy }), // the engine sums the broadcast axes back
});
/** Broadcasts to `shape` (materialised). */
export const expand = (x: Tensor, shape: readonly number[]): Tensor => expandOp.apply([x], { shape });

const gatherOp = defineOp({
  name: 'gather',
  inputs: ['x', 'index'] as const,
  acceptsInt32: true,
  nondifferentiable: ['index'],
  save: ['index'],
  forward: ({ x, index }, { axis }: { axis: number }) => K.gather(x, axis, index),
  backward: ({ dy, saved: { index }, shapes, attrs: { axis } }) => ({
    x: () => K.scatterAdd(K.zeros(shapes.x, { dtype: K.dtypeOf(dy.data) }), axis, index, dy),
  }),
});
/** torch.gather: out[i][j] = x[index[i][j]][j] for axis 0 (and so on); `index` is an int32 tensor of x's rank. */
export const gather = (x: Tensor, axis: number, index: Tensor): Tensor => gatherOp.apply([x, index], { axis });

const indexSelectOp = defineOp({
  name: 'indexSelect',
  inputs: ['x', 'ids'] as const,
  acceptsInt32: true,
  nondifferentiable: ['ids'],
  save: ['ids'],
  forward: ({ x, ids }, { axis }: { axis: number }) => K.indexSelect(x, axis, ids),
  // Sparse, like slice's: a decoder embedding one token per step adds T small gradients into one table.
  backward: ({ dy, saved: { ids }, shapes, attrs: { axis } }) => ({
    x: () => new SparseGradient(shapes.x, dy, (into, value) => K.indexAddInto(into, axis, ids, value)),
  }),
});
/**
 * Slices of x along `axis` picked by `ids` of any shape (an embedding lookup is
 * indexSelect(weight, 0, ids): [V, D] with ids [B, T] → [B, T, D]). Repeated ids accumulate gradient.
 */
export const indexSelect = (x: Tensor, axis: number, ids: Tensor): Tensor => indexSelectOp.apply([x, ids], { axis });

const castOp = defineOp({
  name: 'cast',
  inputs: ['x'] as const,
  acceptsInt32: true,
  forward: ({ x }, { dtype }: { dtype: DType }) => K.cast(x, dtype, 'cast'),
  backward: ({ dy }) => ({ x: () => dy }), // the engine casts the gradient back to the input's dtype
});
/** The same values in another dtype (differentiable between float32 and float64); to int32 refuses non-integers, non-finite and out-of-range values. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  // To or from int32 no gradient flows, but the op is still applied, so tracers (ONNX export) see it.
  if (x.dtype === 'int32' || dtype === 'int32') return noGrad(() => castOp.apply([x], { dtype: K.checkDType(dtype, 'cast') }));
  return castOp.apply([x], { dtype });
}
