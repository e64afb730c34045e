// char-rnn checkpoints: one safetensors file with the model weights, the optimizer state and, as
// extra data, the vocabulary, the config and everything needed to resume exactly (step, RNG, schedule,
// carried state, loss history). Reading one checks all of it and says what is wrong.
import * as K from '@unroll/core';
import { RandomGenerator, StateDictError, Tensor } from '@unroll/autograd';
import type { CheckpointContents, LRSchedulerState } from '@unroll/autograd';
import { assertFinite, firstNonFinite } from '@unroll/train';
import { loadCheckpoint, saveCheckpoint } from '@unroll/autograd/node';
import { CharRNN } from './model.js';
import { checkConfig } from './options.js';
import type { TrainConfig } from './options.js';
import type { History, Trainer, TrainerState } from './trainer.js';
import { Vocab } from './vocab.js';

/** Marks a checkpoint as a char-rnn run (other safetensors files are refused by name). */
export const FORMAT = 'unroll-char-rnn';
/** The layout version of the char-rnn record; another version is refused. */
export const FORMAT_VERSION = 1;

/** Facts about the run that are not numbers of the model: where the text came from, the default seed text. */
export interface RunInfo {
  /** The --text path (absolute) or null for the project sources. */
  textPath: string | null;
  /** Description of the text for messages. */
  textSource: string;
  /** Seed text `sample` uses when none is given (the first line of the training text). */
  defaultSeed: string;
}

/** A char-rnn checkpoint read back and checked. */
export interface SavedRun {
  path: string;
  vocab: Vocab;
  config: TrainConfig;
  info: RunInfo;
  textFingerprint: string;
  model: Record<string, Tensor>;
  state: TrainerState;
}

/** Saves the trainer's model, optimizer and run state to `path` atomically (a crash leaves the old file). */
export async function saveRun(path: string, trainer: Trainer, info: RunInfo): Promise<void> {
  // Never write a diverged model over a checkpoint (the training loop's saves check the same).
  assertFinite(trainer.model.namedParameters(), 'saveRun', `the model at step ${trainer.step}`);
  await saveCheckpoint(path, runContents(trainer, info));
}

/** What a char-rnn checkpoint holds: the trainer's model, optimizer and run state (for `saveCheckpoint`). */
export function runContents(trainer: Trainer, info: RunInfo): CheckpointContents {
  const snap = trainer.snapshot();
  return {
    model: trainer.model,
    optimizer: snap.optimizer,
    extra: {
      format: FORMAT,
      version: FORMAT_VERSION,
      vocab: [...trainer.vocab.chars],
      config: { ...trainer.config },
      info: { ...info },
      textFingerprint: trainer.textFingerprint,
      step: snap.step,
      rng: snap.rng,
      scheduler: { ...snap.scheduler },
      carry: snap.carry,
      history: { train: snap.history.train, val: snap.history.val },
    },
    metadata: { format: FORMAT },
  };
}

/**
 * Reads and checks a char-rnn checkpoint. A missing, truncated or corrupt file, a safetensors file
 * that is not a char-rnn run, or a run whose parts do not fit together is an Error naming the file
 * and what is wrong.
 */
export async function loadRun(path: string): Promise<SavedRun> {
  const ckpt = await loadCheckpoint(path);
  const where = `checkpoint '${path}'`;
  const extra = ckpt.extra as Record<string, unknown> | undefined;
  if (typeof extra !== 'object' || extra === null || extra.format !== FORMAT) {
    throw new Error(`${where} is a safetensors file but not a char-rnn checkpoint (no '${FORMAT}' record); train one with 'train --checkpoint ${path}'`);
  }
  if (extra.version !== FORMAT_VERSION) throw new Error(`${where} is char-rnn format version ${String(extra.version)}; this program reads version ${FORMAT_VERSION}`);
  // A diverged run's weights sample one repeated character and cannot resume: refuse them by name.
  const bad = firstNonFinite(ckpt.model);
  if (bad) {
    throw new Error(`${where} holds non-finite weights (${bad.name}[${bad.index}] is ${bad.value}): the run that wrote it diverged, ` +
      'so it can be neither sampled nor resumed; train again with a lower --lr or with --clip');
  }
  const field = (name: string): unknown => {
    if (!Object.hasOwn(extra, name)) throw new Error(`${where} has no '${name}' record; the file is damaged or was not written by char-rnn`);
    return extra[name];
  };
  const chars = field('vocab');
  if (!Array.isArray(chars)) throw new Error(`${where}: the vocabulary must be a list of characters; got ${JSON.stringify(chars)}`);
  let vocab: Vocab;
  try {
    vocab = new Vocab(chars as string[]);
  } catch (err) {
    throw new Error(`${where}: bad vocabulary: ${(err as Error).message}`);
  }
  const config = checkConfig(withLaterFields(field('config')), where);
  const info = field('info') as RunInfo;
  if (typeof info !== 'object' || info === null || typeof info.textSource !== 'string' || typeof info.defaultSeed !== 'string' ||
    !(info.textPath === null || typeof info.textPath === 'string')) {
    throw new Error(`${where}: the run info must be { textPath, textSource, defaultSeed }; got ${JSON.stringify(info)}`);
  }
  const textFingerprint = field('textFingerprint');
  if (typeof textFingerprint !== 'string') throw new Error(`${where}: textFingerprint must be a string; got ${JSON.stringify(textFingerprint)}`);
  const step = field('step');
  if (!Number.isInteger(step) || (step as number) < 0) throw new Error(`${where}: step must be an integer ≥ 0; got ${JSON.stringify(step)}`);
  const carry = field('carry');
  if (carry !== null && (typeof carry !== 'object' || !Object.values(carry as object).every((t) => t instanceof Tensor))) {
    throw new Error(`${where}: the carried state must be null or a record of tensors`);
  }
  const history = field('history') as History;
  if (typeof history !== 'object' || history === null || !Array.isArray(history.train) || !Array.isArray(history.val)) {
    throw new Error(`${where}: the loss history must be { train: [...], val: [...] }`);
  }
  return {
    path, vocab, config, info, textFingerprint, model: ckpt.model,
    state: {
      step: step as number,
      rng: field('rng') as number[],
      optimizer: ckpt.optimizer,
      scheduler: field('scheduler') as unknown as LRSchedulerState,
      carry: carry as Record<string, Tensor> | null,
      history,
    },
  };
}

/**
 * A config saved before a flag existed reads as that flag's behaviour then: before --input, an
 * embedding; before --val-pieces, the tail of the text (one piece).
 */
function withLaterFields(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return { input: 'embedding', valPieces: 1, ...config };
}

/**
 * The model of a saved run with its weights loaded (for sampling). Weights that do not fit the
 * saved config and vocabulary are refused with loadStateDict's explanation.
 */
export function modelOf(run: SavedRun): CharRNN {
  const model = new CharRNN({ ...run.config, vocabSize: run.vocab.size }, new RandomGenerator(run.config.seed));
  try {
    model.loadStateDict(run.model);
  } catch (err) {
    throw new Error(`checkpoint '${run.path}': its weights do not fit its own config and ${run.vocab.size}-symbol vocabulary: ${stateDictProblem(err)}`);
  }
  return model;
}

/**
 * A refused state dict in one line, naming the first tensor and both shapes (or the keys), for the
 * CLI's one-line errors; loadStateDict's own message lists every problem on its own line.
 */
export function stateDictProblem(err: unknown): string {
  if (!(err instanceof StateDictError)) return (err as Error).message;
  const [m] = err.mismatched;
  const more = (n: number) => (n > 1 ? ` (and ${n - 1} more)` : '');
  if (m) return `tensor '${m.key}' is ${K.fmt(m.got)} but the model expects ${K.fmt(m.expected)}${more(err.mismatched.length)}`;
  if (err.missingKeys.length) return `tensor '${err.missingKeys[0]}' is missing${more(err.missingKeys.length)}`;
  if (err.unexpectedKeys.length) return `tensor '${err.unexpectedKeys[0]}' is not part of the model${more(err.unexpectedKeys.length)}`;
  return err.message.replace(/\s*\n\s*/g, '; ');
}

/**
 * Puts a saved run into a trainer built on the same text (for --resume): the text must have the
 * same vocabulary and content, and the config the same numbers except `steps`.
 */
export function resumeInto(trainer: Trainer, run: SavedRun): void {
  const where = `cannot resume from '${run.path}'`;
  const diff = run.vocab.difference(trainer.vocab);
  if (diff !== null) {
    throw new Error(`${where}: the checkpoint's vocabulary differs from this text's (${diff}); it was trained on ${run.info.textSource} — pass the same --text`);
  }
  if (run.textFingerprint !== trainer.textFingerprint) {
    throw new Error(`${where}: the text is not the one the checkpoint was trained on (${run.info.textSource}; fingerprint ${run.textFingerprint}, now ${trainer.textFingerprint}), so the run cannot continue exactly; start a new run with a different --checkpoint`);
  }
  for (const key of Object.keys(run.config) as (keyof TrainConfig)[]) {
    if (key !== 'steps' && run.config[key] !== trainer.config[key]) {
      throw new Error(`${where}: the checkpoint has ${key} = ${JSON.stringify(run.config[key])}, this run ${JSON.stringify(trainer.config[key])}`);
    }
  }
  try {
    trainer.model.loadStateDict(run.model);
    trainer.restore(run.state);
  } catch (err) {
    throw new Error(`${where}: ${stateDictProblem(err)}`);
  }
}
