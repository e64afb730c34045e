// Sampling decoder: each step draws the next token from the model's distribution, reshaped by
// temperature, top-k and top-p (nucleus) filtering, from a seeded RandomGenerator.
import * as K from '@unroll/core';
import type { RandomGenerator, Tensor } from '@unroll/autograd';
import { decodeRowByRow } from './greedy.js';
import type { DecodeOptions, GreedyResult } from './greedy.js';
import type { Seq2Seq } from './seq2seq.js';

/** How logits become the distribution a token is drawn from (applied in this order, as Hugging Face's). */
export interface SamplingOptions {
  /** Logits are divided by it: < 1 sharpens towards greedy, > 1 flattens (a number > 0; default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (an integer ≥ 1; default: all). topK 1 is greedy decoding. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability sums to at least p (in (0, 1]; default 1: all). */
  topP?: number;
}

export interface SampleOptions extends DecodeOptions, SamplingOptions {
  /** The random source (default: the default generator, seeded by manualSeed). Same seed, same samples. */
  generator?: RandomGenerator;
}

/** The distribution one step samples from: token ids, most likely first, and their probabilities (sum 1). */
export interface SamplingDistribution {
  ids: number[];
  probs: number[];
}

const OPTIONS = ['srcLengths', 'maxLength', 'temperature', 'topK', 'topP', 'generator'];

/** Checks sampling options (`who` names the caller in errors) and fills the defaults. */
export function checkSamplingOptions(who: string, opts: SamplingOptions): Required<SamplingOptions> {
  const temperature = opts.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${who}: temperature must be a finite number > 0 (greedy decoding is the limit at 0); got ${String(temperature)}`);
  }
  const topK = opts.topK ?? Infinity;
  if (topK !== Infinity && (!Number.isInteger(topK) || topK < 1)) {
    throw new RangeError(`${who}: topK must be a positive integer; got ${String(opts.topK)}`);
  }
  const topP = opts.topP ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new RangeError(`${who}: topP must be a number in (0, 1]; got ${String(opts.topP)}`);
  }
  return { temperature, topK, topP };
}

/**
 * The distribution a sampling step draws from, for the logits of one row, values[offset, offset + V):
 * softmax(logits / temperature) over the topK most likely tokens, cut to the smallest prefix (most
 * likely first; ties to the lower id) whose mass is ≥ topP, renormalised. Options as checked by
 * `checkSamplingOptions`.
 */
export function samplingDistribution(values: ArrayLike<number>, offset: number, V: number, opts: Required<SamplingOptions>): SamplingDistribution {
  const order = Array.from({ length: V }, (_, v) => v);
  order.sort((a, b) => values[offset + b]! - values[offset + a]! || a - b);
  const kept = order.slice(0, Math.min(opts.topK, V));
  // NOTE: exp of (logit − max) / T: the largest term is 1, so a tiny temperature underflows the rest to 0, never to NaN.
  const top = values[offset + kept[0]!]!;
  const weights = kept.map((v) => Math.exp((values[offset + v]! - top) / opts.temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  if (!Number.isFinite(total)) throw new RangeError(`samplingDistribution: logits must be finite; got ${top} among them (a diverged model?)`);
  let n = kept.length;
  if (opts.topP < 1) {
    let mass = 0;
    for (n = 0; n < kept.length && mass < opts.topP * total;) mass += weights[n++]!;
  }
  const nucleus = weights.slice(0, n);
  const z = nucleus.reduce((s, w) => s + w, 0);
  return { ids: kept.slice(0, n), probs: nucleus.map((w) => w / z) };
}

/** Draws one id from `d` with one uniform number from `generator` (inverse CDF). */
export function drawFrom(d: SamplingDistribution, generator: RandomGenerator): number {
  const u = generator.uniform();
  let cum = 0;
  for (let i = 0; i < d.ids.length; i++) {
    cum += d.probs[i]!;
    if (u < cum) return d.ids[i]!;
  }
  return d.ids[d.ids.length - 1]!; // u within rounding of 1
}

/**
 * Sampling (ancestral) decoding of src int32 [B, S]: each step, each open row draws
 * y_t ~ samplingDistribution(logits_t) — temperature, then top-k, then top-p — starting from bosId
 * and stopping at eosId or after maxLength tokens. One uniform draw per open row per step, rows in
 * order, from `generator`: the same seed gives the same samples. `logProb` is the tokens'
 * log-probability under the model itself (before temperature and filtering). topK 1, or a
 * temperature near 0, is greedy decoding. Runs without recording gradients.
 */
export function sampleDecode<SE, SD>(model: Seq2Seq<SE, SD>, src: Tensor, opts: SampleOptions = {}): GreedyResult[] {
  const who = 'sampleDecode';
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options must be an object; got ${String(opts)}`);
  for (const k of Object.keys(opts)) if (!OPTIONS.includes(k)) throw new TypeError(`${who}: unknown option '${k}' (known: ${OPTIONS.join(', ')})`);
  const sampling = checkSamplingOptions(who, opts);
  const generator = opts.generator ?? K.defaultGenerator;
  if (typeof generator?.uniform !== 'function') throw new TypeError(`${who}: generator must be a RandomGenerator; got ${String(generator)}`);
  return decodeRowByRow(who, model, src, opts, (logits, V, b) => drawFrom(samplingDistribution(logits, b * V, V, sampling), generator));
}
