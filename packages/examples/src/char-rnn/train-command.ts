// `char-rnn train`: builds or resumes a run, trains it with a progress bar, validation, samples
// and checkpoints along the way, and ends with a sample, the checkpoint and a loss-curve SVG.
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RandomGenerator } from '@unroll/autograd';
import { lineChart } from '@unroll/plot';
import { NonFiniteLossError, fit, formatDuration } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { saveCheckpoints, terminalProgress } from '@unroll/train/node';
import { flagName } from '../flags.js';
import { loadRun, resumeInto, runContents, saveRun } from './checkpoint.js';
import type { RunInfo, SavedRun } from './checkpoint.js';
import { projectSources, readTextFile } from './corpus.js';
import type { Corpus } from './corpus.js';
import { describeModel } from './model.js';
import { CHECKPOINT_NAME, defaultOutDir, describeValidation, programName } from './options.js';
import type { TrainArgs, TrainConfig } from './options.js';
import { sampleText } from './sample.js';
import { LN2, Trainer } from './trainer.js';
import type { History } from './trainer.js';

/** Where output goes: `print` for results (stdout), `progress` for the bar and periodic samples (stderr). */
export interface TrainIO {
  print(line: string): void;
  progress: NodeJS.WriteStream;
}

/** What a finished `train` reports. */
export interface TrainSummary {
  steps: number;
  trainLoss: number | null;
  valLoss: number | null;
  sample: string;
  checkpoint: string;
  lossCurve: string;
  interrupted: boolean;
  /** True when --time-limit ended the run before --steps. */
  timedOut: boolean;
  /** Wall time from the first step to the end (validations, checkpoints, the final sample), seconds. */
  seconds: number;
}

const defaultIO: TrainIO = { print: (line) => process.stdout.write(`${line}\n`), progress: process.stderr };

/** Runs `train` with parsed arguments. */
export async function runTrain(args: TrainArgs, io: TrainIO = defaultIO): Promise<TrainSummary> {
  prepareOutputPaths(args); // before any work: a bad --out or --checkpoint must not surface after training
  let saved: SavedRun | null = null;
  let config = args.config;
  let textPath = args.text;
  if (args.resume) {
    if (!existsSync(args.checkpoint)) throw new Error(`--resume: there is no checkpoint at '${args.checkpoint}' to resume (give its path with --checkpoint)`);
    saved = await loadRun(args.checkpoint);
    config = resumedConfig(saved, args);
    textPath ??= saved.info.textPath;
  }
  let corpus: Corpus;
  try {
    corpus = textPath === null ? projectSources() : readTextFile(textPath);
  } catch (err) {
    if (!saved || args.text !== null) throw err;
    throw new Error(`--resume: the checkpoint was trained on ${saved.info.textSource}, which cannot be read now (${(err as Error).message}); pass it with --text FILE`);
  }
  const trainer = new Trainer(corpus.text, config);
  if (saved) resumeInto(trainer, saved);
  const info: RunInfo = { textPath: corpus.path, textSource: corpus.source, defaultSeed: firstLine(corpus.text) };
  const lossCurve = join(args.out, 'loss-curve.svg');
  const c = trainer.config;

  io.print(`char-rnn: learning ${corpus.source}: ${corpus.text.length.toLocaleString('en-US')} characters, ${trainer.vocab.size} symbols`);
  io.print(`model: ${describeModel(trainer.model)}`);
  io.print(`training: ${c.steps} steps of ${c.batch} streams × ${c.seqLen} characters, ${c.optim} lr ${c.lr} (${c.schedule}` +
    `${c.warmup ? `, ${c.warmup} warm-up steps` : ''}), clip ${c.clip || 'off'}; one pass through the text = ${trainer.chunksPerEpoch} steps`);
  io.print(trainer.val
    ? `validation: ${describeValidation(c)} (${(trainer.val.batch * trainer.val.length).toLocaleString('en-US')} characters) every ${args.evalEvery} steps`
    : 'validation: none (--val-fraction 0)');
  if (saved) io.print(`resuming from '${args.checkpoint}' at step ${trainer.step}`);
  else if (existsSync(args.checkpoint)) io.print(`(this run replaces the checkpoint '${args.checkpoint}'; --resume would have continued it)`);
  if (trainer.step >= c.steps) io.print(`the run is already at step ${trainer.step} of ${c.steps}; raise --steps to train further`);

  // Ctrl-C stops after the current step and saves, so the run can be resumed.
  let interrupted = false;
  let timedOut = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const startStep = trainer.step;
  const started = Date.now();
  let smooth = smoothed(trainer.history.train);
  let lastVal = trainer.history.val.at(-1)?.[1] ?? null;
  const bar = terminalProgress({
    stream: io.progress, unit: 'chars', unitsPerStep: trainer.charsPerStep,
    figures: (e) => {
      smooth = smooth === null ? e.loss : 0.95 * smooth + 0.05 * e.loss;
      if (e.metrics) lastVal = e.metrics.val_loss!;
      return { loss: smooth, val: lastVal === null ? undefined : `${lastVal.toFixed(3)} (${(lastVal / LN2).toFixed(2)} bits)` };
    },
  });
  const textLabel = corpus.path === null ? 'the project sources' : basename(corpus.path);
  const checkpoints = saveCheckpoints({
    path: args.checkpoint, every: args.checkpointEvery, contents: () => runContents(trainer, info),
    onSave: () => {
      mkdirSync(args.out, { recursive: true });
      writeFileSync(lossCurve, lossChart(trainer.history, textLabel));
    },
  });
  const samples: Callback = {
    onStepEnd: (e) => {
      if (interrupted) e.stop('interrupted');
      // The budget covers the steps, their validations, samples and checkpoints; the final validation comes after it.
      if (args.timeLimit !== null && e.step < c.steps && Date.now() - started >= args.timeLimit * 60_000) {
        timedOut = true;
        e.stop('time limit');
      }
      if (args.sampleEvery > 0 && e.step % args.sampleEvery === 0 && e.step !== c.steps) {
        const text = sampleText(trainer.model, trainer.vocab, {
          seedText: info.defaultSeed, length: args.sampleLength, temperature: args.temperature, generator: new RandomGenerator(e.step),
        });
        bar.log(`--- sample at step ${e.step} ---\n${info.defaultSeed}${text}\n---`);
      }
    },
  };
  mkdirSync(dirname(args.checkpoint), { recursive: true });
  const options = trainer.fitOptions(c.steps);
  try {
    // Checkpoints last: the progress line and the samples are shown before a save starts.
    await fit({
      ...options,
      ...(trainer.val ? { evaluate: ({ step }: { step: number }) => ({ val_loss: trainer.evaluate(step) }), evalEvery: args.evalEvery } : {}),
      callbacks: [...options.callbacks, bar, samples, checkpoints],
    });
  } catch (err) {
    if (!(err instanceof NonFiniteLossError)) throw err;
    // Nothing is written after a non-finite step: the file on disk is the last good one (or the old one).
    const kept = checkpoints.lastSaved !== null
      ? `the checkpoint '${args.checkpoint}' keeps step ${checkpoints.lastSaved}, the last good one`
      : existsSync(args.checkpoint) ? `the checkpoint '${args.checkpoint}' was left as it was` : 'no checkpoint was written';
    throw new Error(`training diverged: ${err.message}; ${kept}`, { cause: err });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (interrupted) bar.log(`interrupted at step ${trainer.step}; the checkpoint is saved`);
  else if (timedOut) bar.log(`--time-limit ${args.timeLimit} minutes reached at step ${trainer.step} of ${c.steps}; the checkpoint is saved`);
  if (trainer.val && trainer.history.val.at(-1)?.[0] !== trainer.step) trainer.evaluate();
  lastVal = trainer.history.val.at(-1)?.[1] ?? null;   // fit's final evaluation (after a stop) comes after the last step report
  if (trainer.step === startStep) await saveRun(args.checkpoint, trainer, info);   // nothing trained (already at --steps)

  const sample = sampleText(trainer.model, trainer.vocab, {
    seedText: info.defaultSeed, length: args.sampleLength, temperature: args.temperature, generator: new RandomGenerator(trainer.step),
  });
  const seconds = (Date.now() - started) / 1000;
  io.print('');
  if (timedOut) io.print(`stopped by --time-limit ${args.timeLimit} (minutes) at step ${trainer.step} of ${c.steps}`);
  io.print(`trained ${trainer.step - startStep} steps in ${formatDuration(seconds)} ` +
    `(${Math.round(((trainer.step - startStep) * trainer.charsPerStep) / Math.max(seconds, 1e-9)).toLocaleString('en-US')} chars/s)`);
  if (smooth !== null) io.print(`train loss ${smooth.toFixed(3)} nats/char (${(smooth / LN2).toFixed(3)} bits/char, smoothed)`);
  if (lastVal !== null) io.print(`validation loss ${lastVal.toFixed(3)} nats/char (${(lastVal / LN2).toFixed(3)} bits/char) at step ${trainer.step}`);
  io.print(`--- sample (temperature ${args.temperature}) ---`);
  io.print(`${info.defaultSeed}${sample}`);
  io.print('---');
  io.print(`checkpoint: ${args.checkpoint}`);
  io.print(`loss curve: ${lossCurve}`);
  const ckptArg = resolve(args.checkpoint) === resolve(defaultOutDir(), CHECKPOINT_NAME) ? '' : ` --checkpoint ${relativeOrAbsolute(args.checkpoint)}`;
  if (interrupted || trainer.step < c.steps) io.print(`resume with: ${programName()} train --resume${ckptArg}`);
  io.print(`sample more: ${programName()} sample${ckptArg} --temperature 0.8 --length 500`);
  return {
    steps: trainer.step, trainLoss: smooth, valLoss: lastVal, sample, checkpoint: args.checkpoint, lossCurve, interrupted, timedOut, seconds,
  };
}

/**
 * Checks, and creates, where `train` will write: --out must be a folder (made if missing), --checkpoint
 * a file (not a folder) in a folder that can be written, the loss curve's path not a folder. Each
 * problem is one line naming the flag, the path and the reason.
 */
export function prepareOutputPaths(args: Pick<TrainArgs, 'out' | 'checkpoint'>): void {
  const makeFolder = (flag: string, dir: string, role: string) => {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${flag}: '${dir}' is a file, but ${role} must be a folder`);
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a parent of it is a file' : (err as Error).message;
      throw new Error(`${flag}: cannot create or write the folder '${dir}' (${why})`);
    }
  };
  makeFolder('--out', args.out, '--out (the folder for the checkpoint and the loss curve)');
  if (existsSync(args.checkpoint) && statSync(args.checkpoint).isDirectory()) {
    throw new Error(`--checkpoint: '${args.checkpoint}' is a folder; give a file path (e.g. ${join(args.checkpoint, CHECKPOINT_NAME)})`);
  }
  makeFolder('--checkpoint', dirname(args.checkpoint), 'the folder holding the checkpoint');
  const curve = join(args.out, 'loss-curve.svg');
  if (existsSync(curve) && statSync(curve).isDirectory()) throw new Error(`--out: '${curve}' (where the loss curve goes) is a folder`);
}

/**
 * The config of a resumed run: the checkpoint's, with --steps from the command line if given. Any
 * other config flag given must agree with the checkpoint (a resume continues the same computation).
 */
function resumedConfig(saved: SavedRun, args: TrainArgs): TrainConfig {
  for (const key of args.givenConfig) {
    if (key !== 'steps' && args.config[key] !== saved.config[key]) {
      throw new Error(`--resume: ${flagName(key)} ${JSON.stringify(args.config[key])} contradicts the checkpoint, which was trained with ` +
        `${JSON.stringify(saved.config[key])}; drop the flag to continue that run, or start a new one with another --checkpoint`);
    }
  }
  return { ...saved.config, steps: args.givenConfig.has('steps') ? args.config.steps : saved.config.steps };
}

/** The first line of the text with its newline (at most 100 characters): the default seed for samples. */
export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  const line = end >= 0 ? text.slice(0, end + 1) : text;
  return [...line].slice(0, 100).join('');
}

/** Exponential moving average (weight 0.05, started at the first loss) of the losses so far, or null. */
function smoothed(losses: readonly number[]): number | null {
  let s: number | null = null;
  for (const l of losses) s = s === null ? l : 0.95 * s + 0.05 * l;
  return s;
}

/** The loss curve: training loss (smoothed) per step and validation loss at each evaluation, nats/char; `label` names the text. */
export function lossChart(history: History, label: string): string {
  const train: [number, number][] = [];
  let s: number | null = null;
  history.train.forEach((l, i) => {
    s = s === null ? l : 0.95 * s + 0.05 * l;
    train.push([i + 1, s]);
  });
  return lineChart([
    { name: 'train (smoothed)', values: train },
    { name: 'validation', values: history.val, dashed: true },
  ], { title: `char-rnn on ${label}`, xLabel: 'step', yLabel: 'loss (nats/char)' });
}

function relativeOrAbsolute(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
