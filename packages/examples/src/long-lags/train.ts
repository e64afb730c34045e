// Training on a long-time-lag task until the paper's criterion holds: minibatches and Adam (the paper
// used online gradient descent), stopped once the most recent 2,000 training sequences were all
// correct, then scored on 2,560 fresh test sequences.
import { Adam, noGrad } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { AddingModel, MODEL_KINDS } from '../adding-problem/models.js';
import type { ModelKind } from '../adding-problem/models.js';
import { forever, seededStreams } from '../uses/common/run.js';
import { LAG_PROBLEMS, lagProblem } from './problems.js';
import type { LagBatch, LagProblem, LagProblemName } from './problems.js';
import { RecentOutcomes } from './recent.js';

export interface LagTrainOptions {
  problem: LagProblemName;
  /** Minimal sequence length (the paper: 100, 500, 1000 for the adding problem; 100 for temporal order). */
  T: number;
  /** The budget: most training sequences before giving up (rounded up to whole batches). */
  budget: number;
  /** Sequences per step (default 32). */
  batchSize?: number;
  /** Hidden units (default 32). */
  hiddenSize?: number;
  /** Adam's learning rate (default 1e-2). */
  lr?: number;
  /** Largest gradient norm before rescaling (default 1). */
  clip?: number;
  /**
   * Initial forget-gate bias of 'lstm' and 'lstm-peephole', and update-gate bias of 'gru' (its z keeps
   * h as f keeps c; default 3). With PyTorch's GRU init the GRU stayed at chance on temporal order 6a.
   */
  forgetBias?: number;
  /** Initial input-gate bias of every LSTM kind (default −3, the paper's negative input bias); null: PyTorch's init. */
  inputBias?: number | null;
  /** Seeds the weights, the training stream and the test set (default 0). */
  seed?: number;
  /** Solved when this many most recent training sequences were all correct (default 2000, the paper's). */
  window?: number;
  /** Test sequences after training (default 2560, the paper's). */
  testSize?: number;
  /** Called after every step, before `callbacks`. */
  onProgress?: (p: LagProgress) => void;
  /** More `fit` callbacks (a progress display). */
  callbacks?: readonly Callback[];
}

/** What a run reports after each step. */
export interface LagProgress {
  step: number;
  steps: number;
  /** Training sequences seen so far. */
  sequences: number;
  /** This step's training loss. */
  loss: number;
  /** Fraction correct among the most recent `window` training sequences. */
  recentAccuracy: number;
}

/** A score on held-out sequences. */
export interface LagEvaluation {
  /** Fraction correct by the paper's criterion. */
  accuracy: number;
  /** Sequences wrong. */
  wrong: number;
  /** Mean loss (MSE for the adding problem, cross-entropy for temporal order). */
  loss: number;
  count: number;
}

export interface LagResult {
  problem: LagProblemName;
  title: string;
  kind: ModelKind;
  T: number;
  batchSize: number;
  parameters: number;
  /** Steps and training sequences run. */
  steps: number;
  sequences: number;
  /** Training sequences seen when the most recent `window` were first all correct, or null (budget spent). */
  solvedAt: number | null;
  /** The budget in sequences (whole batches). */
  budget: number;
  /** Fraction correct among the most recent `window` training sequences at the end. */
  recentAccuracy: number;
  /** Mean training loss over the last 100 steps (or fewer). */
  finalLoss: number;
  losses: number[];
  test: LagEvaluation;
  seconds: number;
  model: AddingModel;
}

type Resolved = Required<Omit<LagTrainOptions, 'onProgress' | 'callbacks' | 'inputBias'>> & { inputBias: number | null };

/** Fills in the defaults and refuses what cannot be trained, naming the option. */
export function resolveLagOptions(opts: LagTrainOptions): Resolved {
  const r: Resolved = {
    problem: opts.problem, T: opts.T, budget: opts.budget, batchSize: opts.batchSize ?? 32, hiddenSize: opts.hiddenSize ?? 32,
    lr: opts.lr ?? 1e-2, clip: opts.clip ?? 1, forgetBias: opts.forgetBias ?? 3, inputBias: opts.inputBias === undefined ? -3 : opts.inputBias,
    seed: opts.seed ?? 0, window: opts.window ?? 2000, testSize: opts.testSize ?? 2560,
  };
  if (!(LAG_PROBLEMS as readonly string[]).includes(r.problem)) {
    throw new RangeError(`trainLongLag: problem must be one of ${LAG_PROBLEMS.join(', ')}; got '${String(r.problem)}'`);
  }
  for (const key of ['T', 'budget', 'batchSize', 'hiddenSize', 'window', 'testSize'] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 1) throw new RangeError(`trainLongLag: ${key} must be a positive integer; got ${r[key]}`);
  }
  if (!Number.isInteger(r.seed) || r.seed < 0) throw new RangeError(`trainLongLag: seed must be a non-negative integer; got ${r.seed}`);
  if (!(r.lr > 0) || !Number.isFinite(r.lr)) throw new RangeError(`trainLongLag: lr must be a positive number; got ${r.lr}`);
  if (!(r.clip > 0) || !Number.isFinite(r.clip)) throw new RangeError(`trainLongLag: clip must be a positive number; got ${r.clip}`);
  if (!Number.isFinite(r.forgetBias)) throw new RangeError(`trainLongLag: forgetBias must be a finite number; got ${r.forgetBias}`);
  if (r.inputBias !== null && !Number.isFinite(r.inputBias)) throw new RangeError(`trainLongLag: inputBias must be a finite number or null; got ${r.inputBias}`);
  lagProblem(r.problem, r.T); // refuses a T the problem cannot use
  return r;
}

/** Random streams of one seed: weights, training data, test data (the test set depends on seed, problem and T only). */
const lagStreams = (seed: number) => {
  const [init, train, test] = seededStreams(seed, 3);
  return { init: init!, train: train!, test: test! };
};

/** The model's score on `count` test sequences of `seed`, drawn and evaluated in chunks (no gradients). */
export function evaluateLag(model: AddingModel, problem: LagProblem, count: number, seed: number, chunk = 256): LagEvaluation {
  const generator = lagStreams(seed).test;
  const wasTraining = model.training;
  model.eval();
  let correct = 0, lossSum = 0;
  noGrad(() => {
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      const batch = problem.batch(size, generator);
      const outputs = model.forward(batch.inputs, batch.lengths);
      correct += problem.correct(outputs, batch).filter(Boolean).length;
      lossSum += problem.loss(outputs, batch).item() * size;
    }
  });
  model.train(wasTraining);
  return { accuracy: correct / count, wrong: count - correct, loss: lossSum / count, count };
}

/**
 * Trains `kind` on a long-time-lag problem until the most recent `window` training sequences were all
 * correct (the paper's rule; each sequence is scored by the forward pass that trains on it), or the
 * budget is spent; then tests on `testSize` fresh sequences.
 */
export function trainLongLag(kind: ModelKind, options: LagTrainOptions): LagResult {
  if (!(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new RangeError(`trainLongLag: model must be one of ${MODEL_KINDS.join(', ')}; got '${String(kind)}'`);
  }
  const o = resolveLagOptions(options);
  const problem = lagProblem(o.problem, o.T);
  const streams = lagStreams(o.seed);
  const model = new AddingModel({
    kind, hiddenSize: o.hiddenSize, inputSize: problem.inputSize, outputSize: problem.outputSize,
    forgetBias: o.forgetBias, inputBias: o.inputBias, updateBias: o.forgetBias, generator: streams.init,
  });
  const steps = Math.ceil(o.budget / o.batchSize);
  const recent = new RecentOutcomes(o.window);
  let solvedAt: number | null = null;
  const started = performance.now();
  const watch: Callback = {
    onStepEnd: (e) => {
      const sequences = e.step * o.batchSize;
      options.onProgress?.({ step: e.step, steps, sequences, loss: e.loss, recentAccuracy: recent.accuracy });
      if (recent.allCorrect) {
        solvedAt = sequences;
        e.stop('solved');
      }
    },
  };
  const result = fitSync<LagBatch>({
    model, optimizer: new Adam(model.parameters(), { lr: o.lr }), steps, clipGradNorm: o.clip,
    data: forever(() => problem.batch(o.batchSize, streams.train)),
    loss: (batch) => {
      const outputs = model.forward(batch.inputs, batch.lengths);
      recent.push(problem.correct(outputs, batch)); // scored before this step's update, as online training would
      return problem.loss(outputs, batch);
    },
    callbacks: [watch, ...(options.callbacks ?? [])],
  });
  const tail = result.losses.slice(-100);
  return {
    problem: o.problem, title: problem.title, kind, T: o.T, batchSize: o.batchSize, parameters: model.numParameters(),
    steps: result.step, sequences: result.step * o.batchSize, solvedAt, budget: steps * o.batchSize,
    recentAccuracy: recent.accuracy, finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length, losses: result.losses,
    test: evaluateLag(model, problem, o.testSize, o.seed),
    seconds: (performance.now() - started) / 1000, model,
  };
}
