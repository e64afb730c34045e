// LayerNorm: normalizes over the trailing axes, then scales and shifts elementwise.
import * as K from '@unroll/core';
import type { FloatDType } from '@unroll/core';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { checkFeatureCount, checkFloatDType, checkInput } from './checks.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn weight (ones) and bias (zeros) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the bias (default true; torch ≥ 2.1's `bias`). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Layer normalization (Ba et al. 2016), as torch.nn.LayerNorm:
 *   y = (x − E[x]) / √(Var[x] + eps) · weight + bias,
 * with the mean and the biased variance taken over the last `normalizedShape.length` axes.
 * Shapes: x [..., ...normalizedShape] → same; weight, bias [...normalizedShape].
 * Composed from differentiable ops, so its gradient is exact.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  /** [...normalizedShape] (ones), or null without elementwiseAffine. */
  readonly weight: Parameter | null;
  /** [...normalizedShape] (zeros), or null. */
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    if (!Array.isArray(normalizedShape) && typeof normalizedShape !== 'number') {
      throw new TypeError(`LayerNorm: normalizedShape must be a number or an array of numbers; got ${typeof normalizedShape}`);
    }
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0) throw new K.ShapeError('LayerNorm: normalizedShape must have at least one axis; got []');
    shape.forEach((d) => checkFeatureCount('LayerNorm', 'each normalizedShape entry', d));
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
      throw new RangeError(`LayerNorm: eps must be a finite number ≥ 0; got ${String(eps)}`);
    }
    const dtype = checkFloatDType('LayerNorm', opts.dtype ?? 'float32');
    this.normalizedShape = shape;
    this.eps = eps;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? new Parameter(K.ones(shape, { dtype })) : null);
    this.bias = this.registerParameter('bias', affine && (opts.bias ?? true) ? new Parameter(K.zeros(shape, { dtype })) : null);
  }

  /** x [..., ...normalizedShape] → same shape. */
  forward(x: Tensor): Tensor {
    checkInput('LayerNorm.forward', x, this.weight ?? undefined);
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || !K.sameShape(tail, this.normalizedShape)) {
      throw new K.ShapeError(`LayerNorm.forward: x must be [..., ${this.normalizedShape.join(', ')}]; got ${K.fmt(x.shape)}`);
    }
    const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
    const centered = sub(x, mean(x, { axes, keepdims: true }));
    // Biased variance (divide by n), as torch; the mean is subtracted first so large offsets do not cancel.
    const variance = mean(mul(centered, centered), { axes, keepdims: true });
    let y = div(centered, sqrt(add(variance, this.eps)));
    if (this.weight) y = mul(y, this.weight);
    if (this.bias) y = add(y, this.bias);
    return y;
  }
}
