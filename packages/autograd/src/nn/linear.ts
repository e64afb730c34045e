// Linear: y = x Wᵀ + b with PyTorch's [out, in] weight layout and initialization.
import * as K from '@unroll/core';
import type { FloatDType, RandomGenerator } from '@unroll/core';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { reshape } from '../ops/movement.js';
import { Tensor } from '../tensor.js';
import * as init from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { checkFeatureCount, checkFloatDType, checkInput } from './checks.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Random source of the initial weights (the default generator if omitted). */
  generator?: RandomGenerator;
}

/**
 * A fully connected layer, y = x Wᵀ + b, as torch.nn.Linear.
 * Shapes: weight [outFeatures, inFeatures], bias [outFeatures]; x [..., inFeatures] → y [..., outFeatures].
 * Both are drawn from U(−1/√inFeatures, 1/√inFeatures) (torch's kaiming-uniform with a = √5), weight first.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [outFeatures, inFeatures] */
  readonly weight: Parameter;
  /** [outFeatures], or null with `{ bias: false }`. */
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkFeatureCount('Linear', 'inFeatures', inFeatures);
    checkFeatureCount('Linear', 'outFeatures', outFeatures);
    const dtype = checkFloatDType('Linear', opts.dtype ?? 'float32');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter('weight', new Parameter(K.zeros([outFeatures, inFeatures], { dtype })));
    init.kaimingUniform(this.weight, { a: Math.sqrt(5), generator: opts.generator });
    this.bias = this.registerParameter('bias', opts.bias ?? true ? new Parameter(K.zeros([outFeatures], { dtype })) : null);
    if (this.bias) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      init.uniform(this.bias, -bound, bound, { generator: opts.generator });
    }
  }

  /** x [..., inFeatures] → [..., outFeatures] (a 1-D x [inFeatures] gives [outFeatures]). */
  forward(x: Tensor): Tensor {
    checkInput('Linear.forward', x, this.weight);
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new K.ShapeError(`Linear.forward: x must be [..., ${this.inFeatures}]; got ${K.fmt(x.shape)}`);
    }
    // One gemm over all leading axes: [..., in] → [rows, in] · Wᵀ → [..., out].
    const lead = x.shape.slice(0, -1);
    const rows = lead.reduce((p, d) => p * d, 1);
    const flat = x.rank === 2 ? x : reshape(x, [rows, this.inFeatures]);
    let y = matmul(flat, this.weight, { transB: true });
    if (this.bias) y = add(y, this.bias);
    return x.rank === 2 ? y : reshape(y, [...lead, this.outFeatures]);
  }
}
