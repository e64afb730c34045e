// Checkpoints from fit through @unroll/autograd/node: saved atomically every N steps and at the end,
// never with non-finite weights, never after a failed step — so the last good file survives divergence.
import type { CheckpointContents, Module, Tensor } from '@unroll/autograd';
import { saveCheckpoint } from '@unroll/autograd/node';
import type { Callback, FitResult, StepEnd } from '../fit.js';
import { assertFinite } from '../finite.js';
import { checkKeys } from '../options.js';

export interface CheckpointOptions {
  /** The file to write (replaced atomically: a crash leaves the old file or the new one). */
  path: string;
  /**
   * What to save, asked at each save: `{ model, optimizer, extra }` (see `saveCheckpoint`); the
   * model's weights must be finite, else nothing is written.
   */
  contents: (e: { step: number }) => CheckpointContents;
  /** Save every this many steps (default 0: only at the end). */
  every?: number;
  /** Save when training ends without an error (default true; also after early stopping or Ctrl-C). */
  atEnd?: boolean;
  /** Called after each save, with the path and step (e.g. to log it). */
  onSave?: (e: { path: string; step: number }) => void;
}

/** The callback; `lastSaved` is the step of the last file written (null before the first). */
export interface CheckpointCallback extends Callback {
  readonly lastSaved: number | null;
}

/**
 * Saves checkpoints while `fit` trains. When `fit` fails (a `NonFiniteLossError`, an exception in
 * the loss), nothing is written at the end, so the file on disk is the last good one; a save whose
 * model weights hold NaN or ±∞ is refused with an error naming the tensor.
 */
export function saveCheckpoints(opts: CheckpointOptions): CheckpointCallback {
  checkKeys('saveCheckpoints', opts, ['path', 'contents', 'every', 'atEnd', 'onSave']);
  if (typeof opts.path !== 'string' || opts.path === '') throw new TypeError(`saveCheckpoints: path must be a file path; got ${String(opts.path)}`);
  if (typeof opts.contents !== 'function') throw new TypeError('saveCheckpoints: contents must be a function returning { model, optimizer, extra }');
  const every = opts.every ?? 0;
  if (!Number.isInteger(every) || every < 0) throw new RangeError(`saveCheckpoints: every must be an integer ≥ 0; got ${every}`);
  let lastSaved: number | null = null;
  const save = async (step: number) => {
    const contents = opts.contents({ step });
    if (contents.model) assertFinite(weightsOf(contents.model), 'saveCheckpoints', `the model at step ${step}`);
    await saveCheckpoint(opts.path, contents);
    lastSaved = step;
    opts.onSave?.({ path: opts.path, step });
  };
  return {
    get lastSaved() { return lastSaved; },
    async onStepEnd(e: StepEnd) {
      if (every > 0 && e.step % every === 0 && e.step !== e.steps) await save(e.step);
    },
    async onEnd(result: FitResult) {
      if (result.error || opts.atEnd === false || lastSaved === result.step) return;
      await save(result.step);
    },
  };
}

function weightsOf(model: Module | Record<string, Tensor>): Record<string, Tensor> {
  return typeof (model as Module).stateDict === 'function' ? (model as Module).stateDict() : model as Record<string, Tensor>;
}
