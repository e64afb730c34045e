// ReduceLROnPlateau: divide the lr when a watched metric (a validation loss) stops improving.
import { StateDictError } from '../nn/module.js';
import { checkSchedulable, type SchedulableOptimizer } from './lr-scheduler.js';
import { checkKeys, checkNumber, checkOptionsObject, describe } from './options.js';

/** Options of `ReduceLROnPlateau` (PyTorch's names in camelCase; defaults as PyTorch's). */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): lower metrics are better (a loss); 'max': higher are (an accuracy). */
  mode?: 'min' | 'max';
  /** Factor in [0, 1) the lr is multiplied by at each reduction (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated; the next one reduces the lr (an integer ≥ 0; default 10). */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a reduction during which bad epochs are not counted (an integer ≥ 0; default 0). */
  cooldown?: number;
  /** The lr is never reduced below this, for every group or one per param group (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

/** ReduceLROnPlateau's state dict: plain numbers (`best` null before the first metric). */
export interface ReduceLROnPlateauState {
  /** Number of `step(metric)` calls so far. */
  lastEpoch: number;
  /** The best metric so far, or null before the first. */
  best: number | null;
  /** Epochs since the last improvement (0 during cooldown). */
  numBadEpochs: number;
  /** Epochs of cooldown left. */
  cooldownCounter: number;
  /** Each group's lr after the last step. */
  lastLr: number[];
}

const OPTIONS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];
const STATE_KEYS = ['lastEpoch', 'best', 'numBadEpochs', 'cooldownCounter', 'lastLr'];

/**
 * Reduces each group's lr when the metric given to `step(metric)` has not improved for more than
 * `patience` epochs, exactly as PyTorch 1.13's `ReduceLROnPlateau`: a metric improves when it is
 * below best·(1 − threshold) ('min', 'rel'), below best − threshold ('min', 'abs'), above
 * best·(1 + threshold) ('max', 'rel') or above best + threshold ('max', 'abs'). A reduction sets
 * lr ← max(lr·factor, minLr) (skipped when it would change lr by no more than eps), then waits
 * `cooldown` epochs before counting bad epochs again. Unlike the closed-form schedules, it reads and
 * scales the optimizer's current lr, so it composes with an lr set by hand.
 */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: readonly number[];
  readonly eps: number;
  /** Number of `step(metric)` calls so far. */
  lastEpoch = 0;
  /** The best metric so far (±Infinity before the first). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private lastLr: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const who = 'ReduceLROnPlateau';
    const o = checkOptionsObject(who, options);
    checkKeys(who, o, OPTIONS);
    this.optimizer = checkSchedulable(who, optimizer);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new TypeError(`${who}: mode must be 'min' or 'max'; got ${describe(mode)}`);
    const thresholdMode = o.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new TypeError(`${who}: thresholdMode must be 'rel' or 'abs'; got ${describe(thresholdMode)}`);
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.factor = checkNumber(who, 'factor', o.factor ?? 0.1, { min: 0, max: 1, maxExclusive: true });
    this.patience = checkNumber(who, 'patience', o.patience ?? 10, { min: 0, integer: true });
    this.threshold = checkNumber(who, 'threshold', o.threshold ?? 1e-4, { min: 0 });
    this.cooldown = checkNumber(who, 'cooldown', o.cooldown ?? 0, { min: 0, integer: true });
    this.eps = checkNumber(who, 'eps', o.eps ?? 1e-8, { min: 0 });
    const groups = optimizer.paramGroups;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups.length) {
      throw new RangeError(`${who}: minLr must be a number or one per param group (${groups.length}); got ${describe(minLr)}`);
    }
    this.minLrs = groups.map((_, i) => checkNumber(who, Array.isArray(minLr) ? `minLr[${i}]` : 'minLr', Array.isArray(minLr) ? minLr[i] : minLr, { min: 0 }));
    this.best = this.worst();
    this.lastLr = groups.map((g) => g.lr);
  }

  /** Records one epoch's metric (e.g. the validation loss) and reduces the lr if it has plateaued. */
  step(metric: number): void {
    if (typeof metric !== 'number' || !Number.isFinite(metric)) {
      throw new RangeError(`ReduceLROnPlateau.step: metric must be a finite number; got ${describe(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const lr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - lr > this.eps) (g as { lr: number }).lr = lr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Each group's lr after the last step (at construction: the optimizer's). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The progress (the options come from the code that builds the schedule); JSON-safe. */
  stateDict(): ReduceLROnPlateauState {
    return {
      lastEpoch: this.lastEpoch,
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: [...this.lastLr],
    };
  }

  /** Restores progress from `stateDict()`; refuses, changing nothing, a state that does not fit. */
  loadStateDict(state: ReduceLROnPlateauState): void {
    const n = this.optimizer.paramGroups.length;
    try {
      if (typeof state !== 'object' || state === null) throw new TypeError(`expected { ${STATE_KEYS.join(', ')} }; got ${describe(state)}`);
      checkKeys('', state, STATE_KEYS, 'key');
      for (const key of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) checkNumber('', key, state[key], { min: 0, integer: true });
      if (state.best !== null) checkNumber('', 'best', state.best);
      if (!Array.isArray(state.lastLr) || state.lastLr.length !== n) {
        throw new RangeError(`lastLr must list ${n} learning rates (one per param group); got ${describe(state.lastLr)}`);
      }
      state.lastLr.forEach((lr, i) => checkNumber('', `lastLr[${i}]`, lr));
    } catch (e) {
      throw new StateDictError(`ReduceLROnPlateau.loadStateDict refused (nothing was changed): ${(e as Error).message.replace(/^: /, '')}`);
    }
    this.lastEpoch = state.lastEpoch;
    this.best = state.best ?? this.worst();
    this.numBadEpochs = state.numBadEpochs;
    this.cooldownCounter = state.cooldownCounter;
    this.lastLr = [...state.lastLr];
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }
}
