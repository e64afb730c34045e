// RMSprop: gradients divided by a running root mean square, optionally centered and with momentum.
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';
import { checkBoolean, checkNumber } from './options.js';

/** Options of `RMSprop` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface RMSpropOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the running averages (default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Divide by an estimate of the gradient's variance instead of its second moment (default false). */
  centered?: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize?: boolean;
}

/** RMSprop's per-parameter state: step count, v, and b (momentum > 0) and ḡ (centered). */
export interface RMSpropState {
  step: number;
  square_avg: FloatArray;
  momentum_buffer?: FloatArray;
  grad_avg?: FloatArray;
}

const SPEC: OptimizerSpec<Required<RMSpropOptions>> = {
  name: 'RMSprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  validate(h, where) {
    checkNumber(where, 'lr', h.lr, { min: 0 });
    checkNumber(where, 'alpha', h.alpha, { min: 0 });
    checkNumber(where, 'eps', h.eps, { min: 0 });
    checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
    checkNumber(where, 'momentum', h.momentum, { min: 0 });
    checkBoolean(where, 'centered', h.centered);
    checkBoolean(where, 'maximize', h.maximize);
  },
};

/**
 * RMSprop (Hinton's lecture 6e), exactly as PyTorch 1.13's `torch.optim.RMSprop`. Per element,
 * with g the gradient (negated when `maximize`) and θ the parameter:
 *
 *     g ← g + λθ                                (weightDecay λ ≠ 0)
 *     v ← αv + (1 − α)g²
 *     ḡ ← αḡ + (1 − α)g,  d ← √(v − ḡ²) + ε     (centered)
 *     d ← √v + ε                                (otherwise)
 *     b ← μb + g/d,  θ ← θ − γb                 (momentum μ > 0)
 *     θ ← θ − γ g/d                             (otherwise)
 *
 * Parameters of any shape; the state buffers have the parameter's shape and dtype.
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>, RMSpropState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropOptions>>, options?: RMSpropOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray, group: Required<RMSpropOptions>): RMSpropState {
    const s: RMSpropState = { step: 0, square_avg: bufferLike(param) };
    if (group.momentum > 0) s.momentum_buffer = bufferLike(param);
    if (group.centered) s.grad_avg = bufferLike(param);
    return s;
  }

  protected update(p: FloatArray, g: TypedArray, s: RMSpropState, group: Required<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    s.step++;
    const sq = s.square_avg;
    // Buffers missing because an option was switched on later start at zero, as PyTorch's do.
    const gAvg = centered ? (s.grad_avg ??= bufferLike(p)) : null;
    const buf = momentum > 0 ? (s.momentum_buffer ??= bufferLike(p)) : null;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) gi += weightDecay * p[i]!;
      sq[i] = sq[i]! * alpha + (1 - alpha) * gi * gi;
      let avg: number;
      if (gAvg !== null) {
        gAvg[i] = gAvg[i]! * alpha + (1 - alpha) * gi;
        // NOTE: v − ḡ² ≥ 0 in exact arithmetic only; rounding can make it slightly negative (NaN), as in PyTorch.
        avg = Math.sqrt(sq[i]! - gAvg[i]! * gAvg[i]!) + eps;
      } else {
        avg = Math.sqrt(sq[i]!) + eps;
      }
      if (buf !== null) {
        buf[i] = buf[i]! * momentum + gi / avg;
        p[i] = p[i]! + -lr * buf[i]!;
      } else {
        p[i] = p[i]! + -lr * (gi / avg);
      }
    }
  }
}
