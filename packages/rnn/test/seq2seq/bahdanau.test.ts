// Bahdanau order (attention queried with the previous state, its context fed into the cell):
// the step is its equations, gradients match central differences, decoding and training work,
// and options that do not fit are refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, concat, crossEntropy, gradcheckModule, noGrad, randn, tanh } from '@unroll/autograd';
import {
  Decoder, GRUCell, LSTMCell, attend, createAttention, stackCells,
} from '../../src/index.js';
import type { AttentionKind, RecurrentCell } from '../../src/index.js';
import { GRAD_TOL, SEED } from '../helpers.js';
import { BOS, EOS, PAD, learnReversal, maxAbsDiff, randomIds, tinyModel } from './helpers.js';

const ATTENDING: readonly AttentionKind[] = ['additive', 'dot', 'general'];

describe.each(ATTENDING)('Bahdanau order (%s)', (kind) => {
  it('one step is its equations: α from the previous state\'s h, [E y; c] into the cell, h̃ = tanh(W_c [o; c])', () => {
    const g = new RandomGenerator(2);
    const dtype = 'float64';
    const M = 4, E = 3;
    const cells: [string, RecurrentCell<any>, (s: any) => Tensor][] = [
      ['GRU', new GRUCell({ inputSize: E + M, hiddenSize: 4, dtype, generator: g }), (s) => s.h],
      ['LSTM', new LSTMCell({ inputSize: E + M, hiddenSize: 4, dtype, generator: g }), (s) => s.h],
      ['stacked', stackCells([new GRUCell({ inputSize: E + M, hiddenSize: 5, dtype, generator: g }), new LSTMCell({ inputSize: 5, hiddenSize: 4, dtype, generator: g })]),
        (s) => s.layers[1].h],
    ];
    for (const [name, cell, h] of cells) {
      const attention = createAttention(kind, { querySize: 4, memorySize: M, attentionSize: 3, dtype, generator: g });
      const decoder = new Decoder({ vocabSize: 6, embeddingDim: E, cell, attention, attentionOrder: 'bahdanau', dtype, generator: g });
      expect(decoder.inputFeeding).toBe(false);
      const memory = randn([2, 3, M], { dtype, generator: g });
      const prepared = decoder.prepare(memory, new Tensor(K.fromData(Int32Array.from([1, 1, 1, 1, 1, 0]), [2, 3])));
      // A non-zero previous state, so the query matters.
      let state = decoder.initialState(cell.initialState(2), 2);
      state = decoder.step(state, [3, 4], prepared).state;
      const ids = [5, 1];
      const got = decoder.step(state, ids, prepared);
      const want = noGrad(() => {
        const a = attend(attention, h(state.cell), prepared.memory, prepared.keys, prepared.mask);
        const x = concat([decoder.embedding.forward(new Tensor(K.fromData(Int32Array.from(ids), [2]))), a.context], 1);
        const r = cell.step(state.cell, x);
        const hidden = tanh(decoder.combine!.forward(concat([r.output, a.context], 1)));
        return { logits: decoder.output.forward(hidden), weights: a.weights, h: h(r.state) };
      });
      expect(maxAbsDiff(got.logits.values(), want.logits.values()), name).toBeLessThan(1e-12);
      expect(maxAbsDiff(got.attention!.values(), want.weights.values()), name).toBeLessThan(1e-12);
      expect(maxAbsDiff(h(got.state.cell).values(), want.h.values()), name).toBeLessThan(1e-12);
      expect(got.state.feed).toBeNull();
      expect(got.attention!.values()[5]).toBe(0); // padding gets no weight
    }
  });

  it('matches central differences for every parameter (padded source and targets)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }),
      fc.constantFrom('gru' as const, 'lstm' as const, 'rnn' as const), fc.integer({ min: 0, max: 1_000_000 }),
      (batch, srcLen, tgtLen, cell, seed) => {
        const g = new RandomGenerator(seed);
        const model = tinyModel({ kind, seed, hidden: 2, cell, embeddingDim: 2, srcVocab: 5, tgtVocab: 5, order: 'bahdanau' });
        const src = randomIds(g, Array.from({ length: batch }, (_, b) => (b === 0 ? srcLen : 1 + g.int(srcLen))), 5);
        const targets = randomIds(g, Array.from({ length: batch }, (_, b) => (b === 0 ? tgtLen : 1 + g.int(tgtLen))), 5, { endWith: EOS });
        const r = gradcheckModule(model, () => {
          const out = model.forward(src, targets);
          return [crossEntropy(out.logits, targets, { ignoreIndex: model.padId }), out.attention!];
        }, GRAD_TOL);
        expect(r.ok, r.report).toBe(true);
      }), { seed: SEED, numRuns: 4 });
  });

  it('beam search with width 1 equals greedy decoding, and sampling with topK 1 too', () => {
    for (const seed of [1, 2, 3]) {
      const model = tinyModel({ kind, seed, hidden: 4, order: 'bahdanau' });
      const src = randomIds(new RandomGenerator(seed), [3, 1, 4], 7);
      const greedy = model.greedy(src, { maxLength: 6 });
      const beam = model.beamSearch(src, { beamWidth: 1, maxLength: 6 });
      greedy.forEach((r, b) => {
        expect(beam[b]![0]!.tokens).toEqual(r.tokens);
        expect(Math.abs(beam[b]![0]!.logProb - r.logProb)).toBeLessThan(1e-12);
      });
      expect(model.sample(src, { topK: 1, maxLength: 6 })).toEqual(greedy);
    }
  });
});

describe('Bahdanau order: training', () => {
  it('a small model in Bahdanau order learns to reverse sequences', () => {
    const model = tinyModel({ kind: 'additive', seed: 12, srcVocab: 8, tgtVocab: 8, embeddingDim: 8, hidden: 12, dtype: 'float32', order: 'bahdanau' });
    expect(model.decoder.attentionOrder).toBe('bahdanau');
    const { loss, correct } = learnReversal(model);
    expect(loss).toBeLessThan(0.1);
    expect(correct).toBeGreaterThanOrEqual(95);
  });
});

describe('Bahdanau order: options that do not fit are refused', () => {
  const g = new RandomGenerator(0);
  const attention = () => createAttention('additive', { querySize: 4, memorySize: 6, generator: g });
  const gru = (inputSize: number) => new GRUCell({ inputSize, hiddenSize: 4, generator: g });
  const base = { vocabSize: 5, embeddingDim: 3 };

  it('names the option and what it needs', () => {
    expect(() => new Decoder({ ...base, cell: gru(9), attention: attention(), attentionOrder: 'bahdanou' as never }))
      .toThrow(/^Decoder: attentionOrder must be 'luong' or 'bahdanau'; got bahdanou$/);
    expect(() => new Decoder({ ...base, cell: gru(3), attentionOrder: 'bahdanau' })).toThrow(/^Decoder: attentionOrder 'bahdanau' needs attention$/);
    expect(() => new Decoder({ ...base, cell: gru(9), attention: attention(), attentionOrder: 'bahdanau', inputFeeding: true }))
      .toThrow(/^Decoder: inputFeeding is Luong order's; in attentionOrder 'bahdanau' the context itself is fed into the cell$/);
    expect(() => new Decoder({ ...base, cell: gru(7), attention: attention(), attentionOrder: 'bahdanau' }))
      .toThrow(/^Decoder: cell.inputSize must be 9 = embeddingDim \(3\) \+ attention.memorySize \(6\) for attentionOrder 'bahdanau'; got 7$/);
    expect(() => new Decoder({ ...base, cell: gru(7), attention: attention(), queryFromState: (s: { h: Tensor }) => s.h }))
      .toThrow(/^Decoder: queryFromState needs attentionOrder 'bahdanau'/);
    const wide = createAttention('dot', { querySize: 6, memorySize: 6 });
    expect(() => new Decoder({ ...base, cell: gru(9), attention: wide, attentionOrder: 'bahdanau' }))
      .toThrow(/^Decoder: attention.querySize \(6\) must equal the query read from the cell state \(4\)$/);
  });

  it('a user cell whose state has no h needs queryFromState; a wrong query shape is refused', () => {
    const inner = gru(9);
    // A user cell keeping its hidden state under another name (its weights in the `inner` property).
    const custom: RecurrentCell<{ memory: Tensor }> & { inner: GRUCell } = {
      inner, inputSize: 9, outputSize: 4,
      initialState: (batch) => ({ memory: inner.initialState(batch).h }),
      step: (s, x) => {
        const r = inner.step({ h: s.memory }, x);
        return { state: { memory: r.state.h }, output: r.output };
      },
    };
    expect(() => new Decoder({ ...base, cell: custom, attention: attention(), attentionOrder: 'bahdanau' }))
      .toThrow(/^Decoder: attentionOrder 'bahdanau' queries attention with the previous state's h, and this cell's state has none; pass queryFromState/);
    expect(() => new Decoder({ ...base, cell: custom, attention: attention(), attentionOrder: 'bahdanau', queryFromState: () => K.zeros([4]) as never }))
      .toThrow(/^Decoder: queryFromState\(cell.initialState\(1\)\) must be a tensor \[1, querySize\]; got object$/);
    const ok = new Decoder({ ...base, cell: custom, attention: attention(), attentionOrder: 'bahdanau', queryFromState: (s) => s.memory });
    const memory = ok.prepare(new Tensor(K.zeros([2, 3, 6])), null);
    const r = ok.step(ok.initialState({ memory: inner.initialState(2).h }, 2), [BOS, BOS], memory);
    expect(r.logits.shape).toEqual([2, 5]);
    expect(() => ok.step(ok.initialState({ memory: inner.initialState(1).h }, 2), [BOS, BOS], memory))
      .toThrow(/^Decoder\.step: queryFromState\(state\) must be \[2, 4\]; got \[1, 4\]$/);
  });
});
