// earlyStopping: Keras's callback — stop when a validation metric stops improving (or reaches a target),
// optionally putting back the weights of the best evaluation.
import type { Tensor } from '@unroll/autograd';
import type { Callback, EvalEnd } from './fit.js';
import { checkKeys } from './options.js';

export interface EarlyStoppingOptions {
  /** The metric to watch (default 'val_loss'). */
  monitor?: string;
  /** 'min' (default for names with "loss") or 'max' (default otherwise: accuracy and the like). */
  mode?: 'min' | 'max';
  /** Evaluations without improvement before stopping (default 0: never stop for lack of improvement). */
  patience?: number;
  /** A change smaller than this is not an improvement (default 0). */
  minDelta?: number;
  /** Stop as soon as the metric reaches this value (≤ for 'min', ≥ for 'max'). */
  target?: number;
  /**
   * At the end, load the weights of the best evaluation back into this model (Keras's
   * `restore_best_weights`). Needs a model with stateDict() / loadStateDict().
   */
  restoreBestWeights?: { stateDict(): Record<string, Tensor>; loadStateDict(d: Record<string, Tensor>): unknown };
}

/** The callback, with what it saw: the best value and its step. */
export interface EarlyStopping extends Callback {
  readonly best: number | null;
  readonly bestStep: number | null;
}

/**
 * Stops `fit` after `patience` evaluations without an improvement of `monitor` by more than
 * `minDelta`, or once it reaches `target`. A metric the evaluation does not report is an error.
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): EarlyStopping {
  checkKeys('earlyStopping', opts, ['monitor', 'mode', 'patience', 'minDelta', 'target', 'restoreBestWeights']);
  const monitor = opts.monitor ?? 'val_loss';
  const mode = opts.mode ?? (monitor.includes('loss') ? 'min' : 'max');
  if (mode !== 'min' && mode !== 'max') throw new RangeError(`earlyStopping: mode must be 'min' or 'max'; got ${String(mode)}`);
  const patience = opts.patience ?? 0;
  if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`earlyStopping: patience must be an integer ≥ 0; got ${patience}`);
  const minDelta = opts.minDelta ?? 0;
  if (!(minDelta >= 0)) throw new RangeError(`earlyStopping: minDelta must be ≥ 0; got ${minDelta}`);
  const sign = mode === 'min' ? -1 : 1;
  let best: number | null = null, bestStep: number | null = null, waited = 0;
  let bestWeights: Record<string, Tensor> | null = null;
  return {
    get best() { return best; },
    get bestStep() { return bestStep; },
    onEvalEnd(e: EvalEnd) {
      const value = e.metrics[monitor];
      if (typeof value !== 'number') {
        throw new TypeError(`earlyStopping: the evaluation reports no '${monitor}'; it reports ${Object.keys(e.metrics).join(', ')}`);
      }
      if (best === null || sign * (value - best) > minDelta) {
        best = value;
        bestStep = e.step;
        waited = 0;
        if (opts.restoreBestWeights) bestWeights = opts.restoreBestWeights.stateDict();
      } else {
        waited++;
      }
      if (opts.target !== undefined && sign * (value - opts.target) >= 0) e.stop(`${monitor} reached ${opts.target} at step ${e.step}`);
      else if (patience > 0 && waited >= patience) e.stop(`${monitor} did not improve for ${patience} evaluations (best ${best} at step ${bestStep})`);
    },
    onEnd() {
      if (opts.restoreBestWeights && bestWeights) opts.restoreBestWeights.loadStateDict(bestWeights);
    },
  };
}
