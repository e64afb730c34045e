// OneCycleLR: the 1cycle policy (Smith & Topin, 2018) — lr up to maxLr and down far below, momentum the other way.
import { LRScheduler, checkSchedulable, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkBoolean, checkKeys, checkNumber, checkOptionsObject, describe } from './options.js';

/** Options of `OneCycleLR` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface OneCycleLROptions {
  /** The peak lr, for every group or one per param group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle (or give epochs and stepsPerEpoch). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing within each phase. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD/RMSprop `momentum`, or β₁ of Adam-like `betas`) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak lr, for every group or one per group (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start and end (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** The lr starts at maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The lr ends at maxLr / divFactor / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the start, then far below) instead of two (default false). */
  threePhase?: boolean;
}

const OPTIONS = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum',
  'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];

/** One phase: from its start step (the previous phase's end) to `end`, lr and momentum between two named values. */
interface Phase {
  end: number;
  lr: [Level, Level];
  momentum: [MomentumLevel, MomentumLevel];
}
type Level = 'initial' | 'max' | 'min';
type MomentumLevel = 'max' | 'base';

/**
 * The 1cycle learning-rate policy, exactly as PyTorch 1.13's `OneCycleLR`. With T = totalSteps,
 * the lr goes from maxLr/divFactor up to maxLr over the first pctStart·T steps, then down to
 * maxLr/divFactor/finalDivFactor at step T − 1 (with threePhase: back to maxLr/divFactor at
 * 2·pctStart·T, then down to the minimum); each phase anneals along a half cosine (or a line).
 * With cycleMomentum the momentum moves the opposite way, maxMomentum → baseMomentum → maxMomentum,
 * written into each group's `momentum` (SGD, RMSprop) or β₁ of its `betas` (Adam and family).
 *
 * Call `step()` after every batch. The schedule ends at lastEpoch = T (PyTorch's last allowed
 * step, which extrapolates one step past the minimum); one more `step()` is an error. The group
 * lr given to the optimizer is replaced (the base lrs are maxLr/divFactor).
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  private readonly momentumAt: ((epoch: number, group: number) => number) | null;
  private readonly useBeta1: boolean;

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const who = 'OneCycleLR';
    const o = checkOptionsObject(who, options);
    checkKeys(who, o, OPTIONS);
    const groups = checkSchedulable(who, optimizer).paramGroups as readonly Record<string, unknown>[];
    const perGroup = (name: string, value: unknown, rule: Parameters<typeof checkNumber>[3]): number[] => {
      if (!Array.isArray(value)) return groups.map(() => checkNumber(who, name, value, rule));
      if (value.length !== groups.length) throw new RangeError(`${who}: ${name} must be a number or one per param group (${groups.length}); got ${describe(value)}`);
      return value.map((v, i) => checkNumber(who, `${name}[${i}]`, v, rule));
    };

    let total: number;
    if (o.totalSteps !== undefined) {
      if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) throw new TypeError(`${who}: give totalSteps or epochs and stepsPerEpoch, not both`);
      total = checkNumber(who, 'totalSteps', o.totalSteps, { min: 1, integer: true });
    } else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      total = checkNumber(who, 'epochs', o.epochs, { min: 1, integer: true }) * checkNumber(who, 'stepsPerEpoch', o.stepsPerEpoch, { min: 1, integer: true });
    } else {
      throw new TypeError(`${who}: totalSteps (or epochs and stepsPerEpoch) is required`);
    }
    const pct = checkNumber(who, 'pctStart', o.pctStart ?? 0.3, { min: 0, max: 1 });
    const strategy = o.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new TypeError(`${who}: annealStrategy must be 'cos' or 'linear'; got ${describe(strategy)}`);
    const divFactor = checkNumber(who, 'divFactor', o.divFactor ?? 25, { min: 0, minExclusive: true });
    const finalDivFactor = checkNumber(who, 'finalDivFactor', o.finalDivFactor ?? 1e4, { min: 0, minExclusive: true });
    const threePhase = checkBoolean(who, 'threePhase', o.threePhase ?? false);
    const cycleMomentum = checkBoolean(who, 'cycleMomentum', o.cycleMomentum ?? true);
    const maxLr = perGroup('maxLr', o.maxLr, { min: 0, minExclusive: true });
    const lrs = maxLr.map((max) => ({ max, initial: max / divFactor, min: max / divFactor / finalDivFactor }));

    const phases: Phase[] = threePhase
      ? [{ end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { end: 2 * pct * total - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
        { end: total - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] }]
      : [{ end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { end: total - 1, lr: ['max', 'min'], momentum: ['base', 'max'] }];
    // NOTE: a phase of zero width would divide 0 by 0 (PyTorch raises ZeroDivisionError there); refuse it now.
    phases.forEach((phase, i) => {
      const start = i === 0 ? 0 : phases[i - 1]!.end;
      if (phase.end === start) {
        throw new RangeError(`${who}: pctStart ${pct} with totalSteps ${total} leaves phase ${i + 1} of ${phases.length} with no steps; choose another pctStart`);
      }
    });
    const anneal = strategy === 'cos'
      ? (a: number, b: number, t: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * t) + 1)
      : (a: number, b: number, t: number) => (b - a) * t + a;
    /** The phase `epoch` falls in and how far through it (PyTorch's loop: the last phase takes the rest). */
    const locate = (epoch: number): { phase: Phase; t: number } => {
      let start = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i]!;
        if (epoch <= phase.end || i === phases.length - 1) return { phase, t: (epoch - start) / (phase.end - start) };
        start = phase.end;
      }
      throw new Error('unreachable');
    };

    let momenta: { max: number; base: number }[] = [];
    let useBeta1 = false;
    if (cycleMomentum) {
      const g0 = groups[0]!;
      useBeta1 = 'betas' in g0;
      if (!useBeta1 && !('momentum' in g0)) {
        throw new TypeError(`${who}: cycleMomentum needs an optimizer with momentum or betas (SGD, RMSprop, Adam, …); got ${describe(optimizer)} (set cycleMomentum: false)`);
      }
      const maxM = perGroup('maxMomentum', o.maxMomentum ?? 0.95, { min: 0, max: 1, maxExclusive: true });
      const baseM = perGroup('baseMomentum', o.baseMomentum ?? 0.85, { min: 0, max: 1, maxExclusive: true });
      momenta = maxM.map((max, i) => ({ max, base: baseM[i]! }));
    } else if (o.maxMomentum !== undefined || o.baseMomentum !== undefined) {
      throw new TypeError(`${who}: ${o.maxMomentum !== undefined ? 'maxMomentum' : 'baseMomentum'} needs cycleMomentum: true`);
    }

    super(who, optimizer, (epoch, _base, group) => {
      const { phase, t } = locate(epoch);
      const l = lrs[group]!;
      return anneal(l[phase.lr[0]], l[phase.lr[1]], t);
    });
    this.totalSteps = total;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.momentumAt = cycleMomentum
      ? (epoch, group) => {
        const { phase, t } = locate(epoch);
        const m = momenta[group]!;
        return anneal(m[phase.momentum[0]], m[phase.momentum[1]], t);
      }
      : null;
    // The base lrs are where the cycle starts, as PyTorch's `initial_lr`.
    this.baseLrs = lrs.map((l) => l.initial);
    this.setMomentum();
  }

  /** Advances one batch: sets every group's lr and, with cycleMomentum, its momentum or β₁. */
  override step(): void {
    super.step();
    this.setMomentum();
  }

  protected override epochError(epoch: number): string | null {
    return epoch > this.totalSteps ? `stepped past the end of the cycle: lastEpoch ${epoch} > totalSteps ${this.totalSteps}` : null;
  }

  private setMomentum(): void {
    if (this.momentumAt === null) return;
    const groups = this.optimizer.paramGroups as readonly Record<string, unknown>[];
    groups.forEach((g, i) => {
      const m = this.momentumAt!(this.lastEpoch, i);
      if (this.useBeta1) g.betas = [m, (g.betas as readonly number[])[1]!];
      else g.momentum = m;
    });
  }
}
