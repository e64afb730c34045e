// The generated date-normalisation task: vocabularies, train/validation/test splits over disjoint
// dates drawn from a seed, and padded, length-bucketed batches of (written date → ISO date).
import { RandomGenerator, Tensor } from '@unroll/autograd';
import { padSequences } from '@unroll/rnn';
import { civilFromDays, daysFromCivil, isoDate } from './calendar.js';
import type { CivilDate } from './calendar.js';
import { FIRST_YEAR, FORMATS, LAST_YEAR } from './formats.js';

/** A character vocabulary with its special ids. */
export class CharVocab {
  readonly chars: readonly string[];
  private readonly index = new Map<string, number>();
  constructor(readonly specials: readonly string[], alphabet: string) {
    this.chars = [...specials, ...alphabet];
    this.chars.forEach((c, i) => this.index.set(c, i));
  }
  get size(): number {
    return this.chars.length;
  }
  id(token: string): number {
    const i = this.index.get(token);
    if (i === undefined) throw new RangeError(`CharVocab: '${token}' is not in the vocabulary`);
    return i;
  }
  encode(text: string): number[] {
    return [...text].map((c) => this.id(c));
  }
  decode(ids: readonly number[]): string {
    return ids.map((i) => (i >= this.specials.length && i < this.size ? this.chars[i] : '')).join('');
  }
}

/** Source: pad (0) and every character the formats write. */
export const SOURCE_VOCAB = new CharVocab(['<pad>'], ' ,-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
/** Target: pad (0), start (1), end (2), then the characters of "2026-11-22". */
export const TARGET_VOCAB = new CharVocab(['<pad>', '<s>', '</s>'], '0123456789-');
export const PAD = 0, BOS = 1, EOS = 2;

/** One example: the date written some way, and its ISO form. */
export interface DateExample {
  readonly date: CivilDate;
  readonly format: string;
  readonly source: string;
  readonly target: string;
}

export interface Splits {
  /** Day numbers (days since 1970-01-01) of the training dates; any format is drawn per use. */
  readonly trainDays: readonly number[];
  /** Fixed examples (one format each, cycling through all formats). */
  readonly validation: readonly DateExample[];
  readonly test: readonly DateExample[];
}

export interface SplitOptions {
  seed: number;
  /** Dates held out for validation (default 1000). */
  validation?: number;
  /** Dates held out for testing (default 2000). */
  test?: number;
}

export const FIRST_DAY = daysFromCivil({ year: FIRST_YEAR, month: 1, day: 1 });
export const LAST_DAY = daysFromCivil({ year: LAST_YEAR, month: 12, day: 31 });

/** The example of writing `date` in `format`. */
export function example(date: CivilDate, format: (typeof FORMATS)[number]): DateExample {
  return { date, format: format.name, source: format.format(date), target: isoDate(date) };
}

/**
 * Every date in 1950–2049 shuffled by `seed`; the first `test` dates are the test set, the next
 * `validation` the validation set and the rest training dates — so the three never share a date.
 */
export function makeSplits(opts: SplitOptions): Splits {
  const nTest = opts.test ?? 2000, nVal = opts.validation ?? 1000;
  const days = Array.from({ length: LAST_DAY - FIRST_DAY + 1 }, (_, i) => FIRST_DAY + i);
  if (nTest + nVal >= days.length) throw new RangeError(`makeSplits: test + validation (${nTest + nVal}) must leave training dates (${days.length} in all)`);
  const gen = new RandomGenerator(opts.seed);
  for (let i = days.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [days[i], days[j]] = [days[j]!, days[i]!];
  }
  const fixed = (list: number[]) => list.map((d, i) => example(civilFromDays(d), FORMATS[i % FORMATS.length]!));
  return {
    test: fixed(days.slice(0, nTest)),
    validation: fixed(days.slice(nTest, nTest + nVal)),
    trainDays: days.slice(nTest + nVal),
  };
}

/** A random training example: a training date in a random format. */
export function sampleExample(trainDays: readonly number[], gen: RandomGenerator): DateExample {
  const date = civilFromDays(trainDays[gen.int(trainDays.length)]!);
  return example(date, FORMATS[gen.int(FORMATS.length)]!);
}

/** A padded batch ready for Seq2Seq: src [B, S] and targets [B, T] (ISO characters, then EOS, then PAD). */
export interface DateBatch {
  readonly examples: readonly DateExample[];
  readonly src: Tensor;
  readonly targets: Tensor;
}

export function toBatch(examples: readonly DateExample[]): DateBatch {
  const src = padSequences(examples.map((e) => SOURCE_VOCAB.encode(e.source)), PAD).ids;
  const targets = padSequences(examples.map((e) => [...TARGET_VOCAB.encode(e.target), EOS]), PAD).ids;
  return { examples, src, targets };
}

/**
 * An endless stream of training batches. Examples are drawn `pool` batches at a time, sorted by
 * source length and cut into batches (so a batch of "22.11.26"s is not padded to the width of
 * "Wednesday, September 30th 2026"), and the batches are served in random order.
 */
export function* trainBatches(trainDays: readonly number[], batchSize: number, gen: RandomGenerator, pool = 32): IterableIterator<DateBatch, never> {
  for (;;) {
    const drawn = Array.from({ length: batchSize * pool }, () => sampleExample(trainDays, gen));
    drawn.sort((a, b) => a.source.length - b.source.length);
    const batches = Array.from({ length: pool }, (_, i) => drawn.slice(i * batchSize, (i + 1) * batchSize));
    for (let i = batches.length - 1; i > 0; i--) {
      const j = gen.int(i + 1);
      [batches[i], batches[j]] = [batches[j]!, batches[i]!];
    }
    for (const b of batches) yield toBatch(b);
  }
}

/** Fixed examples in batches of similar length (for evaluation); order within the result is by batch. */
export function evalBatches(examples: readonly DateExample[], batchSize: number): DateBatch[] {
  const sorted = [...examples].sort((a, b) => a.source.length - b.source.length);
  const out: DateBatch[] = [];
  for (let i = 0; i < sorted.length; i += batchSize) out.push(toBatch(sorted.slice(i, i + batchSize)));
  return out;
}
