import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomGenerator } from '@unroll/autograd';
import { defaultConfig } from '../../src/char-rnn/options.js';
import { pickNext, sampleText } from '../../src/char-rnn/sample.js';
import { Trainer } from '../../src/char-rnn/trainer.js';

const SEED = 4242;
const TEXT = 'abcabd abcabd xyz. '.repeat(30);

/** A lightly trained tiny model, so its predictions are neither uniform nor certain. */
function tinyModel() {
  const t = new Trainer(TEXT, defaultConfig({ hidden: 16, embed: 8, seqLen: 8, batch: 4, lr: 0.01, warmup: 0, valFraction: 0, dropout: 0.2, seed: 5 }));
  for (let i = 0; i < 10; i++) t.trainStep();
  return t;
}

describe('sampling', () => {
  const t = tinyModel();
  const sample = (opts: { temperature?: number; topK?: number; seed?: number; length?: number; seedText?: string }) =>
    sampleText(t.model, t.vocab, {
      seedText: opts.seedText ?? 'ab', length: opts.length ?? 40, temperature: opts.temperature, topK: opts.topK, generator: new RandomGenerator(opts.seed ?? 1),
    });

  it('is deterministic for a fixed seed and differs between seeds', () => {
    expect(sample({ seed: 1 })).toBe(sample({ seed: 1 }));
    expect(sample({ seed: 1 })).not.toBe(sample({ seed: 2 }));
    expect([...sample({ length: 25 })].length).toBe(25);
  });

  it('at temperature 0 and with top-k 1 is greedy decoding (the argmax at every step), whatever the seed', () => {
    const greedy = sample({ temperature: 0, seed: 1 });
    expect(sample({ temperature: 0, seed: 99 })).toBe(greedy);
    expect(sample({ topK: 1, temperature: 1.5, seed: 7 })).toBe(greedy);
    // Tiny temperatures converge to the argmax too.
    expect(sample({ temperature: 1e-6, seed: 3 })).toBe(greedy);
  });

  it('leaves the model in training mode and the training random source untouched', () => {
    const before = t.generator.getState();
    sample({});
    expect(t.model.training).toBe(true);
    expect(t.generator.getState()).toEqual(before);
  });

  it('refuses a seed text with a character outside the vocabulary, naming it', () => {
    expect(() => sample({ seedText: 'abQ' })).toThrow(
      'the seed text has "Q" (U+0051) at character 2, which is not in the model\'s 9-symbol vocabulary');
    expect(() => sample({ seedText: '' })).toThrow('the seed text is empty');
    expect(() => sample({ temperature: -1 })).toThrow('--temperature must be a finite number ≥ 0; got -1');
    expect(() => sample({ topK: 10 })).toThrow('--top-k 10 is larger than the 9-symbol vocabulary');
  });
});

describe('pickNext', () => {
  it('only ever draws among the k largest logits', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 12 }), fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 1000 }), (logits, k, seed) => {
        const topK = Math.min(k, logits.length);
        const g = new RandomGenerator(seed);
        const kth = [...logits].sort((a, b) => b - a)[topK - 1]!;
        for (let n = 0; n < 20; n++) expect(logits[pickNext(logits, 1, topK, g)]!).toBeGreaterThanOrEqual(kth);
      }), { seed: SEED, numRuns: 100 });
  });

  it('follows the softmax of logits / temperature', () => {
    const g = new RandomGenerator(11);
    const logits = [0, Math.log(3)]; // probabilities 1/4, 3/4 at temperature 1; 1/10, 9/10 at 0.5
    const freq = (temperature: number) => {
      let ones = 0;
      for (let n = 0; n < 4000; n++) ones += pickNext(logits, temperature, 0, g);
      return ones / 4000;
    };
    expect(freq(1)).toBeCloseTo(0.75, 1);
    expect(freq(0.5)).toBeCloseTo(0.9, 1);
    expect(pickNext([1, 5, 5, 2], 0, 0, g)).toBe(1); // ties go to the lower index
  });
});
