// Training the date model, once for the script and the notebook: Adam with a linear decay over a
// time or step budget, clipped gradients, validation exact match every few steps, the best weights kept.
import { Adam, RandomGenerator } from '@unroll/autograd';
import { earlyStopping, fit } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { trainBatches } from './dataset.js';
import type { Splits } from './dataset.js';
import { exactMatch } from './evaluate.js';
import type { DateModel } from './model.js';

export interface DateTrainOptions {
  /** Wall-clock budget in milliseconds; training stops when it is spent. */
  budgetMs: number;
  /** Step budget (default none): training ends at whichever budget runs out first. */
  steps?: number;
  /** Seeds the batches (with `seed + 1`, so the weights' seed can be the same number). */
  seed: number;
  /** Examples per step (default 64). */
  batchSize?: number;
  /** Peak learning rate, decayed linearly to 10% over the budget (default 0.003). */
  lr?: number;
  /** Probability of feeding the target token (default 1: teacher forcing). */
  teacherForcing?: number;
  /** Validate (greedy exact match) every this many steps (default 250). */
  evalEvery?: number;
  /** Stop once validation exact match reaches this (default: never). */
  stopAt?: number;
  /** More `fit` callbacks (progress, logging); `onEvalEnd` sees `metrics.val_exact_match`. */
  callbacks?: readonly Callback[];
}

export interface DateTrainResult {
  /** Training loss of every step. */
  losses: number[];
  /** Steps and examples trained, and the seconds it took. */
  steps: number;
  examples: number;
  seconds: number;
  /** Why training ended ('steps', the budget, early stopping). */
  stopReason: string;
  /** The best validation exact match and its step: the model holds these weights on return. */
  best: { accuracy: number; step: number };
  /** When validation first reached 99% (step and seconds), or null. */
  reached99: { step: number; seconds: number } | null;
}

/** Trains `model` on `splits.trainDays` (see `DateTrainOptions`); on return the model holds the best validated weights. */
export async function trainDateModel(model: DateModel, splits: Splits, opts: DateTrainOptions): Promise<DateTrainResult> {
  const { budgetMs, steps = Infinity, batchSize = 64, lr = 0.003, teacherForcing = 1, evalEvery = 250 } = opts;
  const optimizer = new Adam(model.parameters(), { lr });
  const gen = new RandomGenerator(opts.seed + 1);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  let best = { accuracy: -1, step: 0, state: model.stateDict() };
  let reached99: DateTrainResult['reached99'] = null;
  let step = 0, examples = 0;
  // Linear decay over whichever budget runs out first, set after each step for the next one.
  const decay = {
    step() {
      const fraction = Math.max((Date.now() - started) / budgetMs, step / steps);
      optimizer.paramGroups[0]!.lr = lr * Math.max(0.1, 1 - 0.9 * fraction);
    },
  };
  const bookkeeping: Callback = {
    onStepEnd: (e) => {
      step = e.step;
      if (Date.now() - started >= budgetMs) e.stop(`the ${formatBudget(budgetMs)} budget is spent`);
    },
    onEvalEnd: (e) => {
      const accuracy = e.metrics.val_exact_match!;
      // Ties go to the later weights (trained longer, at a lower learning rate).
      if (accuracy >= best.accuracy) best = { accuracy, step: e.step, state: model.stateDict() };
      if (accuracy >= 0.99 && !reached99) reached99 = { step: e.step, seconds: seconds() };
    },
  };
  const result = await fit({
    model, optimizer, scheduler: decay, clipGradNorm: 5,
    // A step budget bounds the run only when given; the time budget (a callback) ends it otherwise.
    ...(steps < Infinity ? { steps } : {}),
    data: (function* () {
      for (const batch of trainBatches(splits.trainDays, batchSize, gen)) { examples += batch.examples.length; yield batch; }
    })(),
    loss: (batch) => model.loss(batch.src, batch.targets, { teacherForcing }).loss,
    evaluate: () => ({ val_exact_match: exactMatch(model, splits.validation).accuracy }),
    evalEvery,
    callbacks: [
      bookkeeping, ...(opts.callbacks ?? []),
      ...(opts.stopAt === undefined ? [] : [earlyStopping({ monitor: 'val_exact_match', target: opts.stopAt })]),
    ],
  });
  model.loadStateDict(best.state);
  return {
    losses: result.losses, steps: result.step, examples, seconds: seconds(), stopReason: result.stopReason,
    best: { accuracy: best.accuracy, step: best.step }, reached99,
  };
}

const formatBudget = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}-minute` : `${ms / 1000}-second`);
