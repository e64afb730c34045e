// The sampling decoder: seeded reproducibility, top-k 1 and temperature → 0 are greedy, top-p keeps
// the smallest nucleus, draws follow the distribution, logProb is the model's, bad options refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, logSoftmax, manualSeed, noGrad } from '@unroll/autograd';
import { samplingDistribution } from '../../src/index.js';
import type { Seq2Seq } from '../../src/index.js';
import { SEED } from '../helpers.js';
import { BOS, EOS, KINDS, randomIds, tinyModel } from './helpers.js';

const seeds = fc.integer({ min: 0, max: 1_000_000 });
const lengthsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const all = { temperature: 1, topK: Infinity, topP: 1 };

/** The first decoding step's logits for source row 0 (what the first sampled token is drawn from). */
function firstLogits(model: Seq2Seq<any, any>, src: Tensor): Float64Array {
  return noGrad(() => {
    const enc = model.encode(src);
    const r = model.decoder.step(enc.state, new Array<number>(src.shape[0]!).fill(BOS), enc.memory);
    return Float64Array.from(r.logits.values().subarray(0, model.decoder.vocabSize));
  });
}

describe.each(KINDS)('sampling (%s)', (kind) => {
  it('is reproducible from its generator\'s seed, and different seeds give different samples', () => {
    const model = tinyModel({ kind, seed: 3, hidden: 4, tgtVocab: 9 });
    const src = randomIds(new RandomGenerator(3), [3, 2, 4], 7);
    const run = (seed: number) => model.sample(src, { generator: new RandomGenerator(seed), maxLength: 6, temperature: 2 });
    expect(run(42)).toEqual(run(42));
    const distinct = new Set([1, 2, 3, 4, 5, 6].map((s) => JSON.stringify(run(s).map((r) => r.tokens))));
    expect(distinct.size).toBeGreaterThan(1);
    // The default generator follows manualSeed.
    manualSeed(7);
    const a = model.sample(src, { maxLength: 6 });
    manualSeed(7);
    expect(model.sample(src, { maxLength: 6 })).toEqual(a);
  });

  it('topK 1 is greedy decoding, at any temperature', () => {
    fc.assert(fc.property(seeds, lengthsArb, fc.double({ min: 0.1, max: 10, noNaN: true }), (seed, lengths, temperature) => {
      const model = tinyModel({ kind, seed, hidden: 4 });
      const src = randomIds(new RandomGenerator(seed), lengths, 7);
      const greedy = model.greedy(src, { maxLength: 6 });
      expect(model.sample(src, { topK: 1, temperature, maxLength: 6, generator: new RandomGenerator(seed) })).toEqual(greedy);
    }), { seed: SEED, numRuns: 6 });
  });

  it('a temperature near 0 behaves like greedy decoding', () => {
    fc.assert(fc.property(seeds, lengthsArb, (seed, lengths) => {
      const model = tinyModel({ kind, seed, hidden: 4 });
      const src = randomIds(new RandomGenerator(seed), lengths, 7);
      expect(model.sample(src, { temperature: 1e-9, maxLength: 6, generator: new RandomGenerator(seed) })).toEqual(model.greedy(src, { maxLength: 6 }));
    }), { seed: SEED, numRuns: 6 });
  });

  it('logProb is the log-probability the model gives the sampled tokens', () => {
    const model = tinyModel({ kind, seed: 9, hidden: 4 });
    const src = randomIds(new RandomGenerator(9), [3], 7);
    for (let s = 0; s < 5; s++) {
      const [r] = model.sample(src, { generator: new RandomGenerator(s), temperature: 1.5, topP: 0.9, maxLength: 5 });
      const seq = r!.finished ? [...r!.tokens, EOS] : r!.tokens;
      const targets = new Tensor(K.fromData(Int32Array.from(seq), [1, seq.length]));
      const lp = noGrad(() => logSoftmax(model.forward(src, targets).logits, -1).values());
      const V = model.decoder.vocabSize;
      expect(Math.abs(r!.logProb - seq.reduce((acc, id, t) => acc + lp[t * V + id]!, 0))).toBeLessThan(1e-9);
    }
  });
});

describe('samplingDistribution', () => {
  const logitsArb = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 12 });

  it('top-p keeps the smallest set of most likely tokens whose mass is ≥ p', () => {
    fc.assert(fc.property(logitsArb, fc.double({ min: 0.01, max: 1, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }), (logits, topP, temperature) => {
      const V = logits.length;
      const full = samplingDistribution(logits, 0, V, { ...all, temperature });
      const d = samplingDistribution(logits, 0, V, { ...all, temperature, topP });
      const p = new Map(full.ids.map((id, i) => [id, full.probs[i]!]));
      const mass = d.ids.reduce((s, id) => s + p.get(id)!, 0);
      expect(mass).toBeGreaterThanOrEqual(topP - 1e-12);
      // Without its least likely member the set falls short of p: it is the smallest.
      expect(mass - p.get(d.ids.at(-1)!)!).toBeLessThan(topP + 1e-12);
      // Most likely first: every kept token is at least as likely as every dropped one.
      const dropped = full.ids.filter((id) => !d.ids.includes(id));
      for (const id of dropped) expect(logits[id]!).toBeLessThanOrEqual(Math.min(...d.ids.map((k) => logits[k]!)));
      expect(Math.abs(d.probs.reduce((s, q) => s + q, 0) - 1)).toBeLessThan(1e-12);
      d.ids.forEach((id, i) => expect(d.probs[i]! / p.get(id)!).toBeCloseTo(1 / mass, 9));
    }), { seed: SEED, numRuns: 200 });
  });

  it('top-k keeps the k most likely (ties to the lower id) and temperature scales the logits', () => {
    const d = samplingDistribution([1, 3, 3, 0, 2], 0, 5, { ...all, topK: 3 });
    expect(d.ids).toEqual([1, 2, 4]);
    const e = Math.exp(-1);
    [1 / (2 + e), 1 / (2 + e), e / (2 + e)].forEach((q, i) => expect(d.probs[i]).toBeCloseTo(q, 15));
    const hot = samplingDistribution([0, Math.log(4)], 0, 2, { ...all, temperature: 2 });
    expect(hot.probs).toEqual([2 / 3, 1 / 3]);
    // top-k first, then top-p on the renormalised top-k distribution.
    expect(samplingDistribution([0, 0, 0, 0], 0, 4, { ...all, topK: 2, topP: 0.5 }).ids).toEqual([0]);
    expect(samplingDistribution([0, 0, 0, 0], 0, 4, { ...all, topK: 2, topP: 0.51 }).ids).toEqual([0, 1]);
    expect(() => samplingDistribution([0, NaN], 0, 2, all)).toThrow(/samplingDistribution: logits must be finite/);
  });

  it('sampled tokens follow the distribution and never leave the nucleus', () => {
    const model = tinyModel({ kind: 'additive', seed: 21, hidden: 4, tgtVocab: 8 });
    const src = randomIds(new RandomGenerator(21), [3], 7);
    const d = samplingDistribution(firstLogits(model, src), 0, 8, { temperature: 3, topK: Infinity, topP: 0.8 });
    expect(d.ids.length).toBeGreaterThan(2);
    // N copies of the source in one batch: one draw per row.
    const N = 3000;
    const batch = new Tensor(K.fromData(new Int32Array(N * 3).map((_, i) => src.values()[i % 3]!), [N, 3]));
    const counts = new Map<number, number>();
    for (const r of model.sample(batch, { temperature: 3, topP: 0.8, maxLength: 1, generator: new RandomGenerator(5) })) {
      const token = r.finished ? EOS : r.tokens[0]!;
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    for (const token of counts.keys()) expect(d.ids).toContain(token);
    // Each frequency within 4 standard errors of its probability.
    d.ids.forEach((id, i) => {
      const q = d.probs[i]!;
      expect(Math.abs((counts.get(id) ?? 0) / N - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / N) + 1e-3);
    });
  });
});

describe('sampling: bad options', () => {
  const model = tinyModel({ kind: 'dot', seed: 1 });
  const src = randomIds(new RandomGenerator(1), [2], 7);
  const cases: [object, RegExp][] = [
    [{ temperature: 0 }, /^sampleDecode: temperature must be a finite number > 0 \(greedy decoding is the limit at 0\); got 0$/],
    [{ temperature: -1 }, /temperature must be a finite number > 0 .*; got -1$/],
    [{ temperature: NaN }, /temperature must be a finite number > 0 .*; got NaN$/],
    [{ temperature: Infinity }, /temperature must be a finite number > 0 .*; got Infinity$/],
    [{ topK: 0 }, /^sampleDecode: topK must be a positive integer; got 0$/],
    [{ topK: 2.5 }, /topK must be a positive integer; got 2.5$/],
    [{ topP: 0 }, /^sampleDecode: topP must be a number in \(0, 1\]; got 0$/],
    [{ topP: 1.5 }, /topP must be a number in \(0, 1\]; got 1.5$/],
    [{ top_k: 5 }, /^sampleDecode: unknown option 'top_k'.*topK/],
    [{ beamWidth: 2 }, /unknown option 'beamWidth'/],
    [{ generator: 42 }, /^sampleDecode: generator must be a RandomGenerator; got 42$/],
    [{ maxLength: 0 }, /^sampleDecode: maxLength must be a positive integer; got 0$/],
  ];
  it.each(cases)('%j', (opts, message) => {
    expect(() => model.sample(src, opts as never)).toThrow(message);
  });
});
