// Making tensors: from nested arrays, ndarrays, constants, ranges and the seeded generator.
import * as K from '@unroll/core';
import type { DType, RandomGenerator, NdArray, Nested, Shape } from '@unroll/core';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  /** float32 (default), float64 or int32. */
  dtype?: DType;
  /** Make a leaf that accumulates gradients. */
  requiresGrad?: boolean;
}
export interface RandomTensorOptions extends TensorOptions {
  /** The random source (the default generator, seeded with `manualSeed`, if omitted). */
  generator?: RandomGenerator;
}

const TENSOR_OPTIONS = K.optionKeys<TensorOptions>({ dtype: true, requiresGrad: true });
const RANDOM_OPTIONS = K.optionKeys<RandomTensorOptions>({ dtype: true, requiresGrad: true, generator: true });

/** Wraps a new array; options are checked before `make` runs, so `{ dtpye: 'float64' }` fails instead of giving float32. */
const wrap = (data: NdArray, opts: TensorOptions) => new Tensor(data, { requiresGrad: opts.requiresGrad ?? false });
const checked = <O extends TensorOptions>(where: string, opts: O, known: readonly string[] = TENSOR_OPTIONS): O => K.checkOptions(where, opts, known);

/**
 * A leaf tensor from nested arrays, a number, a typed array (1-D) or an ndarray. With `dtype: 'int32'`
 * a value int32 cannot hold exactly (1.5, NaN, 2³²) is refused, not truncated.
 * @example tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })
 */
export function tensor(value: Nested | NdArray | K.TypedArray, opts: TensorOptions = {}): Tensor {
  checked('tensor', opts);
  if (ArrayBuffer.isView(value)) {
    const data = K.fromData(value as K.TypedArray, [(value as K.TypedArray).length]);
    return wrap(opts.dtype && opts.dtype !== data.dtype ? K.cast(data, opts.dtype, 'tensor') : data, opts);
  }
  if (typeof value === 'object' && value !== null && 'shape' in value && 'stride' in value) {
    const nd = value as NdArray;
    const dtype = opts.dtype ?? K.dtypeOf(nd.data);
    return wrap(dtype === K.dtypeOf(nd.data) ? K.compact(nd) : K.cast(nd, dtype, 'tensor'), opts);
  }
  return wrap(K.fromNested(value as Nested, { dtype: opts.dtype }, 'tensor'), opts);
}

export const zeros = (shape: Shape, opts: TensorOptions = {}) => wrap(K.zeros(shape, checked('zeros', opts)), opts);
export const ones = (shape: Shape, opts: TensorOptions = {}) => wrap(K.ones(shape, checked('ones', opts)), opts);
export const full = (shape: Shape, value: number, opts: TensorOptions = {}) => wrap(K.full(shape, value, checked('full', opts)), opts);
/** Zeros (or ones, or `value`) shaped and typed like `like`. */
export const zerosLike = (like: Tensor, opts: TensorOptions = {}) => zeros(like.shape, { dtype: like.dtype, ...opts });
export const onesLike = (like: Tensor, opts: TensorOptions = {}) => ones(like.shape, { dtype: like.dtype, ...opts });
/** `[start, stop)` by `step`; `arange(n)` is 0..n−1. */
export const arange = (start: number, stop?: number, step = 1, opts: TensorOptions = {}) =>
  wrap(K.arange(start, stop, step, checked('arange', opts)), opts);
/** Uniform in [low, high) from the seeded generator. */
export const randUniform = (shape: Shape, low = 0, high = 1, opts: RandomTensorOptions = {}) =>
  wrap(K.randUniform(shape, low, high, checked('randUniform', opts, RANDOM_OPTIONS)), opts);
/** Normal(mean, std) from the seeded generator. */
export const randNormal = (shape: Shape, mean = 0, std = 1, opts: RandomTensorOptions = {}) =>
  wrap(K.randNormal(shape, mean, std, checked('randNormal', opts, RANDOM_OPTIONS)), opts);
/** Standard normal, like torch.randn. */
export const randn = (shape: Shape, opts: RandomTensorOptions = {}) => randNormal(shape, 0, 1, opts);
/** Uniform in [0, 1), like torch.rand. */
export const rand = (shape: Shape, opts: RandomTensorOptions = {}) => randUniform(shape, 0, 1, opts);
