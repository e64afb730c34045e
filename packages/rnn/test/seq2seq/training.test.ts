// Training: teacher forcing is the documented step loop, scheduled sampling feeds the model's own
// argmax, the loss ignores padding, and a small model learns to reverse sequences.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Tensor, noGrad } from '@unroll/autograd';
import type { Seq2Seq } from '../../src/index.js';
import { BOS, EOS, KINDS, PAD, learnReversal, maxAbsDiff, randomIds, tinyModel } from './helpers.js';

/** The decoder loop by hand: each step reads `feed(t, previousLogits)` and returns logits [B, T, V]. */
function manualLoop(model: Seq2Seq<any, any>, src: Tensor, T: number, feed: (t: number, prev: Float64Array | null) => number[]): number[] {
  return noGrad(() => {
    const enc = model.encode(src);
    let state = enc.state, prev: Float64Array | null = null;
    const out: number[][] = [];
    for (let t = 0; t < T; t++) {
      const r = model.decoder.step(state, feed(t, prev), enc.memory);
      state = r.state;
      prev = r.logits.values() as Float64Array;
      out.push([...prev]);
    }
    // [T][B·V] → [B, T, V] order.
    const B = src.shape[0]!, V = model.decoder.vocabSize, flat: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) flat.push(...out[t]!.slice(b * V, (b + 1) * V));
    return flat;
  });
}

const argmaxRows = (logits: Float64Array, V: number) =>
  Array.from({ length: logits.length / V }, (_, b) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[b * V + v]! > logits[b * V + best]!) best = v;
    return best;
  });

describe.each(KINDS)('teacher forcing (%s)', (kind) => {
  const g = new RandomGenerator(4);
  const model = tinyModel({ kind, seed: 4 });
  const src = randomIds(g, [3, 2, 4], 7);
  const targets = randomIds(g, [3, 3, 1], 6, { endWith: EOS });
  const T = targets.shape[1]!, y = targets.values();

  it('ratio 1 feeds bosId, then the true previous tokens', () => {
    const want = manualLoop(model, src, T, (t) => [0, 1, 2].map((b) => (t === 0 ? BOS : y[b * T + t - 1]!)));
    expect(maxAbsDiff(model.forward(src, targets).logits.values(), want)).toBeLessThan(1e-12);
  });

  it('ratio 0 feeds the model\'s own most likely previous token', () => {
    const want = manualLoop(model, src, T, (t, prev) => (t === 0 ? [BOS, BOS, BOS] : argmaxRows(prev!, 6)));
    expect(maxAbsDiff(model.forward(src, targets, { teacherForcing: 0 }).logits.values(), want)).toBeLessThan(1e-12);
  });

  it('a ratio in between mixes the two, reproducibly from its generator', () => {
    const mixed = (seed: number) => model.forward(src, targets, { teacherForcing: 0.5, generator: new RandomGenerator(seed) }).logits.values();
    expect(maxAbsDiff(mixed(7), mixed(7))).toBe(0);
    // Every step reads, per row, either the true token or the argmax: the logits of each row match
    // one of the two pure runs at step 1 (when both differ, the run took one of them).
    const teacher = model.forward(src, targets).logits.values();
    const free = model.forward(src, targets, { teacherForcing: 0 }).logits.values();
    const V = 6;
    const m = mixed(7);
    for (let b = 0; b < 3; b++) {
      const at = (a: ArrayLike<number>) => Array.from(a).slice((b * T + 1) * V, (b * T + 2) * V);
      const d1 = maxAbsDiff(at(m), at(teacher)), d0 = maxAbsDiff(at(m), at(free));
      expect(Math.min(d0, d1)).toBeLessThan(1e-12);
    }
  });
});

describe('training', () => {
  it('a small attention model learns to reverse sequences', () => {
    // Source: 2–5 symbols from {3..7}; target: the same reversed, then EOS.
    const model = tinyModel({ kind: 'general', seed: 12, srcVocab: 8, tgtVocab: 8, embeddingDim: 8, hidden: 12, dtype: 'float32' });
    const { loss, correct } = learnReversal(model);
    expect(loss).toBeLessThan(0.1);
    expect(correct).toBeGreaterThanOrEqual(95);
  });
});
