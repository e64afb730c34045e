// Seq2seq test helpers: tiny float64 models of every attention kind, random padded id batches,
// and closeness of number lists.
import * as K from '@unroll/core';
import { Adam, RandomGenerator, Tensor, clipGradNorm } from '@unroll/autograd';
import {
  Decoder, Encoder, GRUCell, LSTMCell, LinearBridge, RNNCell, Seq2Seq, bidirectional, createAttention, identityBridge,
  padSequences,
} from '../../src/index.js';
import type { AttentionKind, AttentionOrder, RecurrentCell } from '../../src/index.js';

export const PAD = 0, BOS = 1, EOS = 2;
export type Kind = AttentionKind | 'none';
export const KINDS: readonly Kind[] = ['additive', 'dot', 'general', 'none'];

export interface TinyOptions {
  kind: Kind;
  seed: number;
  srcVocab?: number;
  tgtVocab?: number;
  embeddingDim?: number;
  hidden?: number;
  cell?: 'gru' | 'lstm' | 'rnn';
  dtype?: 'float32' | 'float64';
  /** The decoder's attention order (default 'luong'); the cell input size is the same in both here (E + 2H). */
  order?: AttentionOrder;
}

/**
 * A small model (float64 by default): with attention, a bidirectional encoder, a LinearBridge and
 * input feeding; without, a reversed-source encoder and the identity bridge.
 */
export function tinyModel(o: TinyOptions): Seq2Seq<any, any> {
  const g = new RandomGenerator(o.seed);
  const dtype = o.dtype ?? 'float64', E = o.embeddingDim ?? 3, H = o.hidden ?? 3;
  const cell = (inputSize: number, hiddenSize: number): RecurrentCell<any> => {
    const opts = { inputSize, hiddenSize, dtype, generator: g };
    return o.cell === 'lstm' ? new LSTMCell(opts) : o.cell === 'rnn' ? new RNNCell(opts) : new GRUCell(opts);
  };
  const common = { embeddingDim: E, paddingIdx: PAD, dtype, generator: g } as const;
  const srcVocab = o.srcVocab ?? 7, tgtVocab = o.tgtVocab ?? 6;
  if (o.kind === 'none') {
    const encoder = new Encoder({ ...common, vocabSize: srcVocab, rnn: cell(E, 2 * H), reverseSource: true });
    const decoder = new Decoder({ ...common, vocabSize: tgtVocab, cell: cell(E, 2 * H) });
    return new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: BOS, eosId: EOS });
  }
  const encoder = new Encoder({ ...common, vocabSize: srcVocab, rnn: bidirectional(cell(E, H), cell(E, H)) });
  const attention = createAttention(o.kind, { querySize: 2 * H, memorySize: 2 * H, attentionSize: H, dtype, generator: g });
  const decoderCell = cell(E + 2 * H, 2 * H);
  const decoder = new Decoder({ ...common, vocabSize: tgtVocab, cell: decoderCell, attention, attentionOrder: o.order });
  return new Seq2Seq({ encoder, decoder, bridge: new LinearBridge(encoder, decoderCell, { dtype, generator: g }), bosId: BOS, eosId: EOS });
}

/** Random non-pad ids in [firstId, vocab) for `lengths` rows, padded with PAD to `width`. */
export function randomIds(g: RandomGenerator, lengths: readonly number[], vocab: number, opts: { width?: number; firstId?: number; endWith?: number } = {}): Tensor {
  const width = opts.width ?? Math.max(...lengths);
  const first = opts.firstId ?? 3;
  const data = new Int32Array(lengths.length * width).fill(PAD);
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) data[b * width + t] = first + g.int(vocab - first);
    if (opts.endWith !== undefined) data[b * width + len - 1] = opts.endWith;
  });
  return new Tensor(K.fromData(data, [lengths.length, width]));
}

/** Row b of an id tensor [B, T], cut to `length` columns. */
export function row(ids: Tensor, b: number, length: number): Tensor {
  const T = ids.shape[1]!;
  return new Tensor(K.fromData(Int32Array.from(ids.values().subarray(b * T, b * T + length)), [1, length]));
}

/** Largest |a − b| over two equal-length number lists. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: ${a.length} vs ${b.length} values`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Trains `model` for 200 Adam steps on the reversal task (2–5 symbols from {3..7}, target the same
 * reversed then EOS) and returns the last batch loss and how many of 100 fresh sequences greedy
 * decoding reverses exactly.
 */
export function learnReversal(model: Seq2Seq<any, any>, seed = 12): { loss: number; correct: number } {
  const g = new RandomGenerator(seed);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const sample = (n: number) => {
    const seqs = Array.from({ length: n }, () => Array.from({ length: 2 + g.int(4) }, () => 3 + g.int(5)));
    return {
      seqs,
      src: padSequences(seqs, PAD).ids,
      targets: padSequences(seqs.map((s) => [...s].reverse().concat(EOS)), PAD).ids,
    };
  };
  let loss = Infinity;
  for (let step = 0; step < 200; step++) {
    const batch = sample(32);
    optimizer.zeroGrad();
    const r = model.loss(batch.src, batch.targets);
    r.loss.backward();
    clipGradNorm(model.parameters(), 5);
    optimizer.step();
    loss = r.loss.item();
  }
  model.eval();
  const test = sample(100);
  const out = model.greedy(test.src, { maxLength: 8 });
  const correct = out.filter((r, i) => r.finished && r.tokens.join() === [...test.seqs[i]!].reverse().join()).length;
  return { loss, correct };
}
