// Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm (Kingma & Ba, 2014, §7.1).
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { validateMoments } from './adam.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';
import { checkBoolean } from './options.js';

/** Options of `Adamax` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface AdamaxOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to |g| inside the norm, keeping it positive (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Ascend the objective instead of descending it (default false). */
  maximize?: boolean;
}

/** Adamax's per-parameter state: step count t, the first moment m and the infinity norm u. */
export interface AdamaxState {
  step: number;
  exp_avg: FloatArray;
  exp_inf: FloatArray;
}

const SPEC: OptimizerSpec<Required<AdamaxOptions>> = {
  name: 'Adamax',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(h, where) {
    validateMoments(h, where);
    checkBoolean(where, 'maximize', h.maximize);
  },
};

/**
 * Adamax, exactly as PyTorch 1.13's `torch.optim.Adamax`. Per element, with g the gradient
 * (negated when `maximize`), θ the parameter and t the parameter's step count:
 *
 *     g ← g + λθ                        (weightDecay λ ≠ 0)
 *     m ← β₁m + (1 − β₁)g
 *     u ← max(β₂u, |g| + ε)
 *     θ ← θ − γ/(1 − β₁ᵗ) · m / u
 *
 * Parameters of any shape; the state buffers have the parameter's shape and dtype.
 */
export class Adamax extends Optimizer<Required<AdamaxOptions>, AdamaxState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamaxOptions>>, options?: AdamaxOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray): AdamaxState {
    return { step: 0, exp_avg: bufferLike(param), exp_inf: bufferLike(param) };
  }

  protected update(p: FloatArray, g: TypedArray, s: AdamaxState, group: Required<AdamaxOptions>): void {
    const { lr, eps, weightDecay, maximize } = group;
    const beta1 = group.betas[0];
    const beta2 = group.betas[1];
    const t = ++s.step;
    const clr = lr / (1 - beta1 ** t);
    const m = s.exp_avg;
    const u = s.exp_inf;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) gi += weightDecay * p[i]!;
      m[i] = m[i]! * beta1 + (1 - beta1) * gi;
      // NOTE: the product is rounded to the buffer's dtype before the max, as PyTorch's in-place mul_.
      u[i] = u[i]! * beta2;
      u[i] = Math.max(u[i]!, Math.abs(gi) + eps);
      p[i] = p[i]! + -clr * (m[i]! / u[i]!);
    }
  }
}
