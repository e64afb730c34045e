// The README's seq2seq snippets, run as written (so the docs cannot rot).
import { describe, expect, it } from 'vitest';
import { Adam, RandomGenerator, manualSeed } from '@unroll/autograd';
import * as K from '@unroll/core';
import {
  AdditiveAttention, Decoder, Encoder, GRUCell, LSTMCell, LinearBridge, Seq2Seq, bidirectional, createAttention, identityBridge,
  padSequences,
} from '../../src/index.js';

describe('README: Seq2seq', () => {
  it('builds, trains one step and decodes', () => {
    manualSeed(0);
    // --- README snippet 1 ---
    const PAD = 0, BOS = 1, EOS = 2;
    const encoder = new Encoder({
      vocabSize: 40, embeddingDim: 32, paddingIdx: PAD,
      rnn: bidirectional(new GRUCell({ inputSize: 32, hiddenSize: 64 }), new GRUCell({ inputSize: 32, hiddenSize: 64 })),
    });                                                                   // outputs [B, S, 128]
    const cell = new GRUCell({ inputSize: 32 + 128, hiddenSize: 128 });   // reads [embedding; h̃ₜ₋₁]
    const decoder = new Decoder({
      vocabSize: 14, embeddingDim: 32, paddingIdx: PAD, cell,
      attention: createAttention('additive', { querySize: 128, memorySize: 128 }),
    });
    const model = new Seq2Seq({ encoder, decoder, bridge: new LinearBridge(encoder, cell), bosId: BOS, eosId: EOS });

    const src = padSequences([[5, 9, 7], [8, 4]], PAD).ids;            // int32 [B, S]; lengths from the padding
    const tgt = padSequences([[3, 4, EOS], [6, EOS]], PAD).ids;        // each row ends with EOS, then PAD
    const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
    const { loss, logits, attention } = model.loss(src, tgt);          // mean over real target tokens
    loss.backward();
    optimizer.step();

    model.eval();
    const greedy = model.greedy(src, { maxLength: 12 });               // per row: { tokens, finished, logProb, attention }
    const beams = model.beamSearch(src, { beamWidth: 5, lengthPenalty: { alpha: 0.6 } }); // per row: best first
    // --- end ---
    // --- README snippet: sampling ---
    const samples = model.sample(src, { temperature: 0.8, topK: 10, topP: 0.9, generator: new RandomGenerator(7) });
    const again = model.sample(src, { temperature: 0.8, topK: 10, topP: 0.9, generator: new RandomGenerator(7) }); // the same
    // --- end ---
    expect(again).toEqual(samples);
    expect(samples).toHaveLength(2);
    // --- README snippet: Bahdanau order ---
    const bahdanau = new Decoder({
      vocabSize: 14, embeddingDim: 32, paddingIdx: PAD, attentionOrder: 'bahdanau',
      cell: new GRUCell({ inputSize: 32 + 128, hiddenSize: 128 }),           // reads [embedding; c_t]
      attention: new AdditiveAttention({ querySize: 128, memorySize: 128 }), // queried with s_{t−1}
    });
    // --- end ---
    const bModel = new Seq2Seq({ encoder, decoder: bahdanau, bridge: new LinearBridge(encoder, bahdanau.cell), bosId: BOS, eosId: EOS });
    expect(bModel.loss(src, tgt).logits.shape).toEqual([2, 3, 14]);
    expect(logits.shape).toEqual([2, 3, 14]);
    expect(attention!.shape).toEqual([2, 3, 3]);
    expect(greedy).toHaveLength(2);
    expect(beams[0]!.length).toBeGreaterThan(0);
    expect(beams[0]![0]!.score).toBeGreaterThanOrEqual(beams[0]!.at(-1)!.score);
  });

  it('steps the decoder by hand, and builds the attention-free model', () => {
    manualSeed(0);
    const PAD = 0, BOS = 1, EOS = 2;
    // --- README snippet 2 ---
    const reversed = new Seq2Seq({
      encoder: new Encoder({ vocabSize: 40, embeddingDim: 32, paddingIdx: PAD, reverseSource: true,
        rnn: new LSTMCell({ inputSize: 32, hiddenSize: 128 }) }),
      decoder: new Decoder({ vocabSize: 14, embeddingDim: 32, paddingIdx: PAD, cell: new LSTMCell({ inputSize: 32, hiddenSize: 128 }) }),
      bridge: identityBridge(),                                         // LSTM { h, c } → LSTM { h, c }
      bosId: BOS, eosId: EOS,
    });
    const src = padSequences([[5, 9, 7], [8, 4]], PAD).ids;
    const enc = reversed.encode(src);                                   // { state, memory, lengths }
    let state = enc.state, ids = [BOS, BOS];
    for (let t = 0; t < 5; t++) {
      const r = reversed.decoder.step(state, ids, enc.memory);          // logits [B, V], attention [B, S] | null
      state = r.state;
      ids = Array.from(K.argmax(r.logits.data, 1).data);               // feed back the most likely token
    }
    // --- end ---
    expect(ids).toHaveLength(2);
  });
});
