// Fluent methods (`a.mul(b).sum()`): the same ops as the functions, attached to Tensor.
import type { DType, MatmulOptions, Range } from '@unroll/core';
import { backward, type BackwardOptions } from './engine.js';
import { Tensor } from './tensor.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import { matmul } from './ops/linalg.js';
import type { TensorLike } from './ops/lift.js';

declare module './tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    softplus(): Tensor;
    clamp(bounds: { min?: number; max?: number }): Tensor;
    matmul(b: Tensor, opts?: MatmulOptions): Tensor;
    sum(opts?: R.AxesOptions): Tensor;
    mean(opts?: R.AxesOptions): Tensor;
    max(opts?: R.AxesOptions): Tensor;
    logsumexp(axis?: number, opts?: { keepdims?: boolean }): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    reshape(shape: readonly number[]): Tensor;
    permute(axes: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    slice(ranges: readonly (Range | undefined)[]): Tensor;
    select(axis: number, index: number): Tensor;
    narrow(axis: number, start: number, length: number): Tensor;
    split(sizes: number | readonly number[], axis?: number): Tensor[];
    chunk(chunks: number, axis?: number): Tensor[];
    unsqueeze(axis: number): Tensor;
    squeeze(axis?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    indexSelect(axis: number, ids: Tensor): Tensor;
    /** The same values in another dtype (differentiable between float dtypes). */
    to(dtype: DType): Tensor;
    /** Accumulates gradients into the leaves; see `backward`. */
    backward(opts?: BackwardOptions): void;
    backward(seed?: Tensor, opts?: BackwardOptions): void;
  }
}

const P = Tensor.prototype;
P.add = function (b) { return E.add(this, b); };
P.sub = function (b) { return E.sub(this, b); };
P.mul = function (b) { return E.mul(this, b); };
P.div = function (b) { return E.div(this, b); };
P.pow = function (b) { return E.pow(this, b); };
P.neg = function () { return E.neg(this); };
P.exp = function () { return E.exp(this); };
P.log = function () { return E.log(this); };
P.sqrt = function () { return E.sqrt(this); };
P.abs = function () { return E.abs(this); };
P.tanh = function () { return E.tanh(this); };
P.sigmoid = function () { return E.sigmoid(this); };
P.relu = function () { return E.relu(this); };
P.softplus = function () { return E.softplus(this); };
P.clamp = function (bounds) { return E.clamp(this, bounds); };
P.matmul = function (b, opts) { return matmul(this, b, opts); };
P.sum = function (opts) { return R.sum(this, opts); };
P.mean = function (opts) { return R.mean(this, opts); };
P.max = function (opts) { return R.max(this, opts); };
P.logsumexp = function (axis, opts) { return R.logsumexp(this, axis, opts); };
P.softmax = function (axis) { return R.softmax(this, axis); };
P.logSoftmax = function (axis) { return R.logSoftmax(this, axis); };
P.reshape = function (shape) { return M.reshape(this, shape); };
P.permute = function (axes) { return M.permute(this, axes); };
P.transpose = function (a0, a1) { return M.transpose(this, a0, a1); };
P.slice = function (ranges) { return M.slice(this, ranges); };
P.select = function (axis, index) { return M.select(this, axis, index); };
P.narrow = function (axis, start, length) { return M.narrow(this, axis, start, length); };
P.split = function (sizes, axis) { return M.split(this, sizes, axis); };
P.chunk = function (chunks, axis) { return M.chunk(this, chunks, axis); };
P.unsqueeze = function (axis) { return M.unsqueeze(this, axis); };
P.squeeze = function (axis) { return M.squeeze(this, axis); };
P.expand = function (shape) { return M.expand(this, shape); };
P.gather = function (axis, index) { return M.gather(this, axis, index); };
P.indexSelect = function (axis, ids) { return M.indexSelect(this, axis, ids); };
P.to = function (dtype) { return M.cast(this, dtype); };
P.backward = function (this: Tensor, seedOrOpts?: Tensor | BackwardOptions, opts?: BackwardOptions) {
  backward(this, seedOrOpts as Tensor | undefined, opts);
};
