// The sentiment corpus (seeding, labels checked by an independent reading of each sentence, the
// anagram property), the bag of words' order-blindness, scoring, and a tiny training run per model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator } from '@unroll/autograd';
import {
  NEGATIVE, ORDER_PATTERNS, PATTERNS, POSITIVE, SENTIMENT_VOCAB, SentimentModel, drawReview, encodeWords, padBatch, scoreSentiment,
  sentimentSplits, trainSentiment,
} from '../../src/uses/sentiment/index.js';
import type { Review } from '../../src/uses/sentiment/index.js';

const polarity = (w: string) => ((POSITIVE as readonly string[]).includes(w) ? 1 : (NEGATIVE as readonly string[]).includes(w) ? 0 : -1);

/** The label read off the words, written independently of the generator's patterns. */
function readLabel(words: readonly string[]): number {
  const adjectives = words.filter((w) => polarity(w) >= 0);
  if (words.includes('but')) return polarity(adjectives[adjectives.length - 1]!); // "… but B": B decides
  if (words.includes(',')) return polarity(adjectives[0]!); // "A , not B": A decides
  const negated = words.includes('not') || words.includes('never');
  return negated ? 1 - polarity(adjectives[0]!) : polarity(adjectives[0]!);
}

describe('drawReview', () => {
  it('labels every review as an independent reading of its words does', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const gen = new RandomGenerator(seed);
      for (let i = 0; i < 20; i++) {
        const r = drawReview(gen);
        expect(r.label).toBe(readLabel(r.words));
        expect(() => encodeWords(r.words)).not.toThrow();
      }
    }), { seed: 5, numRuns: 50 });
  });

  it('draws every pattern, both labels about equally, and is seeded', () => {
    const gen = new RandomGenerator(9), reviews = Array.from({ length: 4000 }, () => drawReview(gen));
    for (const p of PATTERNS) expect(reviews.some((r) => r.pattern === p)).toBe(true);
    const positive = reviews.filter((r) => r.label === 1).length / reviews.length;
    expect(Math.abs(positive - 0.5)).toBeLessThan(0.03);
    expect(drawReview(new RandomGenerator(1))).toEqual(drawReview(new RandomGenerator(1)));
  });

  it('order-decided reviews have an anagram with the opposite label', () => {
    const gen = new RandomGenerator(4);
    for (let i = 0; i < 500; i++) {
      const r = drawReview(gen);
      if (!ORDER_PATTERNS.includes(r.pattern)) continue;
      const [a, b] = r.words.filter((w) => polarity(w) >= 0);
      const swapped = r.words.map((w) => (w === a ? b! : w === b ? a! : w));
      expect([...swapped].sort()).toEqual([...r.words].sort());
      expect(readLabel(swapped)).toBe(1 - r.label);
    }
  });
});

describe('sentimentSplits', () => {
  it('is seeded and marks the test reviews that occur in training', () => {
    const s = sentimentSplits(300, 100, new RandomGenerator(2));
    expect(s).toEqual(sentimentSplits(300, 100, new RandomGenerator(2)));
    const train = new Set(s.train.map((r) => r.words.join(' ')));
    s.test.forEach((r, i) => expect(s.testSeen[i]).toBe(train.has(r.words.join(' '))));
  });

  it('rejects an unknown word by name', () => {
    expect(() => encodeWords(['the', 'movie', 'was', 'meh'])).toThrow(/'meh' is not in the vocabulary/);
    expect(SENTIMENT_VOCAB[0]).toBe('<pad>');
  });
});

describe('SentimentModel', () => {
  const a = encodeWords('the movie was good , not bad'.split(' '));
  const b = encodeWords('the movie was bad , not good'.split(' '));
  it('the bag of words cannot tell an anagram apart; the LSTM and GRU can', () => {
    const { ids, lengths } = padBatch([a, b]);
    const bow = new SentimentModel({ kind: 'bag-of-words', generator: new RandomGenerator(1) }).forward(ids, lengths).toArray() as number[];
    expect(bow[0]).toBeCloseTo(bow[1]!, 5);
    for (const kind of ['lstm', 'gru'] as const) {
      const y = new SentimentModel({ kind, generator: new RandomGenerator(1) }).forward(ids, lengths).toArray() as number[];
      expect(Math.abs(y[0]! - y[1]!)).toBeGreaterThan(1e-4);
    }
  });

  it('ignores padding: a review scores the same alone and in a padded batch', () => {
    const short = encodeWords('the film is fun'.split(' '));
    for (const kind of ['bag-of-words', 'lstm', 'gru'] as const) {
      const m = new SentimentModel({ kind, generator: new RandomGenerator(3) });
      const alone = m.forward([short], [short.length]).values()[0]!;
      const { ids, lengths } = padBatch([a, short]);
      expect(m.forward(ids, lengths).values()[1]).toBeCloseTo(alone, 5);
    }
  });

  it.each(['bag-of-words', 'lstm', 'gru'] as const)('%s: a tiny training run lowers the loss', (kind) => {
    const r = trainSentiment({ kind, steps: 60, batchSize: 16, trainSize: 200, testSize: 50, lr: 0.03, seed: 1 });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(r.losses.slice(-10))).toBeLessThan(mean(r.losses.slice(0, 10)) - 0.05);
  });
});

describe('scoreSentiment', () => {
  it('scores overall, on the negation and order subsets, and on unseen reviews', () => {
    const r = (words: string, label: 0 | 1, pattern: Review['pattern']): Review => ({ words: words.split(' '), label, pattern });
    const reviews = [r('the film was good', 1, 'plain'), r('the film was not good', 0, 'not'), r('the film was good , not bad', 1, 'A, not B')];
    const s = scoreSentiment([1, 1, 1], reviews, [true, false, false]);
    expect(s.accuracy).toBeCloseTo(2 / 3);
    expect(s.negation).toBe(0.5);
    expect(s.orderDecided).toBe(1);
    expect(s.unseen).toBe(0.5);
    expect(s.byPattern.plain).toBe(1);
    expect(s.byPattern.never).toBeNaN();
  });
});
