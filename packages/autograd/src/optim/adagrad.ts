// Adagrad: per-element learning rates from the sum of squared gradients.
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';
import { checkBoolean, checkNumber } from './options.js';

/** Options of `Adagrad` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1)η) (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps?: number;
  /** Ascend the objective instead of descending it (default false). */
  maximize?: boolean;
}

/** Adagrad's per-parameter state: step count t and the squared-gradient sum. */
export interface AdagradState {
  step: number;
  sum: FloatArray;
}

const SPEC: OptimizerSpec<Required<AdagradOptions>> = {
  name: 'Adagrad',
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  validate(h, where) {
    checkNumber(where, 'lr', h.lr, { min: 0 });
    checkNumber(where, 'lrDecay', h.lrDecay, { min: 0 });
    checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
    checkNumber(where, 'initialAccumulatorValue', h.initialAccumulatorValue, { min: 0 });
    checkNumber(where, 'eps', h.eps, { min: 0 });
    checkBoolean(where, 'maximize', h.maximize);
  },
};

/**
 * Adagrad (Duchi et al., 2011), exactly as PyTorch 1.13's `torch.optim.Adagrad`. Per element, with
 * g the gradient (negated when `maximize`), θ the parameter and t the parameter's step count:
 *
 *     γₜ ← γ / (1 + (t − 1)η)
 *     g ← g + λθ                    (weightDecay λ ≠ 0)
 *     s ← s + g²                    (s starts at initialAccumulatorValue)
 *     θ ← θ − γₜ · g / (√s + ε)
 *
 * Parameters of any shape; the state buffer has the parameter's shape and dtype.
 */
export class Adagrad extends Optimizer<Required<AdagradOptions>, AdagradState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdagradOptions>>, options?: AdagradOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray, group: Required<AdagradOptions>): AdagradState {
    return { step: 0, sum: bufferLike(param).fill(group.initialAccumulatorValue) };
  }

  protected update(p: FloatArray, g: TypedArray, s: AdagradState, group: Required<AdagradOptions>): void {
    const { lr, lrDecay, weightDecay, eps, maximize } = group;
    const t = ++s.step;
    const clr = lr / (1 + (t - 1) * lrDecay);
    const sum = s.sum;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) gi += weightDecay * p[i]!;
      sum[i] = sum[i]! + gi * gi;
      p[i] = p[i]! + -clr * (gi / (Math.sqrt(sum[i]!) + eps));
    }
  }
}
