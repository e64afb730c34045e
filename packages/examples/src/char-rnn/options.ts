// The char-rnn command line: the flags of `train` and `sample` with their defaults, and the
// training configuration they make (what a checkpoint stores and a resume must match).
import { join } from 'node:path';
import { UsageError, checkFlagValue, flagName, parseFlags } from '../flags.js';
import type { FlagSpec, FlagTable, FlagValue } from '../flags.js';
import { examplesDir } from './corpus.js';
import { CELLS, INPUTS } from './model.js';
import type { ModelConfig } from './model.js';
import { MAX_SAMPLE_LENGTH } from './sample.js';
import { SCHEDULES } from './schedule.js';
import type { ScheduleConfig } from './schedule.js';

/** The optimizers `--optim` offers. */
export const OPTIMIZERS = ['adam', 'rmsprop'] as const;

/**
 * Everything that decides what training computes, step by step: the model (minus the vocabulary
 * size, which comes from the text), the batching, the optimizer and the schedule. Stored in every
 * checkpoint; `--resume` refuses flags that contradict it (except --steps, which may extend a run).
 */
export interface TrainConfig extends Omit<ModelConfig, 'vocabSize'>, ScheduleConfig {
  /** TBPTT chunk length T: steps back-propagated through before the graph is cut. */
  seqLen: number;
  /** B: parallel streams through the text. */
  batch: number;
  lr: number;
  optim: (typeof OPTIMIZERS)[number];
  /** Max global gradient norm (0: no clipping). */
  clip: number;
  /** The last part of the text (of each of `valPieces` pieces) held out for validation (0: none). */
  valFraction: number;
  /** Equal pieces of the text whose last `valFraction` each is held out (1: the tail of the text). */
  valPieces: number;
  /** Seeds the initial weights and the dropout masks. */
  seed: number;
}

const int = (help: string, dflt: number | null, min?: number, extra: Partial<FlagSpec> = {}): FlagSpec =>
  ({ kind: 'int', help, default: dflt, min, ...extra });
const float = (help: string, dflt: number | null, extra: Partial<FlagSpec> = {}): FlagSpec => ({ kind: 'float', help, default: dflt, ...extra });
const choice = (help: string, choices: readonly string[], dflt: string): FlagSpec => ({ kind: 'choice', help, default: dflt, choices });
const bool = (help: string): FlagSpec => ({ kind: 'bool', help, default: false });
const text = (help: string, metavar: string, dflt: string | null = null): FlagSpec => ({ kind: 'string', help, default: dflt, metavar });

/** --embed when not given with --input embedding. */
export const DEFAULT_EMBED = 32;

/** The flags that make up a TrainConfig, with the defaults of a run with no flags (about two minutes on 2 cores). */
export const CONFIG_FLAGS = {
  cell: choice('recurrent cell', CELLS, 'lstm'),
  layers: int('stacked recurrent layers', 1, 1),
  hidden: int('hidden units per layer', 128, 1),
  input: choice('how characters enter the network: a learned embedding, or one-hot vectors of the vocabulary\'s size (no embedding: PyTorch\'s char-rnn recipe)', INPUTS, 'embedding'),
  embed: int(`size of the character embedding (--input embedding only) [default: ${DEFAULT_EMBED}]`, null, 1),
  dropout: float('dropout between layers and before the output layer', 0, { min: 0, max: 1, exclusiveMax: true }),
  peephole: bool('LSTM: peephole connections from the cell state to the gates'),
  coupledGates: bool('LSTM: couple the input and forget gates (f = 1 − i, CIFG)'),
  forgetBias: float('LSTM: initial forget-gate bias (default: PyTorch init)', null),
  nonlinearity: choice('RNN: the nonlinearity', ['tanh', 'relu'], 'tanh'),
  seqLen: int('characters per truncated-BPTT chunk', 32, 1),
  batch: int('parallel streams through the text', 16, 1),
  steps: int('training steps (one chunk of every stream each)', 1200, 1),
  lr: float('peak learning rate', 2e-2, { min: 0, exclusiveMin: true }),
  optim: choice('optimizer', OPTIMIZERS, 'adam'),
  clip: float('clip the global gradient norm to this (0: off)', 5, { min: 0 }),
  schedule: choice('learning-rate schedule after warm-up', SCHEDULES, 'cosine'),
  warmup: int('steps of linear learning-rate warm-up', 20, 0),
  minLrFactor: float('cosine: final learning rate as a fraction of --lr', 0.1, { min: 0, max: 1 }),
  stepSize: int('step: steps between learning-rate decays', 1000, 1),
  gamma: float('step: factor of each decay', 0.5, { min: 0, exclusiveMin: true }),
  valFraction: float('last fraction of the text (of each --val-pieces piece) held out for validation (0: none)', 0.05, { min: 0, max: 1, exclusiveMax: true }),
  valPieces: int('cut the text into N equal pieces and hold out the end of each (1: the tail of the text; char-rnn\'s own split is N = its batch size, validation spread through the text)', 1, 1),
  seed: int('random seed of the weights and dropout', 1),
} as const satisfies FlagTable;

/** Flags of `train` that shape only this run (where files go, how often to report), not the numbers. */
export const RUN_FLAGS = {
  text: text('text file to learn (default: the project\'s own TypeScript sources)', 'FILE'),
  out: text('folder for the checkpoint and the loss curve (default: packages/examples/out/char-rnn)', 'DIR'),
  checkpoint: text('checkpoint file (default: <out>/char-rnn.safetensors)', 'PATH'),
  resume: bool('continue the run saved in --checkpoint exactly where it stopped'),
  evalEvery: int('steps between validation passes', 200, 1),
  sampleEvery: int('steps between printed samples (0: only at the end)', 400, 0),
  sampleLength: int('characters per printed sample', 300, 0, { max: MAX_SAMPLE_LENGTH }),
  temperature: float('temperature of the printed samples', 0.8, { min: 0 }),
  checkpointEvery: int('steps between checkpoints (0: only at the end)', 200, 0),
  timeLimit: float('stop training after this many minutes of wall time, with a validation, a checkpoint and a sample, as if --steps ended there (resume continues it)', null, { min: 0, exclusiveMin: true, metavar: 'MINUTES' }),
} as const satisfies FlagTable;

/** Every flag of `train`. */
export const TRAIN_FLAGS: FlagTable = { ...RUN_FLAGS, ...CONFIG_FLAGS };

/** The flags of `sample`. */
export const SAMPLE_FLAGS = {
  checkpoint: text('checkpoint to sample from (default: packages/examples/out/char-rnn/char-rnn.safetensors)', 'PATH'),
  seedText: text('text to start from (default: the first line of the training text)', 'TEXT'),
  length: int(`characters to generate (at most ${MAX_SAMPLE_LENGTH.toLocaleString('en-US')}; printed as they come)`, 500, 0, { max: MAX_SAMPLE_LENGTH }),
  temperature: float('temperature: < 1 safer, > 1 wilder, 0 always the likeliest character', 0.8, { min: 0 }),
  topK: int('draw only among the k likeliest characters (0: all)', 0, 0),
  seed: int('random seed of the draws', 1),
} as const satisfies FlagTable;

/** The options of one `train` run (see RUN_FLAGS; the numbers are in `config`). */
export interface TrainArgs {
  config: TrainConfig;
  /** Config keys given explicitly on the command line (a resume checks these against the checkpoint). */
  givenConfig: Set<keyof TrainConfig>;
  text: string | null;
  out: string;
  checkpoint: string;
  resume: boolean;
  evalEvery: number;
  sampleEvery: number;
  sampleLength: number;
  temperature: number;
  checkpointEvery: number;
  /** Wall-clock budget of the training loop in minutes (null: none). */
  timeLimit: number | null;
}

/** The options of one `sample` run (see SAMPLE_FLAGS). */
export interface SampleArgs {
  checkpoint: string;
  seedText: string | null;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
}

/** A parsed command line: what to run, with its options. */
export type Command = { command: 'train'; args: TrainArgs } | { command: 'sample'; args: SampleArgs } | { command: 'help'; topic: 'train' | 'sample' | null };

/** The default output folder (git-ignored): packages/examples/out/char-rnn. */
export const defaultOutDir = (): string => join(examplesDir(), 'out', 'char-rnn');
/** The checkpoint's file name inside the output folder. */
export const CHECKPOINT_NAME = 'char-rnn.safetensors';

/** How the user started this program, for hints like `resume with: …` (the bin sets UNROLL_CHAR_RNN_PROG). */
export const programName = (): string => process.env.UNROLL_CHAR_RNN_PROG || 'pnpm start';

/**
 * Parses a whole command line (without `node cli.ts`): `[train|sample|help] [flags]`, `train` when
 * the first word is a flag or absent. `--help` anywhere asks for help.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  if (argv[0] === '--help' || argv[0] === '-h') return { command: 'help', topic: null };
  let command = 'train';
  let rest = argv;
  if (argv.length > 0 && !argv[0]!.startsWith('-')) {
    command = argv[0]!;
    rest = argv.slice(1);
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && topic !== 'train' && topic !== 'sample') throw new UsageError(`help: no such command '${topic}' (commands: train, sample)`);
    return { command: 'help', topic: topic ?? null };
  }
  if (command !== 'train' && command !== 'sample') throw new UsageError(`unknown command '${command}' (commands: train, sample, help)`);
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help', topic: command };
  const otherTable = command === 'train' ? SAMPLE_FLAGS : TRAIN_FLAGS;
  const mine = command === 'train' ? TRAIN_FLAGS : SAMPLE_FLAGS;
  const others: Record<string, string> = {};
  for (const key of Object.keys(otherTable)) if (!Object.hasOwn(mine, key)) others[flagName(key)] = command === 'train' ? 'sample' : 'train';
  const { values, given } = parseFlags(rest, mine, command, others);
  if (command === 'sample') {
    const v = values as Record<keyof typeof SAMPLE_FLAGS, FlagValue>;
    return {
      command: 'sample',
      args: {
        checkpoint: (v.checkpoint as string | null) ?? join(defaultOutDir(), CHECKPOINT_NAME),
        seedText: v.seedText as string | null,
        length: v.length as number,
        temperature: v.temperature as number,
        topK: v.topK as number,
        seed: v.seed as number,
      },
    };
  }
  const config = Object.fromEntries(Object.keys(CONFIG_FLAGS).map((k) => [k, values[k]])) as unknown as TrainConfig;
  if (given.has('nonlinearity') && config.cell !== 'rnn') throw new UsageError(`--nonlinearity applies to --cell rnn only (the cell is ${config.cell})`);
  if (given.has('embed') && config.input === 'one-hot') {
    throw new UsageError('--embed applies to --input embedding only: one-hot inputs have the size of the vocabulary; drop --embed or use --input embedding');
  }
  if (config.input === 'embedding') config.embed ??= DEFAULT_EMBED;
  try {
    checkConfig(config, 'train');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const out = (values.out as string | null) ?? defaultOutDir();
  return {
    command: 'train',
    args: {
      config,
      givenConfig: new Set([...given].filter((k) => Object.hasOwn(CONFIG_FLAGS, k)) as (keyof TrainConfig)[]),
      text: values.text as string | null,
      out,
      checkpoint: (values.checkpoint as string | null) ?? join(out, CHECKPOINT_NAME),
      resume: values.resume as boolean,
      evalEvery: values.evalEvery as number,
      sampleEvery: values.sampleEvery as number,
      sampleLength: values.sampleLength as number,
      temperature: values.temperature as number,
      checkpointEvery: values.checkpointEvery as number,
      timeLimit: values.timeLimit as number | null,
    },
  };
}

/** Which text validates the run, in words: `the last 0.05 of the text`. */
export function describeValidation(c: Pick<TrainConfig, 'valFraction' | 'valPieces'>): string {
  return c.valPieces === 1 ? `the last ${c.valFraction} of the text` : `the last ${c.valFraction} of each of ${c.valPieces} equal pieces of the text`;
}

/** A TrainConfig with every default (what `train` with no flags uses), with `overrides` applied. */
export function defaultConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const base = Object.fromEntries(Object.entries(CONFIG_FLAGS).map(([k, spec]) => [k, spec.kind === 'bool' ? false : spec.default]));
  const config = { ...base, ...overrides } as Record<string, unknown>;
  if (config.input === 'embedding' && !Object.hasOwn(overrides, 'embed')) config.embed = DEFAULT_EMBED;
  return checkConfig(config, 'defaultConfig');
}

/**
 * Checks a TrainConfig from outside the command line (a checkpoint, a test) by the same rules as
 * the flags; a missing, unknown or bad field is an error naming it and its flag.
 */
export function checkConfig(value: unknown, where: string): TrainConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: the training config must be an object; got ${JSON.stringify(value)}`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(CONFIG_FLAGS, key)) throw new Error(`${where}: the training config has an unknown field '${key}'`);
  }
  for (const [key, spec] of Object.entries(CONFIG_FLAGS) as [string, FlagSpec][]) {
    if (!Object.hasOwn(record, key)) throw new Error(`${where}: the training config has no '${key}' (${flagName(key)})`);
    const problem = checkFlagValue(spec, record[key]);
    if (problem) throw new Error(`${where}: config '${key}' (${flagName(key)}): ${problem}`);
  }
  const config = { ...(record as unknown as TrainConfig) };
  // An embedding needs its size; one-hot inputs have none (no option is accepted and then ignored).
  if (config.input === 'embedding' && config.embed === null) throw new Error(`${where}: --input embedding needs --embed (the embedding size); got none`);
  if (config.input === 'one-hot' && config.embed !== null) {
    throw new Error(`${where}: --embed applies to --input embedding only (one-hot inputs have the size of the vocabulary); got --embed ${config.embed} with --input one-hot`);
  }
  // The LSTM variants need an LSTM.
  if (config.cell !== 'lstm') {
    const lstmOnly = (['peephole', 'coupledGates', 'forgetBias'] as const).filter((k) => config[k] !== false && config[k] !== null);
    if (lstmOnly.length) throw new Error(`${where}: ${lstmOnly.map(flagName).join(', ')} ${lstmOnly.length > 1 ? 'apply' : 'applies'} to --cell lstm only (the cell is ${config.cell})`);
  }
  return config;
}
