// The closed-form learning-rate schedules: PyTorch's StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
// CosineAnnealingWarmRestarts, LinearLR and LambdaLR.
import { LRScheduler, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkNumber, checkOptions, describe } from './options.js';

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Epochs between decays (a positive integer). */
  stepSize: number;
  /** Factor applied at each decay (default 0.1). */
  gamma?: number;
}

/** lr(e) = base · γ^⌊e / stepSize⌋, as PyTorch's `StepLR`. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    const o = checkOptions('StepLR', options, ['stepSize', 'gamma']);
    const stepSize = checkNumber('StepLR', 'stepSize', o.stepSize, { min: 1, integer: true });
    const gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, { min: 0, minExclusive: true });
    super('StepLR', optimizer, (e, base) => base * gamma ** Math.floor(e / stepSize));
    this.stepSize = stepSize;
    this.gamma = gamma;
  }
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions {
  /** Factor applied every epoch. */
  gamma: number;
}

/** lr(e) = base · γ^e, as PyTorch's `ExponentialLR`. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    const o = checkOptions('ExponentialLR', options, ['gamma']);
    const gamma = checkNumber('ExponentialLR', 'gamma', o.gamma, { min: 0, minExclusive: true });
    super('ExponentialLR', optimizer, (e, base) => base * gamma ** e);
    this.gamma = gamma;
  }
}

/** Options of `CosineAnnealingLR` (PyTorch's T_max and eta_min). */
export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to etaMin (a positive integer). */
  tMax: number;
  /** The smallest lr (default 0). */
  etaMin?: number;
}

/**
 * lr(e) = ηmin + (base − ηmin)(1 + cos(πe / tMax)) / 2, as PyTorch's `CosineAnnealingLR` (SGDR
 * without restarts): it reaches ηmin at e = tMax and, past it, rises again along the same cosine.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    const o = checkOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    const tMax = checkNumber('CosineAnnealingLR', 'tMax', o.tMax, { min: 1, integer: true });
    const etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, { min: 0 });
    super('CosineAnnealingLR', optimizer, (e, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2);
    this.tMax = tMax;
    this.etaMin = etaMin;
  }
}

/** Options of `LinearLR` (PyTorch's defaults). */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from epoch totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs over which the factor moves linearly (a positive integer; default 5). */
  totalIters?: number;
}

/**
 * lr(e) = base · (s + (f − s) · min(e, totalIters) / totalIters), as PyTorch's `LinearLR`; with the
 * defaults it is a linear warm-up from base/3 to base over 5 epochs.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    const o = checkOptions('LinearLR', options, ['startFactor', 'endFactor', 'totalIters']);
    const s = checkNumber('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, { min: 0, minExclusive: true, max: 1 });
    const f = checkNumber('LinearLR', 'endFactor', o.endFactor ?? 1, { min: 0, max: 1 });
    const total = checkNumber('LinearLR', 'totalIters', o.totalIters ?? 5, { min: 1, integer: true });
    super('LinearLR', optimizer, (e, base) => base * (s + ((f - s) * Math.min(e, total)) / total));
    this.startFactor = s;
    this.endFactor = f;
    this.totalIters = total;
  }
}

/** Options of `LambdaLR`. */
export interface LambdaLROptions {
  /** epoch → factor, for every group or one function per param group. */
  lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[];
}

/** lr(e) = base · lrLambda(e), as PyTorch's `LambdaLR`. A factor that is not a finite number is an error. */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    const o = checkOptions('LambdaLR', options, ['lrLambda']);
    const fns = Array.isArray(o.lrLambda) ? [...(o.lrLambda as readonly ((e: number) => number)[])] : null;
    const groups = (optimizer as Partial<SchedulableOptimizer> | null)?.paramGroups;
    if (fns === null && typeof o.lrLambda !== 'function') {
      throw new TypeError(`LambdaLR: lrLambda must be a function or an array of functions; got ${describe(o.lrLambda)}`);
    }
    if (fns !== null && (fns.some((f) => typeof f !== 'function') || (Array.isArray(groups) && fns.length !== groups.length))) {
      throw new TypeError(`LambdaLR: lrLambda must be one function per param group (${Array.isArray(groups) ? groups.length : '?'}); got ${describe(o.lrLambda)}`);
    }
    const single = o.lrLambda as (e: number) => number;
    super('LambdaLR', optimizer, (e, base, group) => {
      const factor = (fns ? fns[group]! : single)(e);
      if (typeof factor !== 'number' || !Number.isFinite(factor)) {
        throw new RangeError(`LambdaLR: lrLambda must return a finite number; got ${describe(factor)} at epoch ${e} for param group ${group}`);
      }
      return base * factor;
    });
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions {
  /** Epochs at which lr is multiplied by gamma (integers ≥ 0, any order; a repeated one decays twice). */
  milestones: readonly number[];
  /** Factor applied at each milestone (default 0.1). */
  gamma?: number;
}

/** lr(e) = base · γ^(number of milestones ≤ e), as PyTorch's `MultiStepLR`. */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted. */
  readonly milestones: readonly number[];
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    const o = checkOptions('MultiStepLR', options, ['milestones', 'gamma']);
    if (!Array.isArray(o.milestones)) throw new TypeError(`MultiStepLR: milestones must be an array of epochs; got ${describe(o.milestones)}`);
    const milestones = o.milestones.map((m, i) => checkNumber('MultiStepLR', `milestones[${i}]`, m, { min: 0, integer: true })).sort((a, b) => a - b);
    const gamma = checkNumber('MultiStepLR', 'gamma', o.gamma ?? 0.1, { min: 0, minExclusive: true });
    super('MultiStepLR', optimizer, (e, base) => base * gamma ** milestones.filter((m) => m <= e).length);
    this.milestones = milestones;
    this.gamma = gamma;
  }
}

/** Options of `CosineAnnealingWarmRestarts` (PyTorch's T_0, T_mult and eta_min). */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs of the first cycle (a positive integer). */
  t0: number;
  /** Factor by which each cycle is longer than the one before (an integer ≥ 1; default 1). */
  tMult?: number;
  /** The smallest lr (default 0). */
  etaMin?: number;
}

/**
 * SGDR (Loshchilov & Hutter, 2017), as PyTorch's `CosineAnnealingWarmRestarts`: lr(e) = ηmin +
 * (base − ηmin)(1 + cos(π·T_cur / T_i)) / 2, where the i-th cycle lasts T_i = t0·tMult^i epochs,
 * T_cur counts epochs since the last restart, and each restart jumps back to the base lr.
 * `step()` advances one epoch; `step(epoch)` jumps to a (possibly fractional) epoch, as PyTorch's
 * per-batch `scheduler.step(epoch + i / iters)`; a later `step()` goes on from there by one.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    const who = 'CosineAnnealingWarmRestarts';
    const o = checkOptions(who, options, ['t0', 'tMult', 'etaMin']);
    const t0 = checkNumber(who, 't0', o.t0, { min: 1, integer: true });
    const tMult = checkNumber(who, 'tMult', o.tMult ?? 1, { min: 1, integer: true });
    const etaMin = checkNumber(who, 'etaMin', o.etaMin ?? 0, { min: 0 });
    super(who, optimizer, (e, base) => {
      // Walk the cycles in integers: PyTorch's closed form through log() can land on the wrong side of a restart.
      let tCur = tMult === 1 ? e % t0 : e;
      let tI = t0;
      while (tCur >= tI) {
        tCur -= tI;
        tI *= tMult;
      }
      return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
    });
    this.t0 = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
  }

  /** Advances one epoch, or goes to `epoch` (a number ≥ 0, fractional within an epoch allowed). */
  override step(epoch?: number): void {
    if (epoch === undefined) return super.step();
    this.setEpoch(checkNumber('CosineAnnealingWarmRestarts.step', 'epoch', epoch, { min: 0 }));
  }

  protected override fractionalEpochs(): boolean {
    return true;
  }
}
