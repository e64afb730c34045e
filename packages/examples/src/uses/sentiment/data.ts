// A generated sentiment corpus where word order matters: negation ("not good", "not bad at all"),
// contrast ("good, not bad", "boring but fun") and intensifiers ("really good"). Every label
// follows from a stated rule, so the corpus has no noise and no unknowable cases.
import type { RandomGenerator } from '@unroll/autograd';

/** Positive and negative adjectives. */
export const POSITIVE = ['good', 'great', 'fun', 'lovely', 'brilliant'] as const;
export const NEGATIVE = ['bad', 'awful', 'boring', 'dull', 'terrible'] as const;
const SUBJECTS = ['movie', 'film', 'plot', 'acting', 'food', 'service', 'book', 'ending'] as const;
const VERBS = ['was', 'is'] as const;
const INTENSIFIERS = ['very', 'really', 'so', 'truly'] as const;

/**
 * The sentence patterns and how each sets the label (pol(A) = +1 for a positive adjective):
 * - plain       "the movie was [very] good"            pol(A)
 * - not         "the movie was not [very] good"        −pol(A)
 * - not at all  "the movie was not good at all"        −pol(A)
 * - never       "the movie was never good"             −pol(A)
 * - A, not B    "the movie was good , not bad"         pol(A)  (A and B of opposite polarity)
 * - not A, but B "the movie was not bad , but great"   pol(B)
 * - A but B     "the movie was boring but fun"         pol(B)
 * The last three have an anagram with the opposite label ("bad , not good"), so no reader blind to
 * word order can get them right more than half the time.
 */
export const PATTERNS = ['plain', 'not', 'not at all', 'never', 'A, not B', 'not A, but B', 'A but B'] as const;
/** One sentence pattern. */
export type Pattern = (typeof PATTERNS)[number];
/** How often each pattern is drawn (sums to 1). */
export const PATTERN_WEIGHTS: Record<Pattern, number> = {
  plain: 0.25, not: 0.15, 'not at all': 0.1, never: 0.1, 'A, not B': 0.15, 'not A, but B': 0.1, 'A but B': 0.15,
};
/** Patterns with a negation word ("not", "never"): the negation subset. */
export const NEGATION_PATTERNS: readonly Pattern[] = ['not', 'not at all', 'never', 'A, not B', 'not A, but B'];
/** Patterns whose words, reordered, make a sentence of the opposite label. */
export const ORDER_PATTERNS: readonly Pattern[] = ['A, not B', 'not A, but B', 'A but B'];

/** A review: its words, its label and the pattern it came from. */
export interface Review {
  words: string[];
  /** 1 positive, 0 negative. */
  label: 0 | 1;
  pattern: Pattern;
}

const pick = <T>(xs: readonly T[], gen: RandomGenerator): T => xs[gen.int(xs.length)]!;

/** One review drawn from the patterns, with its label. */
export function drawReview(gen: RandomGenerator): Review {
  let u = gen.uniform(), pattern: Pattern = 'plain';
  for (const p of PATTERNS) {
    pattern = p;
    if ((u -= PATTERN_WEIGHTS[p]) < 0) break;
  }
  const positive = gen.uniform() < 0.5;
  const a = pick(positive ? POSITIVE : NEGATIVE, gen), b = pick(positive ? NEGATIVE : POSITIVE, gen);
  const intensifier = gen.uniform() < 0.4 ? [pick(INTENSIFIERS, gen)] : [];
  const head = ['the', pick(SUBJECTS, gen), pick(VERBS, gen)];
  const pol = positive ? 1 : 0, flip = positive ? 0 : 1;
  const make = (rest: string[], label: 0 | 1): Review => ({ words: [...head, ...rest], label, pattern });
  switch (pattern) {
    case 'plain': return make([...intensifier, a], pol);
    case 'not': return make(['not', ...intensifier, a], flip);
    case 'not at all': return make(['not', a, 'at', 'all'], flip);
    case 'never': return make(['never', a], flip);
    case 'A, not B': return make([a, ',', 'not', b], pol);
    case 'not A, but B': return make(['not', a, ',', 'but', b], flip);
    case 'A but B': return make([a, 'but', b], flip);
  }
}

/** The vocabulary: id 0 is padding, then every word the patterns use. */
export const SENTIMENT_VOCAB: readonly string[] = [
  '<pad>', 'the', ...SUBJECTS, ...VERBS, ...INTENSIFIERS, ...POSITIVE, ...NEGATIVE, 'not', 'never', 'at', 'all', ',', 'but',
];
const IDS = new Map(SENTIMENT_VOCAB.map((w, i) => [w, i]));

/** Word ids of a review (throws on a word outside the vocabulary, naming it). */
export function encodeWords(words: readonly string[]): number[] {
  return words.map((w) => {
    const id = IDS.get(w);
    if (id === undefined) throw new RangeError(`sentiment: '${w}' is not in the vocabulary`);
    return id;
  });
}

/** Training and test reviews. */
export interface SentimentSplits {
  train: Review[];
  test: Review[];
  /** For each test review, whether the very same sentence is also in the training set. */
  testSeen: boolean[];
}

/**
 * Training and test reviews drawn independently from the same patterns (so the test mix matches
 * the training mix); the test reviews that happen to occur in the training set are marked, so
 * accuracy on never-seen sentences can be reported apart.
 */
export function sentimentSplits(trainSize: number, testSize: number, gen: RandomGenerator): SentimentSplits {
  const train = Array.from({ length: trainSize }, () => drawReview(gen));
  const test = Array.from({ length: testSize }, () => drawReview(gen));
  const seen = new Set(train.map((r) => r.words.join(' ')));
  return { train, test, testSeen: test.map((r) => seen.has(r.words.join(' '))) };
}
