// The uses' shared helpers: seeded streams, sampling, tables and smoothing (their flags: test/flags.test.ts).
import { describe, expect, it } from 'vitest';
import { RandomGenerator } from '@unroll/autograd';
import { argmax, markdownTable, percent, permutation, sampleIndex, seededStreams, smooth } from '../../src/uses/common/run.js';

describe('run helpers', () => {
  it('seeded streams are reproducible and independent', () => {
    const [a, b] = seededStreams(5, 2), [a2] = seededStreams(5, 2);
    expect(a!.nextUint32()).toBe(a2!.nextUint32());
    expect(seededStreams(5, 2)[0]!.nextUint32()).not.toBe(b!.nextUint32());
  });

  it('sampleIndex follows the probabilities; argmax and permutation', () => {
    const gen = new RandomGenerator(1), counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[sampleIndex([0.2, 0.5, 0.3], gen)]!++;
    [0.2, 0.5, 0.3].forEach((p, k) => expect(Math.abs(counts[k]! / 30_000 - p)).toBeLessThan(0.01));
    expect(sampleIndex([0, 0, 1], gen)).toBe(2);
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([9, 1, 3, 7, 2], 2, 3)).toBe(1);
    expect([...permutation(10, new RandomGenerator(2))].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('formats tables and percentages; smooths with a moving window', () => {
    expect(markdownTable(['a', 'b'], [[1, 'x']])).toBe('| a | b |\n| --- | --- |\n| 1 | x |');
    expect(percent(0.1234)).toBe('12.3%');
    expect(smooth([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
  });
});
