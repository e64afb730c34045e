// The long-time-lag tasks of Hochreiter & Schmidhuber 1997 behind one interface: the adding problem
// (Experiment 4) and the temporal-order problem (6a, 6b), each with its data, loss and success criterion.
import { RandomGenerator, Tensor, crossEntropy, mseLoss, noGrad, softmax } from '@unroll/autograd';
import { addingProblemBatch } from '../adding-problem/data.js';
import { TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_SYMBOLS, temporalOrderBatch, temporalOrderCorrect, temporalOrderWindows } from '../temporal-order/data.js';

/** The problems: the adding problem, temporal order with 2 relevant symbols (6a) and with 3 (6b). */
export const LAG_PROBLEMS = ['adding', 'order-2', 'order-3'] as const;
export type LagProblemName = (typeof LAG_PROBLEMS)[number];

/** One batch of any of the problems: time-major inputs, real lengths, and the targets the problem's loss reads. */
export interface LagBatch {
  /** [maxLength, batch, inputSize], zero-padded after each sequence's length. */
  inputs: Tensor;
  lengths: number[];
  /** Adding: float [batch, 1]; temporal order: int32 class ids [batch]. */
  targets: Tensor;
}

/** A task: how to draw it, the training loss on the model's outputs, and the paper's per-sequence success test. */
export interface LagProblem {
  readonly name: LagProblemName;
  /** Human-readable, with the paper's experiment number and the lengths. */
  readonly title: string;
  readonly T: number;
  readonly inputSize: number;
  readonly outputSize: number;
  /** `size` fresh sequences from `generator`. */
  batch(size: number, generator: RandomGenerator): LagBatch;
  /** The training loss: MSE of the prediction (adding), cross-entropy of the logits (temporal order). */
  loss(outputs: Tensor, batch: LagBatch): Tensor;
  /** Per sequence, the paper's criterion: |error| < 0.04 (adding); every softmax output within 0.3 of the one-hot target (order). */
  correct(outputs: Tensor, batch: LagBatch): boolean[];
  /** What answering without reading the inputs scores: the fraction correct, and that in words for the script's header. */
  readonly chance: { accuracy: number; describe: string };
}

/** The problem `name` at minimal length T (the adding problem needs T ≥ 4, temporal order T ≥ 20). */
export function lagProblem(name: LagProblemName, T: number): LagProblem {
  switch (name) {
    case 'adding': return addingLag(T);
    case 'order-2': return orderLag('6a', T);
    case 'order-3': return orderLag('6b', T);
    default: throw new RangeError(`lagProblem: problem must be one of ${LAG_PROBLEMS.join(', ')}; got '${String(name)}'`);
  }
}

function addingLag(T: number): LagProblem {
  if (!Number.isInteger(T) || T < 4) throw new RangeError(`lagProblem: T of the adding problem must be an integer ≥ 4; got ${T}`);
  return {
    name: 'adding', T, inputSize: 2, outputSize: 1,
    title: `adding problem (experiment 4), T = ${T}: lengths ${T}–${T + Math.floor(T / 10)}, X1 in the first 10 steps, X2 in the first ${Math.floor(T / 2)}`,
    batch: (size, generator) => {
      const d = addingProblemBatch({ T, batch: size, generator });
      return { inputs: d.inputs, lengths: d.lengths, targets: d.targets };
    },
    loss: (outputs, batch) => mseLoss(outputs, batch.targets),
    correct: (outputs, batch) => {
      const p = outputs.values(), t = batch.targets.values();
      return Array.from(p, (v, k) => Math.abs(v - t[k]!) < 0.04);
    },
    // Always answering 0.5 is within 0.04 for about 15 % of sequences (see the adding-problem tests).
    chance: { accuracy: 0.154, describe: 'always 0.5: about 15.4 % within 0.04' },
  };
}

function orderLag(variant: '6a' | '6b', T: number): LagProblem {
  const windows = temporalOrderWindows(variant, T);
  const classes = TEMPORAL_ORDER_CLASSES[variant];
  return {
    name: variant === '6a' ? 'order-2' : 'order-3', T, inputSize: TEMPORAL_ORDER_SYMBOLS.length, outputSize: classes.length,
    title: `temporal order (experiment ${variant}), ${windows.length} relevant symbols at ` +
      `${windows.map(([lo, hi]) => `[${lo}, ${hi}]`).join(', ')}, lengths ${T}–${T + Math.floor(T / 10)}, ${classes.length} classes`,
    batch: (size, generator) => {
      const d = temporalOrderBatch({ variant, T, batch: size, generator });
      return { inputs: d.inputs, lengths: d.lengths, targets: d.labels };
    },
    loss: (outputs, batch) => crossEntropy(outputs, batch.targets),
    correct: (outputs, batch) => temporalOrderCorrect(noGrad(() => softmax(outputs, -1)), batch.targets),
    // Guessing a class is right 1 in C times, but the 0.3 criterion needs p > 0.7: a constant output never meets it.
    chance: { accuracy: 0, describe: `no constant output is correct (guessing would be right 1 in ${classes.length} by argmax)` },
  };
}
