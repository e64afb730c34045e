// The date-normalisation task: calendar arithmetic, every format parses back to its date and no
// string has two meanings, splits are disjoint and seeded, batches are padded as Seq2Seq expects.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator } from '@unroll/autograd';
import {
  EOS, FIRST_DAY, FORMATS, LAST_DAY, PAD, SOURCE_VOCAB, TARGET_VOCAB, attentionText, buildDateModel, civilFromDays,
  daysFromCivil, evalBatches, example, exactMatch, isValidDate, isoDate, makeSplits, ordinal, parseAny, trainBatches, weekday,
} from '../../src/date-normalization/index.js';

const SEED = 20240611;
const anyDay = fc.integer({ min: FIRST_DAY, max: LAST_DAY });

describe('calendar', () => {
  it('knows a few dates and weekdays', () => {
    expect(daysFromCivil({ year: 1970, month: 1, day: 1 })).toBe(0);
    expect(civilFromDays(daysFromCivil({ year: 2000, month: 2, day: 29 }))).toEqual({ year: 2000, month: 2, day: 29 });
    expect(weekday({ year: 2026, month: 11, day: 22 })).toBe(0); // a Sunday
    expect(weekday({ year: 1969, month: 7, day: 20 })).toBe(0); // the Moon landing, a Sunday
    expect(weekday({ year: 2000, month: 1, day: 1 })).toBe(6); // a Saturday
    expect(isValidDate(2026, 2, 29)).toBe(false);
    expect(isValidDate(2024, 2, 29)).toBe(true);
    expect(isValidDate(1900, 2, 29)).toBe(false);
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '31st']);
  });

  it('days and dates convert both ways, and consecutive days are a weekday apart', () => {
    fc.assert(fc.property(anyDay, (d) => {
      const date = civilFromDays(d);
      expect(daysFromCivil(date)).toBe(d);
      expect(isValidDate(date.year, date.month, date.day)).toBe(true);
      expect(weekday(civilFromDays(d + 1))).toBe((weekday(date) + 1) % 7);
    }), { seed: SEED, numRuns: 300 });
  });
});

describe('formats', () => {
  it('writes the examples of the task', () => {
    const d = { year: 2026, month: 11, day: 22 };
    const byName = Object.fromEntries(FORMATS.map((f) => [f.name, f.format(d)]));
    expect(byName).toMatchObject({
      'mon-day-year': 'Nov 22, 2026', 'eu-dot-short': '22.11.26', 'weekday-long': 'Sunday, November 22nd 2026',
      'ymd-slash': '2026/11/22', 'day-month-year': '22 November 2026', 'us-slash': '11/22/2026', iso: '2026-11-22',
    });
  });

  it('every format parses back to the same date, and the string means that date under no other reading', () => {
    fc.assert(fc.property(anyDay, fc.integer({ min: 0, max: FORMATS.length - 1 }), (d, k) => {
      const date = civilFromDays(d), f = FORMATS[k]!;
      const text = f.format(date);
      expect(f.parse(text)).toEqual(date);
      // Other formats may read the string too (e.g. none do today), but never as another date.
      for (const r of parseAny(text)) expect(r.date).toEqual(date);
    }), { seed: SEED, numRuns: 2000 });
  });

  it('refuses impossible dates, wrong weekdays and wrong ordinal suffixes', () => {
    const f = (name: string) => FORMATS.find((x) => x.name === name)!;
    expect(f('weekday-long').parse('Monday, November 22nd 2026')).toBeNull();
    expect(f('weekday-long').parse('Sunday, November 22th 2026')).toBeNull();
    expect(f('weekday-short').parse('Mon 22 Nov 2026')).toBeNull();
    expect(f('eu-dot').parse('30.02.2026')).toBeNull();
    expect(f('iso').parse('2026-13-01')).toBeNull();
    expect(f('us-slash').parse('11/022/2026')).toBeNull();
    expect(f('eu-dot-short').parse('22.11.26')).toEqual({ year: 2026, month: 11, day: 22 });
    expect(f('eu-dot-short').parse('22.11.51')).toEqual({ year: 1951, month: 11, day: 22 });
  });

  it('every character the formats write is in the source vocabulary', () => {
    fc.assert(fc.property(anyDay, (d) => {
      for (const f of FORMATS) expect(SOURCE_VOCAB.decode(SOURCE_VOCAB.encode(f.format(civilFromDays(d))))).toBe(f.format(civilFromDays(d)));
    }), { seed: SEED, numRuns: 200 });
    expect(() => SOURCE_VOCAB.encode('é')).toThrow("CharVocab: 'é' is not in the vocabulary");
  });
});

describe('splits', () => {
  const splits = makeSplits({ seed: 7, validation: 500, test: 1000 });
  const days = (xs: readonly { date: { year: number; month: number; day: number } }[]) => xs.map((e) => daysFromCivil(e.date));

  it('are disjoint and together cover every date of 1950–2049', () => {
    const test = days(splits.test), val = days(splits.validation);
    expect(test).toHaveLength(1000);
    expect(val).toHaveLength(500);
    const all = new Set([...test, ...val, ...splits.trainDays]);
    expect(all.size).toBe(test.length + val.length + splits.trainDays.length);
    expect(all.size).toBe(LAST_DAY - FIRST_DAY + 1);
    const train = new Set(splits.trainDays);
    expect(test.some((d) => train.has(d)) || val.some((d) => train.has(d))).toBe(false);
  });

  it('are determined by the seed', () => {
    const again = makeSplits({ seed: 7, validation: 500, test: 1000 });
    expect(again).toEqual(splits);
    const other = makeSplits({ seed: 8, validation: 500, test: 1000 });
    expect(days(other.test)).not.toEqual(days(splits.test));
  });

  it('hold examples whose target is the ISO date, in every format', () => {
    for (const e of splits.test) {
      expect(e.target).toBe(isoDate(e.date));
      expect(FORMATS.find((f) => f.name === e.format)!.parse(e.source)).toEqual(e.date);
    }
    expect(new Set(splits.test.map((e) => e.format)).size).toBe(FORMATS.length);
    expect(() => makeSplits({ seed: 1, test: 40000 })).toThrow(/must leave training dates/);
  });

  it('training batches draw only training dates, reproducibly, padded as Seq2Seq expects', () => {
    const train = new Set(splits.trainDays);
    const take = (seed: number) => {
      const it = trainBatches(splits.trainDays, 16, new RandomGenerator(seed), 4);
      return Array.from({ length: 6 }, () => it.next().value!);
    };
    const a = take(3), b = take(3);
    expect(a.map((x) => x.src.toArray())).toEqual(b.map((x) => x.src.toArray()));
    expect(a.map((x) => x.src.toArray())).not.toEqual(take(4).map((x) => x.src.toArray()));
    for (const batch of a) {
      const [B, S] = batch.src.shape as [number, number];
      const T = batch.targets.shape[1]!;
      expect(B).toBe(16);
      expect(T).toBe(11); // "yyyy-mm-dd" and the end token
      const src = batch.src.values(), tgt = batch.targets.values();
      batch.examples.forEach((e, i) => {
        expect(train.has(daysFromCivil(e.date))).toBe(true);
        expect(SOURCE_VOCAB.decode(Array.from(src.subarray(i * S, (i + 1) * S)))).toBe(e.source);
        for (let j = e.source.length; j < S; j++) expect(src[i * S + j]).toBe(PAD);
        expect(TARGET_VOCAB.decode(Array.from(tgt.subarray(i * T, (i + 1) * T)))).toBe(e.target);
        expect(tgt[i * T + 10]).toBe(EOS);
      });
    }
  });
});

describe('model and evaluation', () => {
  it('an untrained model decodes every example and scores it; attention renders as text', () => {
    const examples = makeSplits({ seed: 1, validation: 10, test: 20 }).test;
    for (const attention of ['additive', 'none'] as const) {
      const model = buildDateModel({ attention, cell: 'gru', seed: 1, hidden: 8, embeddingDim: 4 });
      const r = exactMatch(model, examples, { batchSize: 7 });
      expect(r.total).toBe(20);
      expect(r.correct + r.mistakes.length).toBeLessThanOrEqual(20);
      expect(exactMatch(model, examples, { beamWidth: 2 }).total).toBe(20);
    }
    expect(evalBatches(examples, 7).map((b) => b.examples.length)).toEqual([7, 7, 6]);
    const text = attentionText('22.11.26', '20', [[0, 0, 0, 0, 0, 0, 0.5, 0.5], [0, 0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 0, 0]]);
    expect(text.split('\n')).toEqual(['   |22.11.26|', ' 2 |      ▒▒|', ' 0 |       █|', ' ⏎ |█       |']);
    expect(example({ year: 2026, month: 11, day: 22 }, FORMATS[0]!).target).toBe('2026-11-22');
  });
});
