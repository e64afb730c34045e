// The children's-book corpus of the lecture notes ("Doug saw Jane."): a five-word dictionary,
// a seeded sentence stream, and the checker that sorts generated sentences into kinds of mistakes.
import type { RandomGenerator } from '@unroll/autograd';

/** The dictionary: three names, one verb, the period. Token id = index. */
export const VOCAB = ['Doug', 'Jane', 'Spot', 'saw', '.'] as const;
/** Token ids of the names, of "saw" and of the period. */
export const NAMES = [0, 1, 2] as const;
export const SAW = 3;
export const PERIOD = 4;

const isName = (t: number) => t >= 0 && t < NAMES.length;

/**
 * A stream of `sentences` sentences "<Name> saw <Name>." with two different names, drawn uniformly,
 * as token ids. It starts with a period, so every sentence, the first included, follows one.
 */
export function bookStream(sentences: number, gen: RandomGenerator): number[] {
  const out = [PERIOD];
  for (let s = 0; s < sentences; s++) {
    const subject = gen.int(NAMES.length);
    let object = gen.int(NAMES.length - 1);
    if (object >= subject) object++; // skip the subject: the names differ within a sentence
    out.push(subject, SAW, object, PERIOD);
  }
  return out;
}

/** Token ids as text: `Doug saw Jane. Spot saw Doug.` */
export function toText(tokens: readonly number[]): string {
  return tokens.map((t) => VOCAB[t] ?? `<${t}>`).join(' ').replace(/ \./g, '.');
}

/** How one generated sentence went wrong, if it did. */
export type SentenceKind = 'correct' | 'repeated name' | 'run-on' | 'other';

/**
 * Sorts a sentence (its tokens without the period) into one kind:
 * - 'run-on': a missing period, so "saw" comes more than once ("Jane saw Spot saw Doug");
 * - 'repeated name': one "saw", and a name twice ("Doug saw Doug");
 * - 'other': any other ill-formed sentence ("Doug.", "saw Jane.");
 * - 'correct': "<Name> saw <Name>" with two different names.
 */
export function classifySentence(words: readonly number[]): SentenceKind {
  const saws = words.filter((t) => t === SAW).length;
  if (saws > 1) return 'run-on';
  const names = words.filter(isName);
  const wellShaped = words.length === 3 && isName(words[0]!) && words[1] === SAW && isName(words[2]!);
  if (wellShaped) return words[0] === words[2] ? 'repeated name' : 'correct';
  if (new Set(names).size < names.length) return 'repeated name';
  return 'other';
}

/** Counts of each kind over the complete sentences of a generated token stream. */
export interface SentenceReport {
  /** Complete sentences (ended by a period); a trailing fragment is not counted. */
  sentences: number;
  counts: Record<SentenceKind, number>;
  /** Fraction of sentences of each kind. */
  rates: Record<SentenceKind, number>;
  /** Up to three distinct examples of each mistake, as text. */
  examples: Record<Exclude<SentenceKind, 'correct'>, string[]>;
  /** Fraction of sentences in which some name comes twice (including run-ons that repeat one). */
  anyRepeatedName: number;
}

/** Splits a generated stream at its periods and classifies each sentence. */
export function checkSentences(tokens: readonly number[]): SentenceReport {
  const counts: Record<SentenceKind, number> = { correct: 0, 'repeated name': 0, 'run-on': 0, other: 0 };
  const examples: SentenceReport['examples'] = { 'repeated name': [], 'run-on': [], other: [] };
  let words: number[] = [];
  let sentences = 0, repeated = 0;
  for (const t of tokens) {
    if (t !== PERIOD) {
      words.push(t);
      continue;
    }
    const kind = classifySentence(words);
    counts[kind]++;
    sentences++;
    const names = words.filter(isName);
    if (new Set(names).size < names.length) repeated++;
    if (kind !== 'correct') {
      const text = toText([...words, PERIOD]);
      const list = examples[kind];
      if (list.length < 3 && !list.includes(text)) list.push(text);
    }
    words = [];
  }
  const rate = (n: number) => (sentences ? n / sentences : 0);
  const rates = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, rate(n)])) as Record<SentenceKind, number>;
  return { sentences, counts, rates, examples, anyRepeatedName: rate(repeated) };
}

/**
 * What a model that remembers only the current word (a bigram model of this corpus) writes, in
 * theory: after a name, "saw" or "." with probability ½ each; after "saw" or ".", any of the 3 names.
 * A sentence is then N (saw N)ᵏ. with P(k) = ½ᵏ⁺¹.
 */
export function oneWordMemoryRates(): Record<SentenceKind, number> & { anyRepeatedName: number } {
  // k = 0: "Doug." (other). k = 1: correct unless the object repeats the subject (⅓). k ≥ 2: run-on.
  const correct = 0.25 * (2 / 3);
  // Some name twice among k+1 uniform names: 1/3 (k=1), 1 − 3!/3³ = 7/9 (k=2), certain for k ≥ 3,
  // and P(k ≥ 3) = ½⁴ + ½⁵ + … = ⅛.
  const anyRepeatedName = 0.25 * (1 / 3) + 0.125 * (7 / 9) + 0.125;
  return { correct, 'repeated name': 0.25 / 3, 'run-on': 0.25, other: 0.5, anyRepeatedName };
}
