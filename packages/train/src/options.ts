// Checks fit's options once, up front: an unknown or misspelt option, or a value of the wrong kind,
// is an error naming the option (never silently ignored).
import type { FitOptions } from './fit.js';

const KNOWN = [
  'model', 'optimizer', 'data', 'loss', 'steps', 'initialStep', 'clipGradNorm', 'scheduler', 'initialState',
  'evaluate', 'evalEvery', 'callbacks', 'yieldEveryMs',
] as const;

/** Returns `options` after checking every field; `where` names the caller in messages. */
export function checkFitOptions<B, S>(options: FitOptions<B, S>, where: string): FitOptions<B, S> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object; got ${String(options)}`);
  checkKeys(where, options, KNOWN);
  const o = options as FitOptions<B, S> & Record<string, unknown>;
  if (typeof o.model?.parameters !== 'function') {
    throw new TypeError(`${where}: model must have parameters() (a Module, or { parameters: () => tensors }); got ${kind(o.model)}`);
  }
  if (typeof o.optimizer?.step !== 'function' || typeof o.optimizer?.zeroGrad !== 'function' || !Array.isArray(o.optimizer?.paramGroups)) {
    throw new TypeError(`${where}: optimizer must have step(), zeroGrad() and paramGroups (an Optimizer); got ${kind(o.optimizer)}`);
  }
  const data = o.data as unknown as Record<symbol, unknown> | null;
  if (data === null || typeof data !== 'object' && typeof data !== 'function' ||
      (typeof data[Symbol.iterator] !== 'function' && typeof data[Symbol.asyncIterator] !== 'function')) {
    throw new TypeError(`${where}: data must be an iterable or async iterable of batches; got ${kind(o.data)}`);
  }
  if (typeof o.loss !== 'function') throw new TypeError(`${where}: loss must be a function (batch, { state, step }) => Tensor; got ${kind(o.loss)}`);
  checkInt(where, 'initialStep', o.initialStep, 0);
  checkInt(where, 'steps', o.steps, 0);
  checkInt(where, 'evalEvery', o.evalEvery, 1);
  if (o.clipGradNorm !== undefined && !(typeof o.clipGradNorm === 'number' && o.clipGradNorm > 0)) {
    throw new RangeError(`${where}: clipGradNorm must be a positive number (leave it out for no clipping); got ${String(o.clipGradNorm)}`);
  }
  if (o.yieldEveryMs !== undefined && !(typeof o.yieldEveryMs === 'number' && o.yieldEveryMs >= 0)) {
    throw new RangeError(`${where}: yieldEveryMs must be a number ≥ 0; got ${String(o.yieldEveryMs)}`);
  }
  if (o.scheduler !== undefined && typeof o.scheduler?.step !== 'function') {
    throw new TypeError(`${where}: scheduler must have step() (an LRScheduler); got ${kind(o.scheduler)}`);
  }
  if (o.evaluate !== undefined && typeof o.evaluate !== 'function') throw new TypeError(`${where}: evaluate must be a function; got ${kind(o.evaluate)}`);
  if (o.evalEvery !== undefined && o.evaluate === undefined) throw new TypeError(`${where}: evalEvery is given but evaluate is not`);
  if (o.callbacks !== undefined) {
    if (!Array.isArray(o.callbacks)) throw new TypeError(`${where}: callbacks must be an array; got ${kind(o.callbacks)}`);
    o.callbacks.forEach((c, i) => {
      if (c === null || typeof c !== 'object') throw new TypeError(`${where}: callbacks[${i}] must be an object with onStart / onStepEnd / onEvalEnd / onEnd; got ${kind(c)}`);
      const hooks = ['onStart', 'onStepEnd', 'onEvalEnd', 'onEnd'] as const;
      if (!hooks.some((h) => typeof (c as Record<string, unknown>)[h] === 'function')) {
        throw new TypeError(`${where}: callbacks[${i}] has none of onStart, onStepEnd, onEvalEnd, onEnd; got ${kind(c)}`);
      }
    });
  }
  if (o.steps !== undefined && o.initialStep !== undefined && o.steps < o.initialStep) {
    throw new RangeError(`${where}: steps (${o.steps}) is before initialStep (${o.initialStep})`);
  }
  return options;
}

/** Refuses keys of `opts` that are not in `known`. */
export function checkKeys(where: string, opts: object, known: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}'; the options are ${known.join(', ')}`);
  }
}

function checkInt(where: string, name: string, v: unknown, min: number): void {
  if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min)) {
    throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}; got ${String(v)}`);
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object with keys ${Object.keys(v as object).join(', ') || '(none)'}`;
  return typeof v === 'function' ? 'a function' : `${typeof v} ${String(v)}`;
}
