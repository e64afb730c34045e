// Gradients through encoder + bridge + attention + decoder, checked by central differences at
// tiny sizes in float64, for every attention kind and for the attention-free model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, crossEntropy, gradcheckModule } from '@unroll/autograd';
import { GRAD_TOL, SEED } from '../helpers.js';
import { EOS, KINDS, randomIds, tinyModel } from './helpers.js';

const sizes = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  srcLen: fc.integer({ min: 1, max: 3 }),
  tgtLen: fc.integer({ min: 1, max: 3 }),
  hidden: fc.integer({ min: 1, max: 2 }),
  cell: fc.constantFrom('gru' as const, 'lstm' as const, 'rnn' as const),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describe.each(KINDS)('seq2seq with %s attention', (kind) => {
  it('matches central differences for every parameter (padded source and targets)', () => {
    fc.assert(fc.property(sizes, ({ batch, srcLen, tgtLen, hidden, cell, seed }) => {
      const g = new RandomGenerator(seed);
      const model = tinyModel({ kind, seed, hidden, cell, embeddingDim: 2, srcVocab: 5, tgtVocab: 5 });
      // Row 0 is full length, the others may be shorter (padding in source and targets).
      const srcLengths = Array.from({ length: batch }, (_, b) => (b === 0 ? srcLen : 1 + g.int(srcLen)));
      const tgtLengths = Array.from({ length: batch }, (_, b) => (b === 0 ? tgtLen : 1 + g.int(tgtLen)));
      const src = randomIds(g, srcLengths, 5);
      const targets = randomIds(g, tgtLengths, 5, { endWith: EOS });
      const r = gradcheckModule(model, () => {
        const out = model.forward(src, targets);
        // The loss (padding ignored) and the attention weights themselves, so both are checked.
        const loss = crossEntropy(out.logits, targets, { ignoreIndex: model.padId });
        return out.attention ? [loss, out.attention] : [loss];
      }, GRAD_TOL);
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 4 });
  });
});
