// How a loss turns per-element values into what it returns ('mean' | 'sum' | 'none'), shared by every loss.
import * as K from '@unroll/core';
import { mean, sum } from '../../ops/reduce.js';
import { Tensor } from '../../tensor.js';
import { describe } from '../checks.js';

/** 'mean' (default) averages, 'sum' adds, 'none' returns the per-element losses, as torch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** The reduction option, checked (anything else is an error naming the loss). */
export function checkReduction(where: string, reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`${where}: reduction must be 'mean', 'sum' or 'none'; got '${String(reduction)}'`);
  }
  return reduction;
}

/** Applies an elementwise loss's reduction (mean over every element). */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
}

/** A float Tensor argument of a loss (`name` is 'input', 'logits', …). */
export function checkFloatTensor(where: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${where}: ${name} must be a Tensor; got ${describe(t)}`);
  if (t.dtype === 'int32') throw new K.DTypeError(`${where}: ${name} must be float32 or float64; got int32`);
}

/** A target of the same shape and dtype as the input (elementwise losses). */
export function checkMatchingTarget(where: string, inputName: string, input: Tensor, targetName: string, target: unknown): asserts target is Tensor {
  if (!(target instanceof Tensor)) throw new TypeError(`${where}: ${targetName} must be a Tensor; got ${describe(target)}`);
  if (target.dtype === 'int32') {
    throw new K.DTypeError(`${where}: ${targetName} must be a float tensor like ${inputName} (${input.dtype}); got int32 (convert with .to('${input.dtype}'))`);
  }
  if (!K.sameShape(target.shape, input.shape)) {
    throw new K.ShapeError(`${where}: ${targetName} must have ${inputName}'s shape ${K.fmt(input.shape)}; got ${K.fmt(target.shape)}`);
  }
  if (target.dtype !== input.dtype) {
    throw new K.DTypeError(`${where}: ${targetName} is ${target.dtype} but ${inputName} is ${input.dtype}; convert one with .to()`);
  }
}
