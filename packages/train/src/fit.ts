// fit: the training loop, written once — batches in, loss, backward, gradient clipping, optimizer
// step, LR schedule, truncated-BPTT state carry, periodic evaluation, callbacks, a non-finite guard.
import { Tensor, clipGradNorm, noGrad } from '@unroll/autograd';
import { detachState } from '@unroll/rnn';
import { checkFitOptions } from './options.js';
import { firstNonFinite } from './finite.js';

/**
 * What `fit` needs of a model: its parameters, and a train/eval switch when it has one (every
 * `Module` has both; a plain `{ parameters: () => [...] }` works for models with no dropout).
 */
export interface Trainable {
  parameters(): Tensor[];
  namedParameters?(): [string, Tensor][];
  train?(mode?: boolean): unknown;
  readonly training?: boolean;
}

/** What `fit` needs of an optimizer (every `Optimizer` has it). */
export interface FitOptimizer {
  zeroGrad(): void;
  step(): void;
  readonly paramGroups: readonly { lr: number }[];
}

/** What the loss function returns: the loss, or the loss and the recurrent state to carry into the next batch. */
export type LossOutput<S> = Tensor | { loss: Tensor; state: S };

/**
 * The loss of one batch. `state` is the state the previous batch's loss returned, detached (its
 * graph cut, its values kept: truncated BPTT), or `initialState` at the first step.
 */
export type LossFn<B, S> = (batch: B, context: { state: S | undefined; step: number }) => LossOutput<S>;

/** Metrics of one evaluation, e.g. `{ val_loss: 1.52, val_accuracy: 0.98 }` (a bare number is `val_loss`). */
export type Metrics = Record<string, number>;

/** Passed to `onStepEnd` after each step (and after that step's evaluation, when one was due). */
export interface StepEnd<S = unknown> {
  /** The step just done, counted from 1 (continuing from `initialStep`). */
  step: number;
  /** The last step `fit` will run, or undefined when it runs until the data ends. */
  steps: number | undefined;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** The learning rate this step used (first param group). */
  lr: number;
  /** The state carried into the next step (detached), if the loss returns one. */
  state: S | undefined;
  /** The most recent evaluation's metrics (undefined before the first). */
  metrics: Metrics | undefined;
  /** True when an evaluation ran at this step. */
  evaluated: boolean;
  /** Ends training after this step (`result.stopReason` is the reason). */
  stop(reason?: string): void;
}

/** Passed to `onEvalEnd` after each evaluation. */
export interface EvalEnd {
  step: number;
  steps: number | undefined;
  metrics: Metrics;
  /** Every evaluation so far, this one last. */
  history: readonly { step: number; metrics: Metrics }[];
  stop(reason?: string): void;
}

/**
 * Hooks into the loop. A hook may return a promise (`fit` awaits it; `fitSync` refuses it).
 * `onEnd` runs once, also when training fails (then `result.error` is set and `fit` rethrows it).
 */
export interface Callback<S = unknown> {
  /** Before the first step (`step` is `initialStep`). */
  onStart?(e: { step: number; steps: number | undefined }): void | Promise<void>;
  onStepEnd?(e: StepEnd<S>): void | Promise<void>;
  onEvalEnd?(e: EvalEnd): void | Promise<void>;
  onEnd?(result: FitResult<S>): void | Promise<void>;
}

export interface FitOptions<B, S = unknown> {
  model: Trainable;
  optimizer: FitOptimizer;
  /** Batches, pulled one per step: an array, a generator, or an async iterable (a data loader, a stream). */
  data: Iterable<B> | AsyncIterable<B>;
  loss: LossFn<B, S>;
  /** Train until this step (counting from `initialStep`); default: until `data` ends. */
  steps?: number;
  /** Steps already done (when continuing a run); default 0. */
  initialStep?: number;
  /** Rescale gradients to this global L2 norm when larger (`clipGradNorm`); default: no clipping. */
  clipGradNorm?: number;
  /** A learning-rate schedule, stepped after every optimizer step (any `LRScheduler`). */
  scheduler?: { step(): void };
  /** The state given to the first batch's loss (e.g. carried from a checkpoint). */
  initialState?: S;
  /**
   * Evaluation, run without gradients and in eval mode (no dropout) every `evalEvery` steps and
   * after the last step. Returns metrics, or a number recorded as `val_loss`.
   */
  evaluate?: (context: { step: number }) => number | Metrics;
  /** Steps between evaluations (default: only after the last step). */
  evalEvery?: number;
  callbacks?: readonly Callback<NotInferred<S>>[];
  /** `fit` only: give the event loop a turn at least this often (ms, default 100), so a page or notebook can redraw. */
  yieldEveryMs?: number;
}

/**
 * S, but not a place TypeScript infers S from (the loss function is), so generic callbacks such as
 * a progress display mix with state-typed ones. Written out, as TypeScript 5.4's NoInfer is newer
 * than the TypeScript that tslab type-checks notebooks with.
 */
type NotInferred<S> = [S][S extends unknown ? 0 : never];

export interface FitResult<S = unknown> {
  /** The last step done (counting from `initialStep`). */
  step: number;
  /** Training loss of every step this call ran. */
  losses: number[];
  /** Every evaluation this call ran. */
  evaluations: { step: number; metrics: Metrics }[];
  /** 'steps' (reached `steps`), 'data' (the data ended), 'error', or the reason given to `stop()`. */
  stopReason: string;
  /** The state carried after the last step (detached). */
  state: S | undefined;
  /** Set when training failed (also rethrown). */
  error?: Error;
}

/**
 * The loss (or its gradient, or the weights after an update) stopped being finite. Training stops
 * before the optimizer applies it, so nothing non-finite is written by a checkpoint callback.
 */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(message: string, readonly step: number, readonly value: number) {
    super(message);
  }
}

/**
 * Trains `model` on `data`, one batch per step:
 *
 *     zeroGrad → loss(batch, state) → backward → clip → optimizer.step() → scheduler.step()
 *
 * then the carried state is detached, an evaluation runs when due, and callbacks are told. A loss
 * or gradient norm that is NaN or ±∞ stops training with a `NonFiniteLossError` naming the step,
 * before the update. Unknown options are refused. Awaits async data and async callbacks.
 */
export async function fit<B, S = unknown>(options: FitOptions<B, S>): Promise<FitResult<S>> {
  const run = trainingLoop(options, 'fit');
  const every = options.yieldEveryMs ?? 100;
  let last = Date.now();
  let r = run.next();
  while (!r.done) {
    let value: unknown;
    try {
      value = await r.value;
    } catch (err) {
      // A rejected batch or callback fails inside the loop, so onEnd runs and the data source is closed.
      r = run.throw(err);
      continue;
    }
    if (Date.now() - last >= every) {
      // A macrotask turn: lets a notebook or page redraw its progress display and see Ctrl-C.
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = Date.now();
    }
    r = run.next(value);
  }
  return r.value;
}

/**
 * `fit` without promises, for synchronous data and callbacks: returns the result directly. A batch
 * source or callback that returns a promise is refused (use `fit`).
 */
export function fitSync<B, S = unknown>(options: FitOptions<B, S>): FitResult<S> {
  const run = trainingLoop(options, 'fitSync');
  let r = run.next();
  while (!r.done) {
    if (isPromise(r.value)) r.value.catch(() => undefined);   // refused, so never awaited: no unhandled rejection
    r = isPromise(r.value)
      ? run.throw(new TypeError('fitSync: the data or a callback returned a promise; use `await fit(...)` for async data and callbacks'))
      : run.next(r.value);
  }
  return r.value;
}

/**
 * The loop itself, shared by `fit` and `fitSync`: it yields whatever may be a promise (the next batch,
 * a callback's result) and the driver hands back its value.
 */
function* trainingLoop<B, S>(options: FitOptions<B, S>, where: string): Generator<unknown, FitResult<S>, unknown> {
  const o = checkFitOptions(options, where);
  const { model, optimizer } = o;
  const callbacks = o.callbacks ?? [];
  const params = model.parameters();
  const source = o.data as Partial<Iterable<B> & AsyncIterable<B>>;
  const open = (source[Symbol.asyncIterator] ?? source[Symbol.iterator]) as (this: unknown) => Iterator<B> | AsyncIterator<B>;
  const iterator = open.call(o.data);
  const result: FitResult<S> = { step: o.initialStep ?? 0, losses: [], evaluations: [], stopReason: 'steps', state: detachState(o.initialState) };
  let metrics: Metrics | undefined;
  let stopReason: string | null = null;
  const stop = (reason = 'stopped by a callback') => { stopReason ??= reason; };
  const tell = function* (hook: 'onStart' | 'onStepEnd' | 'onEvalEnd' | 'onEnd', event: unknown) {
    for (const c of callbacks) if (c[hook]) yield (c[hook] as (e: unknown) => unknown).call(c, event);
  };

  try {
    yield* tell('onStart', { step: result.step, steps: o.steps });
    while (o.steps === undefined || result.step < o.steps) {
      const next = (yield iterator.next()) as IteratorResult<B>;
      if (next.done) { stopReason = 'data'; break; }
      const step = result.step + 1;
      model.train?.();
      optimizer.zeroGrad();
      const out = o.loss(next.value, { state: result.state, step });
      const loss = out instanceof Tensor ? out : out?.loss;
      if (!(loss instanceof Tensor) || loss.size !== 1) {
        throw new TypeError(`${where}: loss must return a scalar Tensor or { loss, state }; got ${describe(out)} at step ${step}`);
      }
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new NonFiniteLossError(`${where}: the loss at step ${step} is ${value}; training stopped before the update ` +
          `(the weights are those after step ${step - 1}; lower the learning rate or clip the gradients)`, step, value);
      }
      loss.backward();
      const gradNorm = clipGradNorm(params, o.clipGradNorm ?? Infinity);
      if (!Number.isFinite(gradNorm)) {
        throw new NonFiniteLossError(`${where}: the gradient norm at step ${step} is ${gradNorm} (loss ${value}); training stopped ` +
          `before the update (the weights are those after step ${step - 1})`, step, gradNorm);
      }
      const lr = optimizer.paramGroups[0]?.lr ?? NaN;
      optimizer.step();
      const bad = firstNonFinite(model.namedParameters ? model.namedParameters() : params.map((p, i) => [`parameter ${i}`, p] as [string, Tensor]));
      if (bad) {
        throw new NonFiniteLossError(`${where}: the update of step ${step} (lr ${lr}, gradient norm ${gradNorm}) made ${bad.name} ` +
          `non-finite (${bad.value} at flat index ${bad.index}); lower the learning rate or clip the gradients`, step, bad.value);
      }
      o.scheduler?.step();
      if (!(out instanceof Tensor)) result.state = detachState(out.state);
      result.step = step;
      result.losses.push(value);
      const last = o.steps !== undefined && step >= o.steps;
      let evaluated = false;
      if (o.evaluate && ((o.evalEvery !== undefined && step % o.evalEvery === 0) || last)) {
        metrics = evaluate(o, model, step, result);
        evaluated = true;
        yield* tell('onEvalEnd', { step, steps: o.steps, metrics, history: result.evaluations, stop });
      }
      yield* tell('onStepEnd', { step, steps: o.steps, loss: value, gradNorm, lr, state: result.state, metrics, evaluated, stop } satisfies StepEnd<S>);
      if (stopReason !== null) break;
    }
    // Stopped early (data ended, a callback, early stopping): evaluate the final weights unless just done.
    if (o.evaluate && result.step > (o.initialStep ?? 0) && result.evaluations.at(-1)?.step !== result.step) {
      const m = evaluate(o, model, result.step, result);
      yield* tell('onEvalEnd', { step: result.step, steps: o.steps, metrics: m, history: result.evaluations, stop });
    }
    result.stopReason = stopReason ?? 'steps';
  } catch (err) {
    result.stopReason = 'error';
    result.error = err instanceof Error ? err : new Error(String(err));
    yield* tell('onEnd', result);
    throw err;
  } finally {
    // Release the data source (closes a generator, a file stream) whether we finished or failed.
    const closed = iterator.return?.();
    if (isPromise(closed)) closed.catch(() => undefined);
  }
  yield* tell('onEnd', result);
  return result;
}

function evaluate<B, S>(o: FitOptions<B, S>, model: Trainable, step: number, result: FitResult<S>): Metrics {
  const wasTraining = model.training ?? true;
  model.train?.(false);
  let out: number | Metrics;
  try {
    out = noGrad(() => o.evaluate!({ step }));
  } finally {
    model.train?.(wasTraining);
  }
  const metrics = typeof out === 'number' ? { val_loss: out } : out;
  if (metrics === null || typeof metrics !== 'object' || Object.values(metrics).some((v) => typeof v !== 'number')) {
    throw new TypeError(`fit: evaluate must return a number or a record of numbers; got ${describe(out)} at step ${step}`);
  }
  result.evaluations.push({ step, metrics });
  return metrics;
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape [${v.shape.join(', ')}]`;
  if (v === null || typeof v !== 'object') return String(v);
  return `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
}
