// The twin-tagging data (tags, seeding), the no-future ceiling, and a tiny training run of both taggers.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator } from '@unroll/autograd';
import {
  TwinTagger, bestAccuracyWithoutFuture, positionRuleScore, scoreTags, trainTagger, twinBatch, twinProbability, twinTags,
} from '../../src/uses/bidirectional-tagging/index.js';

describe('twinTags', () => {
  it('marks tokens that come again later', () => {
    expect(twinTags([3, 1, 3, 2, 1, 1])).toEqual([1, 1, 0, 0, 1, 0]);
    expect(twinTags([])).toEqual([]);
  });

  it('agrees with a direct search for a later twin', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }), (tokens) => {
      expect(twinTags(tokens)).toEqual(tokens.map((x, t) => (tokens.slice(t + 1).includes(x) ? 1 : 0)));
    }), { seed: 3, numRuns: 100 });
  });
});

describe('twinBatch', () => {
  it('is seeded and shaped as asked', () => {
    const a = twinBatch({ batch: 5, length: 9, alphabet: 4, generator: new RandomGenerator(1) });
    expect(a).toEqual(twinBatch({ batch: 5, length: 9, alphabet: 4, generator: new RandomGenerator(1) }));
    expect(a).not.toEqual(twinBatch({ batch: 5, length: 9, alphabet: 4, generator: new RandomGenerator(2) }));
    expect(a.tokens.length).toBe(5);
    for (const row of a.tokens) {
      expect(row.length).toBe(9);
      for (const x of row) expect(x >= 0 && x < 4 && Number.isInteger(x)).toBe(true);
    }
    for (const row of a.tags) expect(row[8]).toBe(0);
  });

  it('has twins at the rate the theory gives at each position', () => {
    const d = twinBatch({ batch: 20_000, length: 12, alphabet: 8, generator: new RandomGenerator(5) });
    const p = twinProbability(12, 8);
    for (let t = 0; t < 12; t++) {
      const rate = d.tags.reduce((a, row) => a + row[t]!, 0) / d.tags.length;
      expect(Math.abs(rate - p[t]!)).toBeLessThan(0.015);
    }
    expect(Math.abs(positionRuleScore(d, 8).accuracy - bestAccuracyWithoutFuture(12, 8))).toBeLessThan(0.005);
  });
});

describe('scoreTags', () => {
  it('counts right tags overall and by position', () => {
    const data = { tokens: [[0, 0], [1, 2]], tags: [[1, 0], [0, 0]] };
    const s = scoreTags([[2, -1], [0.5, -3]], data);
    expect(s.accuracy).toBe(0.75);
    expect(s.perPosition).toEqual([0.5, 1]);
  });
});

describe('TwinTagger', () => {
  it('unidirectional: the logit at t does not change when later tokens do; bidirectional: it does', () => {
    const a = [[1, 2, 3, 4, 5]], b = [[1, 2, 3, 0, 0]];
    const uni = new TwinTagger({ bidirectional: false, alphabet: 8, hiddenSize: 6, generator: new RandomGenerator(1) });
    const ua = uni.forward(a).toArray() as number[][], ub = uni.forward(b).toArray() as number[][];
    expect(ua[0]!.slice(0, 3)).toEqual(ub[0]!.slice(0, 3));
    const bi = new TwinTagger({ bidirectional: true, alphabet: 8, hiddenSize: 6, generator: new RandomGenerator(1) });
    const ba = bi.forward(a).toArray() as number[][], bb = bi.forward(b).toArray() as number[][];
    expect(ba[0]![0]).not.toBe(bb[0]![0]);
  });

  it.each([true, false])('bidirectional %s: a tiny training run lowers the loss', (bidirectional) => {
    const r = trainTagger({ bidirectional, steps: 40, batchSize: 16, hiddenSize: 8, testSize: 50, seed: 2 });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) - 0.05);
    expect(r.test.perPosition.length).toBe(12);
  });
});
