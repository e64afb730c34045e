// Adam: adaptive moment estimation (with L2 weight decay), and the base class (options, state, update) AdamW shares.
import type { FloatArray, TypedArray } from '@unroll/core';
import type { Tensor } from '../tensor.js';
import { bufferLike, Optimizer, type OptimizerSpec, type OptimizerStateDict, type OptimizerStateDictInput, type ParamGroupInput } from './optimizer.js';
import { checkBoolean, checkNumber, describe } from './options.js';
import { adamStepKernel, releaseResident, residentBuffer } from './adam-kernel.js';

/** Options of `Adam` and `AdamW` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 1e-2). */
  weightDecay?: number;
  /** Normalise by the running maximum of the second moment (AMSGrad; default false). */
  amsgrad?: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize?: boolean;
}

/** Adam's per-parameter state: step count t, moments m and v, and v's running maximum with amsgrad. */
export interface AdamState {
  step: number;
  exp_avg: FloatArray;
  exp_avg_sq: FloatArray;
  max_exp_avg_sq?: FloatArray;
}

/** The options every Adam-family optimizer (Adam, AdamW, NAdam, RAdam, Adamax) has. */
export interface MomentOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/** The Adam family's shared checks (PyTorch's): lr, eps, weightDecay ≥ 0 and each β in [0, 1). */
export function validateMoments(h: MomentOptions, where: string): void {
  checkNumber(where, 'lr', h.lr, { min: 0 });
  checkNumber(where, 'eps', h.eps, { min: 0 });
  if (!Array.isArray(h.betas) || h.betas.length !== 2) {
    throw new TypeError(`${where}: betas must be [beta1, beta2]; got ${describe(h.betas)}`);
  }
  checkNumber(where, 'betas[0]', h.betas[0], { min: 0, max: 1, maxExclusive: true });
  checkNumber(where, 'betas[1]', h.betas[1], { min: 0, max: 1, maxExclusive: true });
  checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
}

/** Adam's and AdamW's checks: the family's (validateMoments), amsgrad and maximize. */
export function validateAdam(h: Required<AdamOptions>, where: string): void {
  validateMoments(h, where);
  checkBoolean(where, 'amsgrad', h.amsgrad);
  checkBoolean(where, 'maximize', h.maximize);
}

/**
 * The Adam family's moving averages of element i, in place: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²
 * (stored, so float32 buffers round as PyTorch's; callers read m[i] and v[i] back).
 */
export function updateMoments(m: FloatArray, v: FloatArray, i: number, g: number, beta1: number, beta2: number): void {
  m[i] = m[i]! * beta1 + (1 - beta1) * g;
  v[i] = v[i]! * beta2 + (1 - beta2) * g * g;
}

/**
 * Element i's gradient with L2 weight decay folded in (g + λp, as PyTorch's NAdam and RAdam), after
 * updating the moments `exp_avg`, `exp_avg_sq` with it; returns that gradient.
 */
export function decayedMoments(
  s: { exp_avg: FloatArray; exp_avg_sq: FloatArray }, p: FloatArray, g: TypedArray, i: number,
  weightDecay: number, beta1: number, beta2: number,
): number {
  const gi = weightDecay !== 0 ? g[i]! + weightDecay * p[i]! : g[i]!;
  updateMoments(s.exp_avg, s.exp_avg_sq, i, gi, beta1, beta2);
  return gi;
}

const SPEC: OptimizerSpec<Required<AdamOptions>> = {
  name: 'Adam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
  validate: validateAdam,
};

/** A zero moment buffer like `param`: for float32, in the kernel runtime's memory where the step kernel runs (adam-kernel.ts). */
function momentBuffer(param: FloatArray): FloatArray {
  return (param instanceof Float32Array ? residentBuffer(param.length) : null) ?? bufferLike(param);
}

/**
 * One Adam (`decoupled` false) or AdamW (`decoupled` true) step on one parameter, in place,
 * in the order of PyTorch 1.13's `_single_tensor_adam(w)`.
 */
function adamUpdate(p: FloatArray, g: TypedArray, s: AdamState, group: Required<AdamOptions>, decoupled: boolean): void {
  const { lr, eps, weightDecay, amsgrad, maximize } = group;
  const beta1 = group.betas[0];
  const beta2 = group.betas[1];
  const t = ++s.step;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const decay = 1 - lr * weightDecay;
  const m = s.exp_avg;
  const v = s.exp_avg_sq;
  // A buffer missing because amsgrad was switched on later starts at zero, as PyTorch's does.
  const vMax = amsgrad ? (s.max_exp_avg_sq ??= momentBuffer(p)) : null;
  const n = p.length;
  if (p instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array
    && (vMax === null || vMax instanceof Float32Array)) {
    const variant = { decay: decoupled ? 'decoupled' as const : weightDecay !== 0 ? 'l2' as const : 'none' as const, amsgrad, maximize };
    const scalars = { beta1, beta2, negStep: -stepSize, bc2Sqrt, eps, decay: decoupled ? decay : weightDecay };
    if (adamStepKernel(p, g, m, v, vMax, variant, scalars)) return;
  }
  if (!maximize && vMax === null && (decoupled || weightDecay === 0)) {
    const factor = decoupled ? decay : 1;
    if (p instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array) {
      plainAdamLoop32(p, g, m, v, n, factor, beta1, beta2, -stepSize, bc2Sqrt, eps);
      return;
    }
    if (p instanceof Float64Array && g instanceof Float64Array && m instanceof Float64Array && v instanceof Float64Array) {
      plainAdamLoop64(p, g, m, v, n, factor, beta1, beta2, -stepSize, bc2Sqrt, eps);
      return;
    }
  }
  for (let i = 0; i < n; i++) {
    let gi = maximize ? -g[i]! : g[i]!;
    if (decoupled) p[i] = p[i]! * decay;
    else if (weightDecay !== 0) gi += weightDecay * p[i]!;
    updateMoments(m, v, i, gi, beta1, beta2);
    let vHat = v[i]!;
    if (vMax !== null) vHat = vMax[i] = Math.max(vMax[i]!, vHat);
    const denom = Math.sqrt(vHat) / bc2Sqrt + eps;
    p[i] = p[i]! + -stepSize * (m[i]! / denom);
  }
}

/**
 * adamUpdate's loop for the usual options (no amsgrad, no maximize, no L2 term; AdamW's decay as a
 * factor, 1 for none: θ·1 is θ exactly), on float32 buffers: the same operations in the same order, so
 * the same results, with no branch and no re-read of what was just stored (a stored float32 is read
 * back as `Math.fround`). One function per dtype keeps every element access monomorphic (1.6–2× quicker
 * than one loop for both, bench/adam-step.bench.ts); adam-kernel.ts does the same two elements at a time.
 */
function plainAdamLoop32(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number,
  decay: number, beta1: number, beta2: number, negStep: number, bc2Sqrt: number, eps: number,
): void {
  const c1 = 1 - beta1, c2 = 1 - beta2;
  const fround = Math.fround;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const pi = fround(p[i]! * decay);
    const mi = fround(m[i]! * beta1 + c1 * gi);
    const vi = fround(v[i]! * beta2 + c2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + negStep * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

/** plainAdamLoop32 on float64 buffers (nothing to round). */
function plainAdamLoop64(
  p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, n: number,
  decay: number, beta1: number, beta2: number, negStep: number, bc2Sqrt: number, eps: number,
): void {
  const c1 = 1 - beta1, c2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const pi = p[i]! * decay;
    const mi = m[i]! * beta1 + c1 * gi;
    const vi = v[i]! * beta2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + negStep * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

/**
 * What Adam and AdamW share: the options, the state (t = 0 and zero moments to start) and the update;
 * `decoupled` says which weight decay the update applies.
 */
export abstract class AdamBase extends Optimizer<Required<AdamOptions>, AdamState> {
  private readonly decoupled: boolean;

  protected constructor(spec: OptimizerSpec<Required<AdamOptions>>, decoupled: boolean,
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: AdamOptions | undefined) {
    super(spec, params, options);
    this.decoupled = decoupled;
  }

  protected initState(param: FloatArray, group: Required<AdamOptions>): AdamState {
    const s: AdamState = { step: 0, exp_avg: momentBuffer(param), exp_avg_sq: momentBuffer(param) };
    if (group.amsgrad) s.max_exp_avg_sq = momentBuffer(param);
    return s;
  }

  protected update(p: FloatArray, g: TypedArray, s: AdamState, group: Required<AdamOptions>): void {
    adamUpdate(p, g, s, group, this.decoupled);
  }

  /** As `Optimizer.loadStateDict`; the replaced state's moments in the kernel runtime's memory are freed at once. */
  override loadStateDict(stateDict: OptimizerStateDict<Required<AdamOptions>> | OptimizerStateDictInput): void {
    const replaced = [...this.state.values()];
    super.loadStateDict(stateDict);
    for (const s of replaced) {
      releaseResident(s.exp_avg);
      releaseResident(s.exp_avg_sq);
      releaseResident(s.max_exp_avg_sq);
    }
  }
}

/**
 * Adam (Kingma & Ba, 2014), exactly as PyTorch 1.13's `torch.optim.Adam`. Per element, with g the
 * gradient (negated when `maximize`), θ the parameter and t the parameter's step count:
 *
 *     g ← g + λθ                        (weightDecay λ, an L2 penalty; see AdamW for decoupled decay)
 *     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
 *     v̂ ← max(v̂, v) with amsgrad, else v
 *     θ ← θ − γ/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
 *
 * Parameters of any shape; the state buffers have the parameter's shape and dtype.
 */
export class Adam extends AdamBase {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options?: AdamOptions) {
    super(SPEC, false, params, options);
  }
}
