// The adding-problem generator (markers, positions, targets, lengths, seeding) and the accuracy criterion.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, tensor } from '@unroll/autograd';
import { addingAccuracy, addingProblemBatch, baselineEvaluation } from '../../src/adding-problem/index.js';

const SEED = 20240611;

describe('addingProblemBatch', () => {
  it('marks exactly two pairs where the paper says, with −1 at both ends and zero padding', () => {
    fc.assert(fc.property(
      fc.integer({ min: 4, max: 60 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), fc.boolean(),
      (T, batch, seed, variableLength) => {
        const d = addingProblemBatch({ T, batch, generator: new RandomGenerator(seed), variableLength });
        const maxLength = variableLength ? T + Math.floor(T / 10) : T;
        expect(d.inputs.shape).toEqual([maxLength, batch, 2]);
        expect(d.targets.shape).toEqual([batch, 1]);
        const x = d.inputs.toArray() as number[][][];
        const y = d.targets.toArray() as number[][];
        for (let b = 0; b < batch; b++) {
          const length = d.lengths[b]!;
          expect(length).toBeGreaterThanOrEqual(T);
          expect(length).toBeLessThanOrEqual(maxLength);
          const [p1, p2] = d.positions[b]!;
          expect(p1).toBeLessThan(Math.min(10, T));
          expect(p2).toBeLessThan(Math.floor(T / 2));
          expect(p1).not.toBe(p2);
          const marked = [];
          for (let t = 0; t < maxLength; t++) {
            const [value, marker] = x[t]![b]!;
            if (t >= length) {
              expect([value, marker]).toEqual([0, 0]);
              continue;
            }
            expect(Math.abs(value!)).toBeLessThanOrEqual(1);
            if (marker === 1) marked.push(t);
            else expect(marker).toBe(t === 0 || t === length - 1 ? -1 : 0);
          }
          expect(marked).toEqual([Math.min(p1, p2), Math.max(p1, p2)]);
          if (p1 === 0) expect(x[0]![b]![0]).toBe(0);
          const target = 0.5 + (x[p1]![b]![0]! + x[p2]![b]![0]!) / 4;
          expect(y[b]![0]).toBeCloseTo(target, 6);
        }
      }), { seed: SEED, numRuns: 60 });
  });

  it('draws X1 from all of the first 10 steps and X2 from all of the first half', () => {
    const d = addingProblemBatch({ T: 100, batch: 4000, generator: new RandomGenerator(3) });
    expect(new Set(d.positions.map(([p1]) => p1))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(new Set(d.positions.map(([, p2]) => p2)).size).toBe(50);
    expect(new Set(d.lengths)).toEqual(new Set([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110]));
  });

  it('gives the same batch for the same seed and a different one for another seed', () => {
    const make = (seed: number) => addingProblemBatch({ T: 30, batch: 8, generator: new RandomGenerator(seed) });
    const [a, b, c] = [make(7), make(7), make(8)];
    expect(a.inputs.toArray()).toEqual(b.inputs.toArray());
    expect(a.targets.toArray()).toEqual(b.targets.toArray());
    expect(a.lengths).toEqual(b.lengths);
    expect(c.inputs.toArray()).not.toEqual(a.inputs.toArray());
  });

  it('refuses a too-short T or an empty batch', () => {
    expect(() => addingProblemBatch({ T: 3, batch: 2, generator: new RandomGenerator(0) })).toThrow(/T must be an integer ≥ 4; got 3/);
    expect(() => addingProblemBatch({ T: 10, batch: 0, generator: new RandomGenerator(0) })).toThrow(/batch must be a positive integer/);
  });
});

describe('addingAccuracy', () => {
  it('counts a sequence as correct only when |error| < 0.04', () => {
    const targets = tensor([[0.5], [0.5], [0.2], [0.9]]);
    // errors 0.039, 0.041, 0, 0.2 (in float32 the first is below 0.04, the second above)
    expect(addingAccuracy(tensor([[0.539], [0.459], [0.2], [0.7]]), targets)).toBe(0.5);
    expect(addingAccuracy(tensor([[0.539], [0.459], [0.2], [0.7]]), targets, 0.5)).toBe(1);
    expect(addingAccuracy(tensor([[0.6], [0.4], [0.3], [0.8]]), targets)).toBe(0);
  });

  it('refuses predictions and targets of different shapes', () => {
    expect(() => addingAccuracy(tensor([0.5, 0.5]), tensor([[0.5], [0.5]]))).toThrow(/predictions \[2\] and targets \[2, 1\]/);
  });

  it('gives the mean-predicting baseline its analytic score', () => {
    // P(|X1 + X2| < 0.16) = 0.1536 for two uniforms on [−1, 1]; when X1 is zeroed (p1 = 0, 1 in 10)
    // it is P(|X2| < 0.16) = 0.16. The MSE is E[(X1 + X2)²]/16: 0.9 · (2/3)/16 + 0.1 · (1/3)/16.
    const d = addingProblemBatch({ T: 40, batch: 50000, generator: new RandomGenerator(11) });
    const base = baselineEvaluation(d);
    expect(base.accuracy).toBeCloseTo(0.9 * 0.1536 + 0.1 * 0.16, 2);
    expect(base.mse).toBeCloseTo(0.9 * (2 / 3) / 16 + 0.1 * (1 / 3) / 16, 3);
  });
});
