// SGD: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { bufferLike, Optimizer, type OptimizerSpec, type ParamGroupInput } from './optimizer.js';
import { checkBoolean, checkNumber } from './options.js';

/** Options of `SGD` (PyTorch's names in camelCase, same defaults; `lr` has no default). */
export interface SGDOptions {
  /** Learning rate γ (required, here or in every param group). */
  lr?: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Ascend the objective instead of descending it (default false). */
  maximize?: boolean;
}

/** SGD's per-parameter state: the momentum buffer b (only when momentum ≠ 0). */
export interface SGDState {
  momentum_buffer?: FloatArray;
}

const SPEC: OptimizerSpec<Required<SGDOptions>> = {
  name: 'SGD',
  defaults: { lr: undefined, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false },
  validate(h, where) {
    checkNumber(where, 'lr', h.lr, { min: 0 });
    checkNumber(where, 'momentum', h.momentum, { min: 0 });
    checkNumber(where, 'dampening', h.dampening);
    checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
    checkBoolean(where, 'nesterov', h.nesterov);
    checkBoolean(where, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(`${where}: nesterov momentum requires momentum > 0 and dampening 0; got momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  },
};

/**
 * Stochastic gradient descent, exactly as PyTorch 1.13's `torch.optim.SGD`. Per element, with
 * g the gradient (negated when `maximize`) and θ the parameter:
 *
 *     g ← g + λθ                                   (weightDecay λ ≠ 0)
 *     b ← g at the first step, else μb + (1 − τ)g   (momentum μ ≠ 0)
 *     g ← g + μb if nesterov, else b
 *     θ ← θ − γg
 *
 * Parameters of any shape; the state buffer has the parameter's shape and dtype.
 */
export class SGD extends Optimizer<Required<SGDOptions>, SGDState> {
  constructor(params: Iterable<Tensor>, options: SGDOptions & { lr: number });
  constructor(params: Iterable<ParamGroupInput<SGDOptions>>, options?: SGDOptions);
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options?: SGDOptions) {
    super(SPEC, params, options);
  }

  protected initState(param: FloatArray, group: Required<SGDOptions>): SGDState {
    return group.momentum !== 0 ? { momentum_buffer: bufferLike(param) } : {};
  }

  protected update(p: FloatArray, g: TypedArray, s: SGDState, group: Required<SGDOptions>, fresh: boolean): void {
    const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        let d = maximize ? -g[i]! : g[i]!;
        if (weightDecay !== 0) d += weightDecay * p[i]!;
        p[i] = p[i]! + -lr * d;
      }
      return;
    }
    // As PyTorch, the buffer starts as a copy of the first (decayed) gradient, not from zero;
    // a buffer missing because momentum was switched on later starts the same way.
    const first = fresh || s.momentum_buffer === undefined;
    const buf = (s.momentum_buffer ??= bufferLike(p));
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      let d = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      const b = first ? d : momentum * buf[i]! + keep * d;
      buf[i] = b;
      // NOTE: read back from the buffer so a float32 buffer rounds b exactly as PyTorch's would.
      d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      p[i] = p[i]! + -lr * d;
    }
  }
}
