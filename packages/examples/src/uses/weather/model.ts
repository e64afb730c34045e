// The two directions between a weather vector and its sentence: a captioner (one-to-many: the
// vector sets the LSTM's initial state, which then writes the words) and a reader (many-to-one:
// an LSTM reads the words, its final state gives the vector back).
import { Embedding, RandomGenerator, Linear, Module, Tensor, noGrad, tensor } from '@unroll/autograd';
import { LSTM, LSTMCell, unroll } from '@unroll/rnn';
import type { LSTMState } from '@unroll/rnn';
import { argmax } from '../common/run.js';
import { BOS, EOS, FIELDS, WEATHER_VOCAB } from './data.js';

/**
 * The forget gates' starting bias in both directions. The last number of a sentence sits 22 steps
 * after the initial state (and, read back, the first number 22 steps before the end). With
 * PyTorch's default bias (f ≈ ½) or even 1 (f ≈ 0.73), 0.73²² ≈ 0.001 of the signal survives and the
 * last field stays at chance in a short run; with 3 (f ≈ 0.95), 0.95²² ≈ 0.3 does and it is learned.
 */
export const FORGET_BIAS = 3;

/** Sizes and random source of both weather models. */
export interface WeatherModelOptions {
  /** Hidden units (default 64) and word-embedding size (default 16). */
  hiddenSize?: number;
  embeddingSize?: number;
  generator?: RandomGenerator;
}

/** The model options with their defaults: H hidden units (64), E embedding size (16). */
const sizes = (opts: WeatherModelOptions) => ({ H: opts.hiddenSize ?? 64, E: opts.embeddingSize ?? 16, generator: opts.generator });

/**
 * One-to-many, as image captioning: the scaled vector v [B, 5] becomes the initial state through
 * one hidden layer (as a CNN's features would), f = tanh(W_f v + b_f), h₀ = tanh(W_h f + b_h),
 * c₀ = W_c f + b_c; the LSTM then writes the sentence one word at a
 * time, each step reading the previous word (teacher forcing in training, its own guess when writing).
 */
export class WeatherCaptioner extends Module {
  readonly hiddenSize: number;
  readonly features: Linear;
  readonly init: Linear;
  readonly embedding: Embedding;
  readonly cell: LSTMCell;
  readonly head: Linear;

  constructor(opts: WeatherModelOptions = {}) {
    super();
    const { H, E, generator } = sizes(opts);
    this.hiddenSize = H;
    this.features = this.registerModule('features', new Linear(FIELDS.length, H, { generator }));
    this.init = this.registerModule('init', new Linear(H, 2 * H, { generator }));
    this.embedding = this.registerModule('embedding', new Embedding(WEATHER_VOCAB.length, E, { generator }));
    this.cell = this.registerModule('cell', new LSTMCell({ inputSize: E, hiddenSize: H, forgetBias: FORGET_BIAS, generator }));
    this.head = this.registerModule('head', new Linear(H, WEATHER_VOCAB.length, { generator }));
  }

  /** The initial state from scaled vectors [B, 5]. */
  initialState(vectors: Tensor): LSTMState {
    const [h, c] = this.init.forward(this.features.forward(vectors).tanh()).split(this.hiddenSize, 1);
    return { h: h!.tanh(), c: c! };
  }

  /** Teacher forcing: logits [B, T, |V|] for the word after each of `previous` [B][T] (which starts with <bos>). */
  forward(vectors: Tensor, previous: readonly (readonly number[])[]): Tensor {
    const xs = this.embedding.forward(tensor(previous as number[][], { dtype: 'int32' }));
    const { outputs } = unroll(this.cell, xs, { batchFirst: true, initialState: this.initialState(vectors) });
    return this.head.forward(outputs);
  }

  /** Writes a sentence for each vector, feeding back its most likely word, until <eos> or `maxLength` words. */
  write(vectors: Tensor, maxLength = 30): number[][] {
    const B = vectors.shape[0]!;
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    noGrad(() => {
      let state = this.initialState(vectors);
      let words = new Array<number>(B).fill(BOS);
      for (let t = 0; t < maxLength && done.includes(false); t++) {
        const r = this.cell.step(state, this.embedding.forward(tensor(words, { dtype: 'int32' })));
        state = r.state;
        const logits = this.head.forward(r.output).values(), V = WEATHER_VOCAB.length;
        words = words.map((_, b) => argmax(logits, b * V, V));
        words.forEach((w, b) => {
          if (done[b]) return;
          out[b]!.push(w);
          if (w === EOS) done[b] = true;
        });
      }
    });
    return out;
  }
}

/** Many-to-one: an LSTM reads the sentence's ids [B][T]; its final hidden state → the scaled vector [B, 5]. */
export class WeatherReader extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(opts: WeatherModelOptions = {}) {
    super();
    const { H, E, generator } = sizes(opts);
    this.embedding = this.registerModule('embedding', new Embedding(WEATHER_VOCAB.length, E, { generator }));
    this.lstm = this.registerModule('lstm', new LSTM({ inputSize: E, hiddenSize: H, batchFirst: true, forgetBias: FORGET_BIAS, generator }));
    this.head = this.registerModule('head', new Linear(H, FIELDS.length, { generator }));
  }

  forward(ids: readonly (readonly number[])[]): Tensor {
    const xs = this.embedding.forward(tensor(ids as number[][], { dtype: 'int32' }));
    return this.head.forward(this.lstm.forward(xs).state.h.select(0, 0));
  }
}
