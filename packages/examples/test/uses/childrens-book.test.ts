// The children's-book corpus (seeding, grammar), the mistake checker, the one-word-memory theory,
// and a tiny training run of each next-word model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator } from '@unroll/autograd';
import {
  NAMES, PERIOD, SAW, NextWordModel, bookStream, checkSentences, classifySentence, oneWordMemoryRates, toText, trainNextWord,
} from '../../src/uses/childrens-book/index.js';

const ids = (text: string) => text.replace(/\./g, ' .').split(/\s+/).filter(Boolean).map((w) => ['Doug', 'Jane', 'Spot', 'saw', '.'].indexOf(w));

describe('bookStream', () => {
  it('is the same for the same seed and differs between seeds', () => {
    expect(bookStream(50, new RandomGenerator(3))).toEqual(bookStream(50, new RandomGenerator(3)));
    expect(bookStream(50, new RandomGenerator(3))).not.toEqual(bookStream(50, new RandomGenerator(4)));
  });

  it('writes only "<Name> saw <Name>." with two different names, after a leading period', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 40 }), (seed, n) => {
      const s = bookStream(n, new RandomGenerator(seed));
      expect(s.length).toBe(1 + 4 * n);
      expect(s[0]).toBe(PERIOD);
      for (let k = 0; k < n; k++) {
        const [a, saw, b, dot] = s.slice(1 + 4 * k, 5 + 4 * k);
        expect(NAMES).toContain(a);
        expect(NAMES).toContain(b);
        expect(a).not.toBe(b);
        expect([saw, dot]).toEqual([SAW, PERIOD]);
      }
      expect(checkSentences(s.slice(1)).rates.correct).toBe(1); // after the leading period
    }), { seed: 7, numRuns: 50 });
  });

  it('uses every name as subject and object about equally often', () => {
    const s = bookStream(3000, new RandomGenerator(1));
    const subjects = [0, 0, 0];
    for (let k = 0; k < 3000; k++) subjects[s[1 + 4 * k]!]!++;
    for (const c of subjects) expect(Math.abs(c / 3000 - 1 / 3)).toBeLessThan(0.03);
  });
});

describe('classifySentence and checkSentences', () => {
  it('sorts the lecture\'s mistakes', () => {
    expect(classifySentence(ids('Doug saw Jane'))).toBe('correct');
    expect(classifySentence(ids('Doug saw Doug'))).toBe('repeated name');
    expect(classifySentence(ids('Jane saw Spot saw Doug'))).toBe('run-on');
    expect(classifySentence(ids('Jane saw Spot saw Jane'))).toBe('run-on');
    expect(classifySentence(ids('Doug'))).toBe('other');
    expect(classifySentence(ids('saw Jane'))).toBe('other');
    expect(classifySentence(ids('Doug Doug'))).toBe('repeated name');
    expect(classifySentence([])).toBe('other');
  });

  it('counts complete sentences only, and a name repeated inside a run-on', () => {
    const r = checkSentences(ids('Doug saw Jane. Doug saw Doug. Jane saw Spot saw Jane. Spot. Doug saw'));
    expect(r.sentences).toBe(4);
    expect(r.counts).toEqual({ correct: 1, 'repeated name': 1, 'run-on': 1, other: 1 });
    expect(r.anyRepeatedName).toBe(0.5);
    expect(r.examples['run-on']).toEqual(['Jane saw Spot saw Jane.']);
    expect(toText(ids('Doug saw Jane.'))).toBe('Doug saw Jane.');
  });
});

describe('oneWordMemoryRates', () => {
  it('sums to one and matches a simulated bigram writer', () => {
    const theory = oneWordMemoryRates();
    expect(theory.correct + theory['repeated name'] + theory['run-on'] + theory.other).toBeCloseTo(1, 12);
    // The bigram chain of the corpus: after a name, "saw" or "." (½ each); after "saw" or ".", any name.
    const gen = new RandomGenerator(11), words: number[] = [];
    let w = PERIOD;
    for (let i = 0; i < 200_000; i++) {
      w = w === SAW || w === PERIOD ? gen.int(3) : gen.uniform() < 0.5 ? SAW : PERIOD;
      words.push(w);
    }
    const r = checkSentences(words);
    for (const k of ['correct', 'repeated name', 'run-on', 'other'] as const) expect(Math.abs(r.rates[k] - theory[k])).toBeLessThan(0.01);
    expect(Math.abs(r.anyRepeatedName - theory.anyRepeatedName)).toBeLessThan(0.01);
  });
});

describe('NextWordModel', () => {
  it('with a one-word memory predicts from the current word alone', () => {
    const m = new NextWordModel({ cell: 'lstm', hiddenSize: 4, memory: 'one-word', generator: new RandomGenerator(2) });
    const a = m.forward([ids('Doug saw Jane.')]).toArray() as number[][][];
    const b = m.forward([ids('Spot saw Jane.')]).toArray() as number[][][];
    expect(a[0]!.slice(1)).toEqual(b[0]!.slice(1)); // same words from "saw" on: same predictions
    const full = new NextWordModel({ cell: 'lstm', hiddenSize: 4, generator: new RandomGenerator(2) });
    const c = full.forward([ids('Doug saw Jane.')]).toArray() as number[][][];
    const d = full.forward([ids('Spot saw Jane.')]).toArray() as number[][][];
    expect(c[0]![1]).not.toEqual(d[0]![1]);
  });

  it.each([['rnn', 'full'], ['lstm', 'full'], ['rnn', 'one-word']] as const)('%s (%s memory): a tiny training run lowers the loss', (cell, memory) => {
    const r = trainNextWord({ cell, memory, hiddenSize: 8, steps: 40, batchSize: 8, sentencesPerRow: 3, sampleWords: 80, seed: 1 });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) - 0.2);
    expect(r.report.sentences).toBeGreaterThan(0);
  });
});
