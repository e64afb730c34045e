// NAdam: Adam with Nesterov momentum (Dozat, 2016), as PyTorch 1.13 documents it.
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { decayedMoments, validateMoments } from './adam.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';
import { checkNumber } from './options.js';

/** Options of `NAdam` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface NAdamOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum decay ψ of the momentum schedule μₜ (default 4e-3). */
  momentumDecay?: number;
}

/** NAdam's per-parameter state: step count t, the running product ∏μᵢ, and the moments m and v. */
export interface NAdamState {
  step: number;
  mu_product: number;
  exp_avg: FloatArray;
  exp_avg_sq: FloatArray;
}

const SPEC: OptimizerSpec<Required<NAdamOptions>> = {
  name: 'NAdam',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 },
  validate(h, where) {
    validateMoments(h, where);
    checkNumber(where, 'momentumDecay', h.momentumDecay, { min: 0 });
  },
  scalarState: ['mu_product'],
};

/**
 * NAdam (Dozat, 2016) with PyTorch's momentum schedule, as PyTorch 1.13's documentation of
 * `torch.optim.NAdam` gives it. Per element, with g the gradient, θ the parameter and t the
 * parameter's step count:
 *
 *     g ← g + λθ                                  (weightDecay λ ≠ 0)
 *     μₜ = β₁(1 − ½·0.96^(tψ)),  μₜ₊₁ = β₁(1 − ½·0.96^((t+1)ψ))
 *     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
 *     m̂ = μₜ₊₁m / (1 − ∏ᵢ₌₁ᵗ⁺¹μᵢ) + (1 − μₜ)g / (1 − ∏ᵢ₌₁ᵗμᵢ)
 *     θ ← θ − γ m̂ / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * NOTE: this is the documented update, NOT the code of PyTorch 1.13, which multiplies μₜ into
 * ∏ᵢ₌₁ᵗ⁺¹μᵢ twice (fixed in PyTorch 2.0); the trajectories differ slightly (tested).
 * Parameters of any shape; the state buffers have the parameter's shape and dtype.
 */
export class NAdam extends Optimizer<Required<NAdamOptions>, NAdamState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<NAdamOptions>>, options?: NAdamOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray): NAdamState {
    return { step: 0, mu_product: 1, exp_avg: bufferLike(param), exp_avg_sq: bufferLike(param) };
  }

  protected update(p: FloatArray, g: TypedArray, s: NAdamState, group: Required<NAdamOptions>): void {
    const { lr, eps, weightDecay, momentumDecay } = group;
    const beta1 = group.betas[0];
    const beta2 = group.betas[1];
    const t = ++s.step;
    const bc2 = 1 - beta2 ** t;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
    const muProduct = (s.mu_product *= mu);
    const gradStep = (-lr * (1 - mu)) / (1 - muProduct);
    const momentStep = (-lr * muNext) / (1 - muProduct * muNext);
    const m = s.exp_avg, v = s.exp_avg_sq;
    for (let i = 0; i < p.length; i++) {
      const gi = decayedMoments(s, p, g, i, weightDecay, beta1, beta2);
      const denom = Math.sqrt(v[i]! / bc2) + eps;
      p[i] = p[i]! + gradStep * (gi / denom) + momentStep * (m[i]! / denom);
    }
  }
}
