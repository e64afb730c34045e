// LRScheduler: the base of learning-rate schedules that set each param group's lr from a closed form.
import { StateDictError } from '../nn/module.js';
import { checkKeys, checkNumber, describe } from './options.js';

/** What a schedule needs of an optimizer: param groups with a mutable `lr` (every `Optimizer` has them). */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly { lr: number }[];
}

/** A schedule's state dict: plain numbers (the options come from the code that builds the schedule). */
export interface LRSchedulerState {
  /** Number of `step()` calls so far (PyTorch's `last_epoch`; fractional after CosineAnnealingWarmRestarts.step(epoch)). */
  lastEpoch: number;
  /** Each group's lr when the schedule was made. */
  baseLrs: number[];
  /** Each group's lr as last set by the schedule. */
  lastLr: number[];
}

/**
 * The base of every schedule. At construction it records each group's lr as its base lr and sets
 * lr(0); each `step()` (call it once per epoch, after `optimizer.step()`) advances the epoch e and
 * sets every group's lr to lr(e) from the subclass's closed form.
 *
 * NOTE: PyTorch's `step()` applies chainable, recursive forms (lr ← lr·γ); these are its closed forms
 * (base·γ^⌊e/s⌋), which give the same values up to rounding but overwrite an lr changed by hand
 * between steps instead of scaling it.
 */
export abstract class LRScheduler {
  /** The optimizer whose param groups' lr this schedule sets. */
  readonly optimizer: SchedulableOptimizer;
  /** Each group's lr when the schedule was made. */
  baseLrs: number[];
  /** Number of `step()` calls so far: the epoch the schedule is at (fractional only after CosineAnnealingWarmRestarts.step(epoch)). */
  lastEpoch = 0;
  private lastLr: number[] = [];
  private readonly name: string;
  private readonly lrAt: (epoch: number, baseLr: number, group: number) => number;

  /** `lrAt(e, base, group)` is the closed form; it is applied at once for epoch 0. */
  protected constructor(name: string, optimizer: SchedulableOptimizer, lrAt: (epoch: number, baseLr: number, group: number) => number) {
    this.name = name;
    this.optimizer = checkSchedulable(name, optimizer);
    this.lrAt = lrAt;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** Advances one epoch and sets every group's lr. */
  step(): void {
    this.setEpoch(this.lastEpoch + 1);
  }

  /** Each group's lr as last set by this schedule. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The progress of the schedule (the optimizer's lr values are in the optimizer's own state dict). */
  stateDict(): LRSchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  /**
   * Restores progress from `stateDict()`; like PyTorch, it leaves the optimizer's lr alone (load the
   * optimizer's state dict too). The next `step()` continues from the saved epoch.
   */
  loadStateDict(state: LRSchedulerState): void {
    const where = `${this.name}.loadStateDict`;
    const n = this.optimizer.paramGroups.length;
    try {
      if (typeof state !== 'object' || state === null) throw new TypeError(`expected { lastEpoch, baseLrs, lastLr }; got ${describe(state)}`);
      checkKeys('', state, ['lastEpoch', 'baseLrs', 'lastLr'], 'key');
      checkNumber('', 'lastEpoch', state.lastEpoch, { min: 0, integer: !this.fractionalEpochs() });
      for (const key of ['baseLrs', 'lastLr'] as const) {
        const v = state[key];
        if (!Array.isArray(v) || v.length !== n) throw new RangeError(`${key} must list ${n} learning rates (one per param group); got ${describe(v)}`);
        v.forEach((lr, i) => checkNumber('', `${key}[${i}]`, lr));
      }
      const why = this.epochError(state.lastEpoch);
      if (why !== null) throw new RangeError(why);
    } catch (e) {
      throw new StateDictError(`${where} refused (nothing was changed): ${(e as Error).message.replace(/^: /, '')}`);
    }
    this.lastEpoch = state.lastEpoch;
    this.baseLrs = [...state.baseLrs];
    this.lastLr = [...state.lastLr];
  }

  /** Moves the schedule to `epoch` and sets every group's lr (what `step()` does with the next epoch). */
  protected setEpoch(epoch: number): void {
    const why = this.epochError(epoch);
    if (why !== null) throw new RangeError(`${this.name}.step: ${why}`);
    this.lastEpoch = epoch;
    this.apply();
  }

  /** True for a schedule whose epoch may be fractional (CosineAnnealingWarmRestarts stepped per batch). */
  protected fractionalEpochs(): boolean {
    return false;
  }

  /** Why a subclass's schedule cannot be at `epoch` (OneCycleLR past totalSteps), or null when it can. */
  protected epochError(_epoch: number): string | null {
    return null;
  }

  private apply(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new Error(`${this.name}.step: the optimizer has ${groups.length} param groups but the schedule was made for ${this.baseLrs.length}`);
    }
    this.lastLr = groups.map((g, i) => {
      const lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!, i);
      g.lr = lr;
      return lr;
    });
  }
}

/** Returns `optimizer` if it has param groups with a numeric lr (what every schedule sets); otherwise throws. */
export function checkSchedulable(name: string, optimizer: SchedulableOptimizer): SchedulableOptimizer {
  const groups = (optimizer as Partial<SchedulableOptimizer> | null)?.paramGroups;
  if (!Array.isArray(groups) || groups.some((g) => typeof g?.lr !== 'number')) {
    throw new TypeError(`${name}: optimizer must be an optimizer (param groups with a numeric lr); got ${describe(optimizer)}`);
  }
  return optimizer;
}
