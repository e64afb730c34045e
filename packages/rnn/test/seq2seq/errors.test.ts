// Bad input gets a clear error: ids outside a vocabulary, empty sequences, mismatched batch
// sizes, incompatible bridges and sizes, bad options.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, tensor } from '@unroll/autograd';
import {
  AdditiveAttention, Decoder, DotAttention, Encoder, GRUCell, LSTMCell, LinearBridge, Seq2Seq, bidirectional,
  createAttention, identityBridge, padSequences,
} from '../../src/index.js';
import { BOS, EOS, PAD, randomIds, tinyModel } from './helpers.js';

const ids = (rows: number[][]) => tensor(rows, { dtype: 'int32' });

describe('seq2seq input errors', () => {
  const model = tinyModel({ kind: 'additive', seed: 1 }); // source vocabulary 7, target vocabulary 6
  const src = ids([[3, 4, 5], [6, 3, 0]]);
  const targets = ids([[3, 4, EOS], [5, EOS, PAD]]);

  it('ids out of the vocabulary', () => {
    expect(() => model.forward(ids([[3, 7, 4], [3, 3, 3]]), targets)).toThrow('Seq2Seq.forward: src id 7 at [0, 1] is outside the source vocabulary [0, 7)');
    expect(() => model.forward(ids([[3, -1, 4], [3, 3, 3]]), targets)).toThrow(/src id -1 at \[0, 1\] is outside the source vocabulary/);
    expect(() => model.forward(src, ids([[3, 4, EOS], [9, EOS, PAD]]))).toThrow('Seq2Seq.forward: targets id 9 at [1, 0] is outside the target vocabulary [0, 6)');
    expect(() => model.greedy(ids([[3, 70]]))).toThrow(/Encoder\.forward: src id 70 at \[0, 1\] is outside the source vocabulary \[0, 7\)/);
    expect(() => model.beamSearch(ids([[30]]))).toThrow(/src id 30 at \[0, 0\]/);
    const enc = model.encode(src);
    expect(() => model.decoder.step(enc.state, [BOS, 6], enc.memory)).toThrow('Decoder.step: ids[1] = 6 is outside the target vocabulary [0, 6)');
  });

  it('ids of the wrong kind', () => {
    expect(() => model.forward(tensor([[3, 4]]), targets)).toThrow(/targets|src/);
    expect(() => model.greedy(tensor([[3, 4]]))).toThrow('Encoder.forward: src must be an int32 tensor of token ids; got float32');
    expect(() => model.greedy(tensor([3, 4], { dtype: 'int32' }))).toThrow('Encoder.forward: src must be [batch, time]; got [2]');
    expect(() => model.greedy([[3, 4]] as unknown as Tensor)).toThrow(/src must be an int32 Tensor \[batch, time\] of token ids; got object \(padSequences builds one\)/);
  });

  it('empty sequences', () => {
    const none = new Tensor(K.zeros([2, 0], { dtype: 'int32' }));
    expect(() => model.greedy(none)).toThrow('Encoder.forward: src has no tokens (time = 0): [2, 0]; every sequence needs at least one');
    expect(() => model.forward(src, new Tensor(K.zeros([2, 0], { dtype: 'int32' })))).toThrow(/targets has no tokens \(time = 0\)/);
    expect(() => model.greedy(new Tensor(K.zeros([0, 3], { dtype: 'int32' })))).toThrow(/src has an empty batch: \[0, 3\]/);
    // A row of padding only is an empty sequence too.
    expect(() => model.forward(ids([[3, 4, 5], [0, 0, 0]]), targets)).toThrow('Encoder.forward: src row 1 is empty (only padding, id 0); every sequence needs at least one token');
    expect(() => model.greedy(src, { srcLengths: [3, 0] })).toThrow(/lengths\[1\] = 0 is outside \[1, 3\]/);
    expect(() => padSequences([[1, 2], []], PAD)).toThrow('padSequences: sequences[1] is empty (a sequence needs at least one token)');
    expect(() => padSequences([], PAD)).toThrow(/non-empty array/);
  });

  it('mismatched batch sizes', () => {
    expect(() => model.forward(src, ids([[3, EOS]]))).toThrow('Seq2Seq.forward: src has 2 rows but targets has 1; batch sizes must match');
    expect(() => model.forward(src, targets, { srcLengths: [3] })).toThrow(/lengths must have one entry per sequence \(batch 2\); got 1/);
    const enc = model.encode(src);
    expect(() => model.decoder.step(enc.state, [BOS, BOS, BOS], enc.memory)).toThrow('Decoder.step: ids has 3 rows but the memory has 2 ([2, 3, 6]); batch sizes must match');
    expect(() => model.decoder.step(enc.state, [BOS], null)).toThrow(/needs the prepared encoder memory/);
  });

  it('bad training options', () => {
    expect(() => model.forward(src, targets, { teacherForcing: 1.5 })).toThrow('Seq2Seq.forward: teacherForcing must be in [0, 1]; got 1.5');
  });
});

describe('seq2seq construction errors', () => {
  const g = new RandomGenerator(2);
  const gru = (i: number, h: number) => new GRUCell({ inputSize: i, hiddenSize: h, generator: g });
  const lstm = (i: number, h: number) => new LSTMCell({ inputSize: i, hiddenSize: h, generator: g });

  it('an encoder whose rnn does not read the embedding size', () => {
    expect(() => new Encoder({ vocabSize: 5, embeddingDim: 4, rnn: gru(3, 2) })).toThrow('Encoder: rnn.inputSize (3) must equal embeddingDim (4)');
    expect(() => new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: bidirectional(gru(3, 2)), reverseSource: true })).toThrow(/reverseSource needs a cell as rnn/);
    expect(() => new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: {} as never })).toThrow(/rnn must be a RecurrentCell/);
    expect(() => new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: gru(3, 2), hidden: 3 } as never)).toThrow(/unknown option 'hidden'/);
  });

  it('a decoder cell of the wrong input size, or attention of the wrong size', () => {
    const attention = createAttention('general', { querySize: 4, memorySize: 6 });
    expect(() => new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(3, 4), attention })).toThrow('Decoder: cell.inputSize must be 7 = embeddingDim (3) + attentionalSize (4) for input feeding; got 3');
    expect(() => new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(4, 4) })).toThrow('Decoder: cell.inputSize must be 3 (embeddingDim); got 4');
    expect(() => new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(7, 5), attention })).toThrow('Decoder: attention.querySize (4) must equal cell.outputSize (5)');
    expect(() => new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(3, 4), inputFeeding: true })).toThrow('Decoder: inputFeeding needs attention');
    expect(() => new DotAttention({ querySize: 4, memorySize: 6 })).toThrow(/querySize \(4\) must equal memorySize \(6\); use 'general' or 'additive'/);
    expect(() => new AdditiveAttention({ querySize: 0, memorySize: 6 })).toThrow(/querySize must be a positive integer; got 0/);
    expect(() => createAttention('cosine' as never, { querySize: 4, memorySize: 4 })).toThrow(/kind must be 'additive', 'dot' or 'general'; got cosine/);
  });

  it('an attention reading a memory of another size than the encoder writes', () => {
    const encoder = new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: bidirectional(gru(3, 2), gru(3, 2)) }); // outputs 4
    const cell = gru(3 + 4, 4);
    const decoder = new Decoder({ vocabSize: 5, embeddingDim: 3, cell, attention: createAttention('general', { querySize: 4, memorySize: 6 }) });
    expect(() => new Seq2Seq({ encoder, decoder, bridge: new LinearBridge(encoder, cell), bosId: 1, eosId: 2, padId: 0 }))
      .toThrow('Seq2Seq: the decoder\'s attention reads memorySize 6, but the encoder outputs 4 features');
  });

  it('a bridge that does not give the decoder cell its state', () => {
    const encoder = new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: lstm(3, 4) });
    // LSTM { h, c } → GRU { h }: not the identity.
    const decoder = new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(3, 4), paddingIdx: 0 });
    expect(() => new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: 1, eosId: 2 }))
      .toThrow(/Seq2Seq: the bridge returned a state with state\.h, state\.c; the decoder cell's state has state\.h — use a LinearBridge/);
    // Same record, other sizes.
    const wide = new Decoder({ vocabSize: 5, embeddingDim: 3, cell: lstm(3, 6), paddingIdx: 0 });
    expect(() => new Seq2Seq({ encoder, decoder: wide, bridge: identityBridge(), bosId: 1, eosId: 2 }))
      .toThrow('Seq2Seq: the bridge returned state.h [1, 4]; the decoder cell needs [1, 6] — use a LinearBridge (or your own function) to map the encoder state to the decoder cell\'s state');
    expect(() => new Seq2Seq({ encoder, decoder, bridge: 'identity' as never, bosId: 1, eosId: 2 })).toThrow(/bridge must be a function/);
  });

  it('special ids', () => {
    const encoder = new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: gru(3, 4) });
    const decoder = new Decoder({ vocabSize: 5, embeddingDim: 3, cell: gru(3, 4) });
    const bridge = identityBridge<{ h: Tensor }>();
    expect(() => new Seq2Seq({ encoder, decoder, bridge, bosId: 1, eosId: 2 })).toThrow('Seq2Seq: padId is needed (or give the decoder a paddingIdx)');
    expect(() => new Seq2Seq({ encoder, decoder, bridge, bosId: 1, eosId: 5, padId: 0 })).toThrow('Seq2Seq: eosId (5) must be an id of the target vocabulary [0, 5)');
    expect(() => new Seq2Seq({ encoder, decoder, bridge, bosId: 1, eosId: 0, padId: 0 })).toThrow(/eosId and padId must differ/);
  });
});

describe('padSequences', () => {
  it('pads at the end and reports lengths', () => {
    const { ids: t, lengths } = padSequences([[5, 6, 2], [7, 2]], 0);
    expect(t.toArray()).toEqual([[5, 6, 2], [7, 2, 0]]);
    expect(t.dtype).toBe('int32');
    expect(lengths).toEqual([3, 2]);
    expect(padSequences([[1]], 0, { length: 3 }).ids.toArray()).toEqual([[1, 0, 0]]);
    expect(() => padSequences([[1, 2]], 0, { length: 1 })).toThrow(/length must be an integer ≥ the longest sequence \(2\)/);
    expect(() => padSequences([[1, 2.5]], 0)).toThrow('padSequences: sequences[0][1] = 2.5 is not an integer id');
    void randomIds;
  });
});
