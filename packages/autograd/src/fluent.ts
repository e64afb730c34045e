// Fluent methods (`a.mul(b).sum()`): the same ops as the functions, attached to Tensor.
import type { DType, MatmulOptions, Range } from '@unroll/core';
import { backward, type BackwardOptions } from './engine.js';
import { Tensor } from './tensor.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import { matmul } from './ops/linalg.js';
import type { TensorLike } from './ops/lift.js';

// Each method is the function of the same name with this tensor as its first argument: same
// gradient, same errors. They are declared here (module augmentation) and attached to the prototype below.
declare module './tensor.js' {
  interface Tensor {
    /** this + b, broadcasting (NumPy rules); `b` may be a number. Same as `add(this, b)`. */
    add(b: TensorLike): Tensor;
    /** this − b, broadcasting; `b` may be a number. Same as `sub(this, b)`. */
    sub(b: TensorLike): Tensor;
    /** this ⊙ b (elementwise), broadcasting; `b` may be a number. Same as `mul(this, b)`. */
    mul(b: TensorLike): Tensor;
    /** this / b (elementwise), broadcasting; `b` may be a number. Same as `div(this, b)`. */
    div(b: TensorLike): Tensor;
    /** this ** b (elementwise), broadcasting; `b` may be a number. Same as `pow(this, b)`. */
    pow(b: TensorLike): Tensor;
    /** −this. Same as `neg(this)`. */
    neg(): Tensor;
    /** eˣ elementwise. Same as `exp(this)`. */
    exp(): Tensor;
    /** Natural logarithm elementwise. Same as `log(this)`. */
    log(): Tensor;
    /** √x elementwise. Same as `sqrt(this)`. */
    sqrt(): Tensor;
    /** |x| elementwise (gradient 0 at 0). Same as `abs(this)`. */
    abs(): Tensor;
    /** tanh(x) elementwise. Same as `tanh(this)`. */
    tanh(): Tensor;
    /** 1 / (1 + e⁻ˣ) elementwise. Same as `sigmoid(this)`. */
    sigmoid(): Tensor;
    /** max(x, 0) elementwise. Same as `relu(this)`. */
    relu(): Tensor;
    /** log(1 + eˣ) elementwise, stable for large |x|. Same as `softplus(this)`. */
    softplus(): Tensor;
    /** Limits values to [min, max] (either bound may be omitted); the gradient is 0 where clamped. Same as `clamp(this, bounds)`. */
    clamp(bounds: { min?: number; max?: number }): Tensor;
    /** Matrix product this · b ([m, k] · [k, n] → [m, n], batched over leading axes); `opts.transA`/`transB` use a transpose without copying. Same as `matmul(this, b, opts)`. */
    matmul(b: Tensor, opts?: MatmulOptions): Tensor;
    /** Σ over `opts.axes` (all by default), `keepdims` to keep them as size 1. Same as `sum(this, opts)`. */
    sum(opts?: R.AxesOptions): Tensor;
    /** Mean over `opts.axes` (all by default), `keepdims` to keep them as size 1. Same as `mean(this, opts)`. */
    mean(opts?: R.AxesOptions): Tensor;
    /** Largest value over `opts.axes` (all by default); the gradient goes to the maxima. Same as `max(this, opts)`. */
    max(opts?: R.AxesOptions): Tensor;
    /** log Σ exp(x) along `axis` (the last by default), stable for large |x|. Same as `logsumexp(this, axis, opts)`. */
    logsumexp(axis?: number, opts?: { keepdims?: boolean }): Tensor;
    /** softmax along `axis` (the last by default). Same as `softmax(this, axis)`. */
    softmax(axis?: number): Tensor;
    /** log softmax along `axis` (the last by default): x − logsumexp(x). Same as `logSoftmax(this, axis)`. */
    logSoftmax(axis?: number): Tensor;
    /** The same elements in `shape` (one entry may be −1, inferred). Same as `reshape(this, shape)`. */
    reshape(shape: readonly number[]): Tensor;
    /** Axes reordered: result axis i is axis `axes[i]` of this. Same as `permute(this, axes)`. */
    permute(axes: readonly number[]): Tensor;
    /** Swaps two axes (the last two by default). Same as `transpose(this, axis0, axis1)`. */
    transpose(axis0?: number, axis1?: number): Tensor;
    /** x[start:stop:step, …] per axis, keeping the rank; `undefined` keeps an axis whole. Same as `slice(this, ranges)`. */
    slice(ranges: readonly (Range | undefined)[]): Tensor;
    /** x[…, index, …] on `axis`, removing that axis (`x.select(0, t)` is x[t]). Same as `select(this, axis, index)`. */
    select(axis: number, index: number): Tensor;
    /** `length` elements of `axis` from `start`, keeping the rank (torch.narrow). Same as `narrow(this, axis, start, length)`. */
    narrow(axis: number, start: number, length: number): Tensor;
    /** Pieces along `axis` (0 by default): of the given `sizes`, or of `sizes` elements each (the last may be smaller). Same as `split(this, sizes, axis)`. */
    split(sizes: number | readonly number[], axis?: number): Tensor[];
    /** `chunks` nearly equal pieces along `axis` (0 by default), as torch.chunk. Same as `chunk(this, chunks, axis)`. */
    chunk(chunks: number, axis?: number): Tensor[];
    /** A size-1 axis inserted at `axis`. Same as `unsqueeze(this, axis)`. */
    unsqueeze(axis: number): Tensor;
    /** Size-1 axes removed (all of them, or only `axis`). Same as `squeeze(this, axis)`. */
    squeeze(axis?: number): Tensor;
    /** Broadcast to `shape` (materialised); the gradient sums back over the broadcast axes. Same as `expand(this, shape)`. */
    expand(shape: readonly number[]): Tensor;
    /** torch.gather: out[i][j] = x[index[i][j]][j] for axis 0, and so on; `index` is int32 of the same rank. Same as `gather(this, axis, index)`. */
    gather(axis: number, index: Tensor): Tensor;
    /** The slices along `axis` picked by int32 `ids` of any shape (an embedding lookup is `weight.indexSelect(0, ids)`). Same as `indexSelect(this, axis, ids)`. */
    indexSelect(axis: number, ids: Tensor): Tensor;
    /** The same values in another dtype (differentiable between float dtypes). */
    to(dtype: DType): Tensor;
    /** Accumulates gradients into the leaves of a one-element tensor (`loss.backward()`); see `backward`. */
    backward(opts?: BackwardOptions): void;
    /** Accumulates gradients into the leaves, starting from `seed` (dL/dthis, this tensor's shape); see `backward`. */
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
