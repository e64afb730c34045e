// Reductions and the softmax family as differentiable ops.
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';
import { defineOp } from '../define-op.js';
import type { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';

export interface AxesOptions {
  /** Axis or axes to reduce (negative counts from the end); all when omitted. */
  axes?: number | readonly number[];
  /** Keep reduced axes as size 1. */
  keepdims?: boolean;
}

/** dy of a reduction, reshaped with size-1 reduced axes and broadcast back over the input. */
function spread(dy: NdArray, shape: readonly number[], axes: AxesOptions['axes']): NdArray {
  const { kept } = K.reducedShape('sum', shape, axes, true);
  return K.broadcastTo('sum', K.reshape(dy, kept), shape);
}

const sumOp = defineOp({
  name: 'sum',
  inputs: ['x'] as const,
  forward: ({ x }, opts: AxesOptions) => K.sum(x, opts),
  backward: ({ dy, shapes, attrs }) => ({ x: () => spread(dy, shapes.x, attrs.axes) }),
});
/** Σ over `axes` (all by default). */
export const sum = (x: Tensor, opts: AxesOptions = {}): Tensor => sumOp.apply([x], opts);

/** Mean over `axes` (all by default): the sum scaled by 1/count. */
export function mean(x: Tensor, opts: AxesOptions = {}): Tensor {
  const { axes } = K.reducedShape('mean', x.shape, opts.axes);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return mul(sum(x, opts), 1 / count);
}

const maxOp = defineOp({
  name: 'max',
  inputs: ['x'] as const,
  save: ['x', 'output'],
  forward: ({ x }, opts: AxesOptions) => K.max(x, opts),
  // The gradient goes to the maxima, split evenly among ties (as torch.amax).
  backward: ({ dy, saved: { x }, output: y, attrs }) => ({
    x: () => {
      const { kept } = K.reducedShape('max', x.shape, attrs.axes, true);
      const isMax = K.zip('max', x, K.reshape(y, kept), (v, m) => (v === m ? 1 : 0));
      const count = K.sum(isMax, { axes: attrs.axes, keepdims: true });
      return K.zip3('max', isMax, K.reshape(dy, kept), count, (s, g, c) => (s * g) / c, K.dtypeOf(dy.data));
    },
  }),
});
/** Largest value over `axes` (all by default). */
export const max = (x: Tensor, opts: AxesOptions = {}): Tensor => maxOp.apply([x], opts);

const logsumexpOp = defineOp({
  name: 'logsumexp',
  inputs: ['x'] as const,
  save: ['x', 'output'],
  forward: ({ x }, { axis, keepdims }: { axis: number; keepdims: boolean }) => K.logsumexp(x, axis, keepdims),
  // d lse/dx = softmax(x) = exp(x − lse).
  backward: ({ dy, saved: { x }, output: y, attrs: { axis } }) => ({
    x: () => {
      const kept = keptShape(x.shape, axis);
      return K.zip3('logsumexp', x, K.reshape(y, kept), K.reshape(dy, kept), (v, l, g) => g * Math.exp(v - l), K.dtypeOf(dy.data));
    },
  }),
});
/** log Σ exp(x) along `axis`, stable for large |x|. */
export const logsumexp = (x: Tensor, axis = -1, opts: { keepdims?: boolean } = {}): Tensor =>
  logsumexpOp.apply([x], { axis, keepdims: opts.keepdims ?? false });

const softmaxOp = defineOp({
  name: 'softmax',
  inputs: ['x'] as const,
  save: ['output'],
  forward: ({ x }, { axis }: { axis: number }) => K.softmax(x, axis),
  // dx = y ⊙ (dy − Σ dy ⊙ y).
  backward: ({ dy, output: y, attrs: { axis } }) => ({
    x: () => {
      const dot = K.sum(K.mul(dy, y), { axes: axis, keepdims: true });
      return K.zip3('softmax', y, dy, dot, (p, g, s) => p * (g - s), K.dtypeOf(dy.data));
    },
  }),
});
/** softmax along `axis` (the last by default), shifted by the max for stability. */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxOp.apply([x], { axis });

const logSoftmaxOp = defineOp({
  name: 'logSoftmax',
  inputs: ['x'] as const,
  save: ['output'],
  forward: ({ x }, { axis }: { axis: number }) => K.logSoftmax(x, axis),
  // dx = dy − softmax ⊙ Σ dy, with softmax = exp(y).
  backward: ({ dy, output: y, attrs: { axis } }) => ({
    x: () => {
      const total = K.sum(dy, { axes: axis, keepdims: true });
      return K.zip3('logSoftmax', dy, y, total, (g, l, s) => g - Math.exp(l) * s, K.dtypeOf(dy.data));
    },
  }),
});
/** log softmax along `axis` (the last by default): x − logsumexp(x). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => logSoftmaxOp.apply([x], { axis });

function keptShape(shape: readonly number[], axis: number): number[] {
  const ax = K.normalizeAxis('logsumexp', axis, shape.length);
  return shape.map((d, i) => (i === ax ? 1 : d));
}
