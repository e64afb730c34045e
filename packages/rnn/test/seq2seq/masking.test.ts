// Padding: masked source positions get exactly zero attention weight, and a padded batch gives
// the same logits, attention, loss and decodes as its examples run one at a time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, crossEntropy, randUniform } from '@unroll/autograd';
import { AdditiveAttention, DotAttention, GeneralAttention, attend, lengthMask } from '../../src/index.js';
import { SEED } from '../helpers.js';
import { EOS, KINDS, maxAbsDiff, randomIds, row, tinyModel } from './helpers.js';

describe('attend', () => {
  const g = new RandomGenerator(SEED);
  const make = {
    additive: () => new AdditiveAttention({ querySize: 4, memorySize: 5, attentionSize: 3, dtype: 'float64', generator: g }),
    dot: () => new DotAttention({ querySize: 5, memorySize: 5 }),
    general: () => new GeneralAttention({ querySize: 4, memorySize: 5, dtype: 'float64', generator: g }),
  };
  it.each(Object.entries(make))('%s: padded positions get exactly 0; real ones sum to 1', (_, build) => {
    const attention = build();
    const lengths = [4, 1, 2];
    // Large values in the padding, so a leak could not hide.
    const memory = randUniform([3, 4, 5], -50, 50, { dtype: 'float64', generator: g });
    const query = randUniform([3, attention.querySize], -3, 3, { dtype: 'float64', generator: g });
    const { weights, context } = attend(attention, query, memory, attention.keys(memory), lengthMask(lengths, 4));
    const w = weights.toArray() as number[][];
    lengths.forEach((len, b) => {
      for (let j = len; j < 4; j++) expect(w[b]![j]).toBe(0);
      expect(Math.abs(w[b]!.slice(0, len).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
    });
    // The context is the weighted sum of real positions only.
    const m = memory.toArray() as number[][][], c = context.toArray() as number[][];
    lengths.forEach((len, b) => {
      for (let f = 0; f < 5; f++) {
        let want = 0;
        for (let j = 0; j < len; j++) want += w[b]![j]! * m[b]![j]![f]!;
        expect(Math.abs(c[b]![f]! - want)).toBeLessThan(1e-9);
      }
    });
  });

  it('padded positions of the memory get no gradient', () => {
    const attention = make.general();
    const memory = randUniform([2, 3, 5], -1, 1, { dtype: 'float64', generator: g, requiresGrad: true });
    const query = randUniform([2, 4], -1, 1, { dtype: 'float64', generator: g });
    const { context } = attend(attention, query, memory, attention.keys(memory), lengthMask([1, 3], 3));
    context.sum().backward();
    const grad = memory.grad!.toArray() as number[][][];
    for (const j of [1, 2]) expect(grad[0]![j]!.every((v) => v === 0)).toBe(true);
    expect(grad[1]![2]!.some((v) => v !== 0)).toBe(true);
  });
});

describe.each(KINDS)('a padded batch equals its examples one at a time (%s)', (kind) => {
  it('logits, attention, loss, greedy and beam outputs agree', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }), (seed, srcLengths) => {
      const g = new RandomGenerator(seed);
      const model = tinyModel({ kind, seed });
      model.eval();
      const B = srcLengths.length;
      const tgtLengths = srcLengths.map(() => 1 + g.int(4));
      const src = randomIds(g, srcLengths, 7);
      const targets = randomIds(g, tgtLengths, 6, { endWith: EOS });
      const S = src.shape[1]!, T = targets.shape[1]!, V = 6;
      const batched = model.forward(src, targets);
      const logits = batched.logits.values(), att = batched.attention?.values();
      const tokenLoss = crossEntropy(batched.logits, targets, { ignoreIndex: model.padId, reduction: 'none' }).values();
      const greedy = model.greedy(src, { maxLength: 6 });
      const beams = model.beamSearch(src, { beamWidth: 3, maxLength: 6 });
      let lossSum = 0, tokens = 0;
      for (let b = 0; b < B; b++) {
        const s1 = row(src, b, srcLengths[b]!), t1 = row(targets, b, tgtLengths[b]!);
        const alone = model.forward(s1, t1);
        // Logits of the real target steps.
        const want = alone.logits.values();
        const got = logits.subarray(b * T * V, (b * T + tgtLengths[b]!) * V);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
        if (att) {
          const a1 = alone.attention!.toArray() as number[][][];
          for (let t = 0; t < tgtLengths[b]!; t++) {
            const rowAtt = att.subarray((b * T + t) * S, (b * T + t + 1) * S);
            expect(maxAbsDiff(rowAtt.subarray(0, srcLengths[b]!), a1[0]![t]!)).toBeLessThan(1e-12);
            for (let j = srcLengths[b]!; j < S; j++) expect(rowAtt[j]).toBe(0);
          }
        }
        const single = crossEntropy(alone.logits, t1, { reduction: 'sum' }).item();
        lossSum += single;
        tokens += tgtLengths[b]!;
        expect(Math.abs(single - Array.from(tokenLoss.subarray(b * T, b * T + T)).reduce((s, v) => s + v, 0))).toBeLessThan(1e-12);
        const g1 = model.greedy(s1, { maxLength: 6 })[0]!;
        expect(greedy[b]!.tokens).toEqual(g1.tokens);
        expect(Math.abs(greedy[b]!.logProb - g1.logProb)).toBeLessThan(1e-12);
        if (g1.attention) expect(maxAbsDiff(greedy[b]!.attention!.flat(), g1.attention.flat())).toBeLessThan(1e-12);
        const b1 = model.beamSearch(s1, { beamWidth: 3, maxLength: 6 })[0]!;
        expect(beams[b]!.map((h) => h.tokens)).toEqual(b1.map((h) => h.tokens));
      }
      // The mean loss of the batch is the mean over real target tokens: padding adds nothing.
      const loss = crossEntropy(batched.logits, targets, { ignoreIndex: model.padId }).item();
      expect(Math.abs(loss - lossSum / tokens)).toBeLessThan(1e-12);
      expect(Math.abs(model.loss(src, targets).loss.item() - loss)).toBeLessThan(1e-12);
    }), { seed: SEED, numRuns: 6 });
  });

  it('explicit srcLengths agree with lengths read from trailing pad ids', () => {
    const g = new RandomGenerator(3);
    const model = tinyModel({ kind, seed: 3 });
    const src = randomIds(g, [3, 1, 2], 7);
    const targets = randomIds(g, [2, 2, 2], 6, { endWith: EOS });
    const a = model.forward(src, targets).logits.values();
    const b = model.forward(src, targets, { srcLengths: [3, 1, 2] }).logits.values();
    expect(maxAbsDiff(a, b)).toBe(0);
    // And a pad-free tensor with explicit lengths means the same as the padded one.
    const filled = new Tensor(K.fromData(Int32Array.from(src.values(), (v) => (v === 0 ? 5 : v)), src.shape));
    const c = model.forward(filled, targets, { srcLengths: [3, 1, 2] }).logits.values();
    expect(maxAbsDiff(a, c)).toBeLessThan(1e-12);
  });
});
