// One char-rnn training run as an object: the model, optimizer, schedule, random source and data
// position, stepped one TBPTT chunk at a time, evaluated on held-out text, saved and restored exactly.
import { Adam, RandomGenerator, RMSprop, crossEntropy, noGrad } from '@unroll/autograd';
import type { LambdaLR, LRSchedulerState, OptimizerStateDictInput, Tensor } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import type { Callback, FitOptions } from '@unroll/train';
import { allChunks, chunkAt, fullChunks, makeStreams } from './batching.js';
import type { Chunk, Streams } from './batching.js';
import { fingerprint, splitText } from './corpus.js';
import { CharRNN } from './model.js';
import type { CharRNNState } from './model.js';
import { checkConfig, describeValidation } from './options.js';
import type { TrainConfig } from './options.js';
import { makeScheduler } from './schedule.js';
import { Vocab } from './vocab.js';

/** What one training step reports. */
export interface StepResult {
  /** Mean cross-entropy of the chunk, nats per character. */
  loss: number;
  /** The learning rate the step used. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Losses so far: train[k] is step k+1's loss; val holds [step, loss] pairs (nats per character). */
export interface History {
  train: number[];
  val: [number, number][];
}

/** Everything a trainer needs to continue exactly where another stopped (see `Trainer.snapshot`). */
export interface TrainerState {
  step: number;
  /** The random source of dropout (RandomGenerator.getState()). */
  rng: number[];
  optimizer: unknown;
  scheduler: LRSchedulerState;
  /** The recurrent state carried into the next chunk (null at the start of a pass through the text). */
  carry: Record<string, Tensor> | null;
  history: History;
}

/** ln 2: nats per bit (a loss in nats/char divided by it is in bits/char). */
export const LN2 = Math.log(2);

/**
 * A training run over `text`: the vocabulary comes from the whole text; the last `valFraction` (of each
 * of `valPieces` pieces) is held out; the rest is cut into `batch` consecutive streams read `seqLen` characters at a time.
 * After each pass through the streams the carried state starts again from zeros.
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly vocab: Vocab;
  readonly model: CharRNN;
  readonly optimizer: Adam | RMSprop;
  readonly scheduler: LambdaLR;
  readonly generator: RandomGenerator;
  readonly train: Streams;
  readonly val: Streams | null;
  /** Fingerprint of the text (checkpoints refuse to resume on another text). */
  readonly textFingerprint: string;
  /** Training steps done. */
  step = 0;
  history: History = { train: [], val: [] };
  private carry: CharRNNState | undefined;
  private lastStep: StepResult | undefined;

  constructor(text: string, config: TrainConfig) {
    this.config = checkConfig(config, 'Trainer');
    const { seqLen, batch } = this.config;
    this.vocab = Vocab.fromText(text);
    this.textFingerprint = fingerprint(text);
    const split = splitText(text, this.config.valFraction, this.config.valPieces);
    this.train = makeStreams(this.vocab.encode(split.train), batch, 'the training text');
    if (fullChunks(this.train, seqLen) < 1) {
      throw new RangeError(`the training text has ${split.train.length} characters: each of the ${batch} streams gets ${this.train.length}, ` +
        `too few for one chunk of --seq-len ${seqLen} plus its target; use a longer text, a smaller --batch or a smaller --seq-len`);
    }
    this.val = null;
    if (this.config.valFraction > 0) {
      const valIds = this.vocab.encode(split.val);
      if (valIds.length < 2) {
        throw new RangeError(`the validation text (${describeValidation(this.config)}) has ${valIds.length} characters; ` +
          'raise --val-fraction or set it to 0 to train without validation');
      }
      // As many streams as fit with at least one full chunk each, up to the training batch.
      const valBatch = Math.max(1, Math.min(batch, Math.floor(valIds.length / (seqLen + 1))));
      this.val = makeStreams(valIds, valBatch, 'the validation text');
    }
    this.generator = new RandomGenerator(this.config.seed);
    this.model = new CharRNN({ ...this.config, vocabSize: this.vocab.size }, this.generator);
    const params = this.model.parameters();
    this.optimizer = this.config.optim === 'adam' ? new Adam(params, { lr: this.config.lr }) : new RMSprop(params, { lr: this.config.lr });
    this.scheduler = makeScheduler(this.optimizer, this.config);
  }

  /** Chunks in one pass through the training streams. */
  get chunksPerEpoch(): number {
    return fullChunks(this.train, this.config.seqLen);
  }

  /** Characters each step trains on (seqLen · batch). */
  get charsPerStep(): number {
    return this.config.seqLen * this.config.batch;
  }

  /**
   * This run as options for `fit` (from @unroll/train), from the current step to step `steps`: the
   * model, optimizer, schedule and clipping, the chunks of every stream in order, the loss, and the
   * state carried from one chunk to the next (detached by `fit`: truncated BPTT). A new pass through
   * the text starts from zeros, since stream b's start does not follow its end. Its callback keeps
   * the trainer's step, carried state and loss history in step with `fit`; add yours after it.
   */
  fitOptions(steps: number): FitOptions<Chunk & { reset: boolean }, CharRNNState> & { callbacks: Callback<CharRNNState>[] } {
    const { seqLen, clip } = this.config;
    const trainer = this;
    function* chunks(): IterableIterator<Chunk & { reset: boolean }> {
      for (;;) {
        // Read at each pull: fit pulls the next chunk only after the previous step's callbacks ran.
        const index = trainer.step % trainer.chunksPerEpoch;
        yield { ...chunkAt(trainer.train, index * seqLen, seqLen), reset: index === 0 };
      }
    }
    return {
      model: this.model,
      optimizer: this.optimizer,
      scheduler: this.scheduler,
      ...(clip > 0 ? { clipGradNorm: clip } : {}),
      data: chunks(),
      loss: (chunk, { state }) => {
        const out = this.model.forward(chunk.inputs, chunk.reset ? undefined : state);
        return { loss: crossEntropy(out.logits, chunk.targets), state: out.state };
      },
      initialStep: this.step,
      initialState: this.carry,
      steps,
      callbacks: [{
        onStepEnd: (e) => {
          this.step = e.step;
          this.carry = e.state;
          this.history.train.push(e.loss);
          this.lastStep = { loss: e.loss, lr: e.lr, gradNorm: e.gradNorm };
        },
      }],
    };
  }

  /** One truncated-BPTT step (`fit` for one chunk): the next chunk of every stream from the carried state. */
  trainStep(): StepResult {
    fitSync(this.fitOptions(this.step + 1));
    return this.lastStep!;
  }

  /**
   * Mean cross-entropy on the held-out text, nats per character (divide by ln 2 for bits), read
   * through the validation streams with the state carried across chunks; no dropout, no gradients,
   * and the training random source is left untouched. Recorded in `history.val` at `atStep` (default:
   * the current step; `fit` evaluates before its step callbacks run, so it passes the step).
   */
  evaluate(atStep = this.step): number {
    if (!this.val) throw new Error('evaluate: this run has no validation text (--val-fraction 0)');
    const wasTraining = this.model.training;
    this.model.eval();
    let total = 0, count = 0;
    try {
      noGrad(() => {
        let state: CharRNNState | undefined;
        for (const { inputs, targets } of allChunks(this.val!, this.config.seqLen)) {
          const r = this.model.forward(inputs, state);
          total += crossEntropy(r.logits, targets, { reduction: 'sum' }).item();
          count += targets.size;
          state = r.state;
        }
      });
    } finally {
      this.model.train(wasTraining);
    }
    const loss = total / count;
    this.history.val.push([atStep, loss]);
    return loss;
  }

  /** Everything that changes while training, for a checkpoint (tensors are copies or detached). */
  snapshot(): TrainerState {
    return {
      step: this.step,
      rng: this.generator.getState(),
      optimizer: this.optimizer.stateDict(),
      scheduler: this.scheduler.stateDict(),
      carry: this.carry ? { ...(this.carry as unknown as Record<string, Tensor>) } : null,
      history: { train: [...this.history.train], val: this.history.val.map(([s, l]) => [s, l]) },
    };
  }

  /**
   * Continues from a snapshot of a trainer built with the same text and config (the model weights
   * are loaded separately, with `model.loadStateDict`). Refuses a snapshot that does not fit.
   */
  restore(state: TrainerState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`restore: step must be an integer ≥ 0; got ${String(state.step)}`);
    if (!Array.isArray(state.rng) || state.rng.length !== 5 || state.rng.some((v) => typeof v !== 'number')) {
      throw new Error(`restore: rng must be 5 numbers (a RandomGenerator state); got ${JSON.stringify(state.rng)}`);
    }
    this.optimizer.loadStateDict(state.optimizer as OptimizerStateDictInput);
    this.scheduler.loadStateDict(state.scheduler);
    this.generator.setState(state.rng);
    this.step = state.step;
    this.carry = state.carry ? (state.carry as unknown as CharRNNState) : undefined;
    this.history = { train: [...state.history.train], val: state.history.val.map(([s, l]) => [s, l]) };
  }
}
