// Greedy and beam decoding: width 1 is greedy, hypotheses come in score order with the scores
// their tokens really have under the model, the end token stops a hypothesis, length penalties.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, logSoftmax, noGrad } from '@unroll/autograd';
import type { Hypothesis, Seq2Seq } from '../../src/index.js';
import { SEED } from '../helpers.js';
import { EOS, KINDS, PAD, maxAbsDiff, randomIds, tinyModel } from './helpers.js';

/** log P(tokens, EOS | src) and the attention rows by teacher forcing one source row. */
function scoreByTeacherForcing(model: Seq2Seq<any, any>, src: Tensor, tokens: readonly number[], ended: boolean) {
  return noGrad(() => {
    const seq = ended ? [...tokens, EOS] : [...tokens];
    const targets = new Tensor(K.fromData(Int32Array.from(seq), [1, seq.length]));
    const out = model.forward(src, targets);
    const lp = logSoftmax(out.logits, -1).values();
    const V = out.logits.shape[2]!;
    const logProb = seq.reduce((s, id, t) => s + lp[t * V + id]!, 0);
    return { logProb, attention: out.attention ? (out.attention.toArray() as number[][][])[0]! : null };
  });
}

const seeds = fc.integer({ min: 0, max: 1_000_000 });
const lengthsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

describe.each(KINDS)('decoding (%s)', (kind) => {
  it('beam search with width 1 equals greedy decoding', () => {
    fc.assert(fc.property(seeds, lengthsArb, fc.constantFrom(3, 8), (seed, lengths, maxLength) => {
      const model = tinyModel({ kind, seed, hidden: 4 });
      const src = randomIds(new RandomGenerator(seed), lengths, 7);
      const greedy = model.greedy(src, { maxLength });
      const beam = model.beamSearch(src, { beamWidth: 1, maxLength });
      greedy.forEach((gr, b) => {
        expect(beam[b]).toHaveLength(1);
        const h = beam[b]![0]!;
        expect(h.tokens).toEqual(gr.tokens);
        expect(h.finished).toBe(gr.finished);
        expect(Math.abs(h.logProb - gr.logProb)).toBeLessThan(1e-12);
        if (gr.attention) expect(maxAbsDiff(h.attention!.flat(), gr.attention.flat())).toBeLessThan(1e-12);
      });
    }), { seed: SEED, numRuns: 8 });
  });

  it('returns hypotheses in score order, each with the log-probability and attention its tokens have', () => {
    fc.assert(fc.property(seeds, lengthsArb, fc.integer({ min: 2, max: 5 }), (seed, lengths, width) => {
      const model = tinyModel({ kind, seed, hidden: 4 });
      const src = randomIds(new RandomGenerator(seed), lengths, 7);
      const all = model.beamSearch(src, { beamWidth: width, maxLength: 5 });
      all.forEach((hyps, b) => {
        expect(hyps.length).toBeGreaterThan(0);
        expect(hyps.length).toBeLessThanOrEqual(width);
        for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1]!.score).toBeGreaterThanOrEqual(hyps[i]!.score);
        const row = new Tensor(K.fromData(Int32Array.from(src.values().subarray(b * src.shape[1]!, b * src.shape[1]! + lengths[b]!)), [1, lengths[b]!]));
        for (const h of hyps) {
          // The end token never appears inside a hypothesis; the start and pad tokens neither.
          expect(h.tokens.includes(EOS)).toBe(false);
          if (!h.finished) expect(h.tokens).toHaveLength(5);
          const ref = scoreByTeacherForcing(model, row, h.tokens, h.finished);
          expect(Math.abs(h.logProb - ref.logProb)).toBeLessThan(1e-9);
          expect(h.score).toBe(h.logProb);
          if (ref.attention) expect(maxAbsDiff(h.attention!.flat(), ref.attention.flat())).toBeLessThan(1e-12);
        }
        // Distinct hypotheses: the beam never returns the same sequence twice.
        expect(new Set(hyps.map((h) => `${h.finished}:${h.tokens.join(',')}`)).size).toBe(hyps.length);
      });
    }), { seed: SEED, numRuns: 6 });
  });
});

describe('beam search', () => {
  it('the end token stops a hypothesis', () => {
    const model = tinyModel({ kind: 'additive', seed: 5, hidden: 4 });
    const src = randomIds(new RandomGenerator(5), [3, 2], 7);
    // Make the end token overwhelmingly likely: every hypothesis ends at its first step.
    const bias = model.decoder.output.bias!.data.data as Float64Array;
    bias[EOS] = 100;
    for (const hyps of model.beamSearch(src, { beamWidth: 3, maxLength: 10 })) {
      expect(hyps[0]!.tokens).toEqual([]);
      expect(hyps[0]!.finished).toBe(true);
      expect(hyps[0]!.attention).toHaveLength(1);
    }
    for (const r of model.greedy(src, { maxLength: 10 })) expect(r).toMatchObject({ tokens: [], finished: true });
    // And never likely: hypotheses run to maxLength unfinished.
    bias[EOS] = -100;
    for (const hyps of model.beamSearch(src, { beamWidth: 3, maxLength: 4 })) {
      for (const h of hyps) expect(h).toMatchObject({ finished: false });
      for (const h of hyps) expect(h.tokens).toHaveLength(4);
    }
    for (const r of model.greedy(src, { maxLength: 4 })) expect(r.finished).toBe(false);
  });

  it('keeps a finished hypothesis while longer ones go on, and nBest cuts the list', () => {
    let mixed = 0;
    for (let seed = 0; seed < 40; seed++) {
      const model = tinyModel({ kind: 'dot', seed, hidden: 4 });
      const src = randomIds(new RandomGenerator(seed), [4], 7);
      const hyps = model.beamSearch(src, { beamWidth: 4, maxLength: 6 })[0]!;
      expect(model.beamSearch(src, { beamWidth: 4, maxLength: 6, nBest: 2 })[0]).toEqual(hyps.slice(0, 2));
      const ended = hyps.filter((h) => h.finished), open = hyps.filter((h) => !h.finished);
      if (ended.length && open.length) {
        mixed++;
        // It ended early (shorter than the cut) and still ranks by its score among the longer ones.
        for (const h of ended) expect(h.tokens.length).toBeLessThan(6);
        for (const h of open) expect(h.tokens).toHaveLength(6);
      }
    }
    expect(mixed).toBeGreaterThan(0);
  });

  it('length penalties score log P / n (average) and log P / ((5 + n) / 6)^α (GNMT)', () => {
    const model = tinyModel({ kind: 'general', seed: 11, hidden: 4 });
    const src = randomIds(new RandomGenerator(11), [3, 4], 7);
    const steps = (h: Hypothesis) => h.tokens.length + (h.finished ? 1 : 0);
    for (const hyps of model.beamSearch(src, { beamWidth: 4, maxLength: 5, lengthPenalty: 'average' })) {
      for (const h of hyps) expect(Math.abs(h.score - h.logProb / steps(h))).toBeLessThan(1e-12);
      for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1]!.score).toBeGreaterThanOrEqual(hyps[i]!.score);
    }
    for (const hyps of model.beamSearch(src, { beamWidth: 4, maxLength: 5, lengthPenalty: { alpha: 0.6 } })) {
      for (const h of hyps) expect(Math.abs(h.score - h.logProb / ((5 + steps(h)) / 6) ** 0.6)).toBeLessThan(1e-12);
      for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1]!.score).toBeGreaterThanOrEqual(hyps[i]!.score);
    }
  });

  it('rejects bad options with clear errors', () => {
    const model = tinyModel({ kind: 'dot', seed: 1 });
    const src = randomIds(new RandomGenerator(1), [2], 7);
    expect(() => model.beamSearch(src, { beamWidth: 0 })).toThrow(/beamWidth must be a positive integer; got 0/);
    expect(() => model.beamSearch(src, { nBest: 1.5 })).toThrow(/nBest must be a positive integer/);
    expect(() => model.beamSearch(src, { lengthPenalty: { alpha: -1 } })).toThrow(/lengthPenalty must be 'none', 'average' or \{ alpha/);
    expect(() => model.beamSearch(src, { maxLength: 0 })).toThrow(/maxLength must be a positive integer; got 0/);
    expect(() => model.greedy(src, { maxLength: 2.5 })).toThrow(/maxLength must be a positive integer; got 2.5/);
    void PAD;
  });
});
