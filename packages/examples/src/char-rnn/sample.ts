// Sampling text from a trained char-rnn: prime the state with a seed text, then draw one character
// at a time from the softmax of the logits (with temperature and top-k), feeding each one back.
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, noGrad } from '@unroll/autograd';
import type { CharRNN, CharRNNState } from './model.js';
import type { Vocab } from './vocab.js';

/** Options of `sampleText`. */
export interface SampleOptions {
  /** Text the model reads first (every character must be in the vocabulary); at least one character. */
  seedText: string;
  /** Characters to generate. */
  length: number;
  /** Divides the logits: < 1 sharper, > 1 flatter; 0 always takes the most likely character. Default 1. */
  temperature?: number;
  /** Draw only among the k most likely characters (0: all; 1: greedy). Default 0. */
  topK?: number;
  /** The random source of the draws (a fixed seed gives the same text). */
  generator: RandomGenerator;
  /** Called with the text as it is generated (pieces of up to 64 characters, in order), e.g. to stream it to stdout. */
  onText?: (piece: string) => void;
}

/** The most characters one sample may ask for (10 million: hours of generation on this machine). */
export const MAX_SAMPLE_LENGTH = 10_000_000;

/**
 * Generates `length` characters continuing `seedText` (the seed itself is not included). The model
 * runs in eval mode (no dropout) without recording gradients; its train/eval mode is restored after.
 */
export function sampleText(model: CharRNN, vocab: Vocab, opts: SampleOptions): string {
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 0;
  checkSampling(opts.length, temperature, topK, vocab.size);
  if (opts.seedText.length === 0) throw new RangeError('sample: the seed text is empty; give at least one character to start from');
  const seed = vocab.encode(opts.seedText, 'the seed text');
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const V = vocab.size;
      let { logits, state } = model.forward(new Tensor(K.fromData(seed, [seed.length, 1])));
      let last = logits.values().subarray((seed.length - 1) * V, seed.length * V);
      const out: number[] = [];
      const one = new Int32Array(1);
      let sent = 0;
      const flush = () => { if (opts.onText && sent < out.length) { opts.onText(vocab.decode(out.slice(sent))); sent = out.length; } };
      for (let n = 0; n < opts.length; n++) {
        const id = pickNext(last, temperature, topK, opts.generator);
        out.push(id);
        if (out.length - sent >= 64) flush();
        if (n === opts.length - 1) break;
        one[0] = id;
        ({ logits, state } = model.forward(new Tensor(K.fromData(one.slice(), [1, 1])), state as CharRNNState));
        last = logits.values();
      }
      flush();
      return vocab.decode(out);
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * One draw from logits [V]: the index of the largest logit when temperature is 0, else a draw
 * from softmax(logits / temperature) restricted to the `topK` largest (0: all). Ties keep the lower index.
 */
export function pickNext(logits: ArrayLike<number>, temperature: number, topK: number, generator: RandomGenerator): number {
  const V = logits.length;
  if (temperature === 0 || topK === 1) return argmax(logits);
  // Indices by descending logit (stable, so ties keep the lower index first), cut to the top k.
  let order = Array.from({ length: V }, (_, i) => i);
  if (topK > 0 && topK < V) order = order.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK);
  let max = -Infinity;
  for (const i of order) max = Math.max(max, logits[i]!);
  // NOTE: subtract the max before exp so large logits / small temperatures cannot overflow.
  const weights = order.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = generator.uniform() * total;
  for (let j = 0; j < order.length; j++) {
    u -= weights[j]!;
    if (u < 0) return order[j]!;
  }
  return order[order.length - 1]!; // u landed on the total through rounding
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Checks the sampling options, naming the CLI flag each one comes from. */
export function checkSampling(length: number, temperature: number, topK: number, vocabSize: number): void {
  if (!Number.isInteger(length) || length < 0 || length > MAX_SAMPLE_LENGTH) {
    throw new RangeError(`sample: --length must be an integer in [0, ${MAX_SAMPLE_LENGTH}]; got ${length}`);
  }
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`sample: --temperature must be a finite number ≥ 0; got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`sample: --top-k must be an integer ≥ 0 (0: no limit); got ${topK}`);
  if (topK > vocabSize) throw new RangeError(`sample: --top-k ${topK} is larger than the ${vocabSize}-symbol vocabulary`);
}
