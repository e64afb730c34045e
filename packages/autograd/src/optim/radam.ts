// RAdam: Adam with the variance of its adaptive learning rate rectified (Liu et al., 2019).
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { decayedMoments, validateMoments } from './adam.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';

/** Options of `RAdam` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface RAdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
}

/** RAdam's per-parameter state: step count t and the moments m and v. */
export interface RAdamState {
  step: number;
  exp_avg: FloatArray;
  exp_avg_sq: FloatArray;
}

const SPEC: OptimizerSpec<Required<RAdamOptions>> = {
  name: 'RAdam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  validate: validateMoments,
};

/**
 * RAdam (Liu et al., 2019), exactly as PyTorch 1.13's `torch.optim.RAdam`. Per element, with g the
 * gradient, θ the parameter and t the parameter's step count:
 *
 *     g ← g + λθ                                   (weightDecay λ ≠ 0)
 *     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   m̂ = m / (1 − β₁ᵗ)
 *     ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
 *     θ ← θ − γ m̂ r √(1 − β₂ᵗ) / (√v + ε),  r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))   (ρₜ > 5)
 *     θ ← θ − γ m̂                                                                     (otherwise: SGD with momentum)
 *
 * Parameters of any shape; the state buffers have the parameter's shape and dtype.
 */
export class RAdam extends Optimizer<Required<RAdamOptions>, RAdamState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RAdamOptions>>, options?: RAdamOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray): RAdamState {
    return { step: 0, exp_avg: bufferLike(param), exp_avg_sq: bufferLike(param) };
  }

  protected update(p: FloatArray, g: TypedArray, s: RAdamState, group: Required<RAdamOptions>): void {
    const { lr, eps, weightDecay } = group;
    const beta1 = group.betas[0];
    const beta2 = group.betas[1];
    const t = ++s.step;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const rhoInf = 2 / (1 - beta2) - 1;
    const rho = rhoInf - (2 * t * beta2 ** t) / bc2;
    // NOTE: the rectifier exists only where the variance of the adaptive rate is finite (ρₜ > 5 as PyTorch, not the paper's 4).
    const rectified = rho > 5;
    const rect = rectified ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0;
    const bc2Sqrt = Math.sqrt(bc2);
    const m = s.exp_avg, v = s.exp_avg_sq;
    for (let i = 0; i < p.length; i++) {
      decayedMoments(s, p, g, i, weightDecay, beta1, beta2);
      const mHat = m[i]! / bc1;
      p[i] = rectified
        ? p[i]! - mHat * lr * (bc2Sqrt / (Math.sqrt(v[i]!) + eps)) * rect
        : p[i]! - mHat * lr;
    }
  }
}
