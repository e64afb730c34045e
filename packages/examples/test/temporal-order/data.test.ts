// The temporal-order generator (symbols, positions, classes, lengths, seeding) and the paper's 0.3 criterion.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, tensor, Tensor } from '@unroll/autograd';
import * as K from '@unroll/core';
import {
  TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_SYMBOLS, temporalOrderBatch, temporalOrderCorrect, temporalOrderWindows,
} from '../../src/temporal-order/index.js';

const SEED = 20261203;
const symbolAt = (x: number[][][], t: number, b: number): string => {
  const row = x[t]![b]!;
  const hot = row.flatMap((v, k) => (v === 1 ? [k] : []));
  expect(row.filter((v) => v !== 0 && v !== 1)).toEqual([]);
  if (hot.length === 0) return '';
  expect(hot).toHaveLength(1);
  return TEMPORAL_ORDER_SYMBOLS[hot[0]!]!;
};

describe('temporalOrderWindows', () => {
  it('gives the paper\'s windows at T = 100 and scales them with T', () => {
    expect(temporalOrderWindows('6a')).toEqual([[10, 20], [50, 60]]);
    expect(temporalOrderWindows('6b', 100)).toEqual([[10, 20], [33, 43], [66, 76]]);
    expect(temporalOrderWindows('6a', 50)).toEqual([[5, 10], [25, 30]]);
    expect(temporalOrderWindows('6b', 1000)).toEqual([[100, 200], [330, 430], [660, 760]]);
  });

  it('refuses an unknown variant or a T below 20', () => {
    expect(() => temporalOrderWindows('6c' as '6a')).toThrow("temporalOrderWindows: variant must be one of 6a, 6b; got '6c'");
    expect(() => temporalOrderWindows('6a', 19)).toThrow('temporalOrderWindows: T must be an integer ≥ 20; got 19');
    expect(() => temporalOrderWindows('6a', 50.5)).toThrow(/T must be an integer ≥ 20; got 50.5/);
  });
});

describe('temporalOrderBatch', () => {
  it('starts with E, ends with the trigger B, has X/Y only in the windows, distractors elsewhere and zero padding', () => {
    fc.assert(fc.property(
      fc.constantFrom('6a' as const, '6b' as const), fc.integer({ min: 20, max: 130 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }),
      (variant, T, batch, seed) => {
        const d = temporalOrderBatch({ variant, T, batch, generator: new RandomGenerator(seed) });
        const maxLength = T + Math.floor(T / 10);
        expect(d.inputs.shape).toEqual([maxLength, batch, 8]);
        expect(d.labels.shape).toEqual([batch]);
        expect(d.labels.dtype).toBe('int32');
        const x = d.inputs.toArray() as number[][][];
        const labels = Array.from(d.labels.values());
        const windows = temporalOrderWindows(variant, T);
        for (let b = 0; b < batch; b++) {
          const length = d.lengths[b]!;
          expect(length).toBeGreaterThanOrEqual(T);
          expect(length).toBeLessThanOrEqual(maxLength);
          const at = d.positions[b]!;
          expect(at).toHaveLength(windows.length);
          at.forEach((t, k) => {
            expect(t).toBeGreaterThanOrEqual(windows[k]![0]);
            expect(t).toBeLessThanOrEqual(windows[k]![1]);
          });
          const seq = Array.from({ length: maxLength }, (_, t) => symbolAt(x, t, b));
          expect(seq[0]).toBe('E');
          expect(seq[length - 1]).toBe('B');
          expect(seq.slice(length)).toEqual(Array(maxLength - length).fill(''));
          const xyAt = seq.flatMap((s, t) => (s === 'X' || s === 'Y' ? [t] : []));
          expect(xyAt).toEqual(at);
          expect(at.map((t) => seq[t])).toEqual(d.relevant[b]);
          for (let t = 1; t < length - 1; t++) if (!at.includes(t)) expect(['a', 'b', 'c', 'd']).toContain(seq[t]);
          // The class: X = 0, Y = 1, read as a binary number, first symbol most significant.
          const id = d.relevant[b]!.reduce((acc, s) => 2 * acc + (s === 'Y' ? 1 : 0), 0);
          expect(labels[b]).toBe(id);
          expect(id).toBeLessThan(TEMPORAL_ORDER_CLASSES[variant].length);
        }
      }), { seed: SEED, numRuns: 60 });
  });

  it('names the classes as the paper: 6a XX→Q, XY→R, YX→S, YY→U; 6b XXX→Q … YYY→C', () => {
    const d = temporalOrderBatch({ variant: '6b', batch: 400, generator: new RandomGenerator(5) });
    const seen = new Map<string, string>();
    d.relevant.forEach((xy, b) => seen.set(xy.join(''), TEMPORAL_ORDER_CLASSES['6b'][d.labels.values()[b]!]!));
    expect(Object.fromEntries([...seen].sort())).toEqual({ XXX: 'Q', XXY: 'R', XYX: 'S', XYY: 'U', YXX: 'V', YXY: 'A', YYX: 'B', YYY: 'C' });
    const a = temporalOrderBatch({ variant: '6a', batch: 200, generator: new RandomGenerator(6) });
    const seenA = new Map(a.relevant.map((xy, b) => [xy.join(''), TEMPORAL_ORDER_CLASSES['6a'][a.labels.values()[b]!]]));
    expect(Object.fromEntries([...seenA].sort())).toEqual({ XX: 'Q', XY: 'R', YX: 'S', YY: 'U' });
  });

  it('draws every position of each window, every length and every class', () => {
    const d = temporalOrderBatch({ variant: '6a', T: 100, batch: 3000, generator: new RandomGenerator(9) });
    expect(new Set(d.positions.map(([t1]) => t1))).toEqual(new Set(Array.from({ length: 11 }, (_, k) => 10 + k)));
    expect(new Set(d.positions.map(([, t2]) => t2))).toEqual(new Set(Array.from({ length: 11 }, (_, k) => 50 + k)));
    expect(new Set(d.lengths)).toEqual(new Set(Array.from({ length: 11 }, (_, k) => 100 + k)));
    expect(new Set(d.labels.values())).toEqual(new Set([0, 1, 2, 3]));
  });

  it('gives the same batch for the same seed and a different one for another', () => {
    const make = (seed: number) => temporalOrderBatch({ variant: '6b', T: 40, batch: 6, generator: new RandomGenerator(seed) });
    const [a, b, c] = [make(3), make(3), make(4)];
    expect(a.inputs.toArray()).toEqual(b.inputs.toArray());
    expect(Array.from(a.labels.values())).toEqual(Array.from(b.labels.values()));
    expect(a.lengths).toEqual(b.lengths);
    expect(c.inputs.toArray()).not.toEqual(a.inputs.toArray());
  });

  it('refuses an empty batch or a bad variant, naming the argument', () => {
    const generator = new RandomGenerator(0);
    expect(() => temporalOrderBatch({ variant: '6a', batch: 0, generator })).toThrow('temporalOrderBatch: batch must be a positive integer; got 0');
    expect(() => temporalOrderBatch({ variant: 'x' as '6a', batch: 1, generator })).toThrow(/variant must be one of 6a, 6b; got 'x'/);
    expect(() => temporalOrderBatch({ variant: '6b', T: 10, batch: 1, generator })).toThrow(/T must be an integer ≥ 20; got 10/);
  });
});

describe('temporalOrderCorrect', () => {
  const labels = new Tensor(K.fromData(Int32Array.from([0, 2, 1]), [3]));
  it('counts a sequence only when every output is within 0.3 of the one-hot target', () => {
    const p = tensor([[0.71, 0.1, 0.1, 0.09], [0.2, 0.1, 0.69, 0.01], [0.05, 0.65, 0.29, 0.01]]);
    // row 2: the right class at 0.69 is 0.31 from 1; row 3: p = 0.65 for the right class.
    expect(temporalOrderCorrect(p, labels)).toEqual([true, false, false]);
    expect(temporalOrderCorrect(p, labels, 0.5)).toEqual([true, true, true]);
  });

  it('refuses shapes that do not fit', () => {
    expect(() => temporalOrderCorrect(tensor([0.5, 0.5]), labels)).toThrow('temporalOrderCorrect: probabilities must be [batch, classes] and labels [batch]; got [2] and [3]');
  });
});
