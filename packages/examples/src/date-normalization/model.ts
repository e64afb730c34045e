// The date model: a character encoder–decoder, with attention (bidirectional encoder, learned
// bridge) or without (Sutskever et al.: one encoder read in reverse, identity bridge).
import { RandomGenerator } from '@unroll/autograd';
import {
  Decoder, Encoder, GRUCell, LSTMCell, LinearBridge, Seq2Seq, bidirectional, createAttention, identityBridge,
} from '@unroll/rnn';
import type { AttentionKind, RecurrentCell } from '@unroll/rnn';
import { BOS, EOS, PAD, SOURCE_VOCAB, TARGET_VOCAB } from './dataset.js';

export type CellKind = 'lstm' | 'gru';
/** The model's encoder and decoder state types depend on the options, so they stay open here. */
export type DateModel = Seq2Seq<any, any>;

export interface DateModelOptions {
  attention: AttentionKind | 'none';
  cell: CellKind;
  /** Character embedding size (default 32). */
  embeddingDim?: number;
  /** Encoder hidden size per direction; the decoder's is twice this (default 32). */
  hidden?: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** The date model as a Seq2Seq over the task's vocabularies. */
export function buildDateModel(opts: DateModelOptions): DateModel {
  const E = opts.embeddingDim ?? 32, H = opts.hidden ?? 32;
  const generator = new RandomGenerator(opts.seed);
  const cell = (inputSize: number, hiddenSize: number): RecurrentCell<unknown> => opts.cell === 'gru'
    ? new GRUCell({ inputSize, hiddenSize, generator })
    : new LSTMCell({ inputSize, hiddenSize, generator, forgetBias: 1 });
  const common = { embeddingDim: E, paddingIdx: PAD, generator };
  if (opts.attention === 'none') {
    // Sutskever et al. 2014: the source read backwards, its final state handed over as it is.
    const encoder = new Encoder({ ...common, vocabSize: SOURCE_VOCAB.size, rnn: cell(E, 2 * H), reverseSource: true });
    const decoder = new Decoder({ ...common, vocabSize: TARGET_VOCAB.size, cell: cell(E, 2 * H) });
    return new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: BOS, eosId: EOS, padId: PAD });
  }
  const encoder = new Encoder({ ...common, vocabSize: SOURCE_VOCAB.size, rnn: bidirectional(cell(E, H), cell(E, H)) });
  const attention = createAttention(opts.attention, { querySize: 2 * H, memorySize: 2 * H, attentionSize: H, generator });
  const decoderCell = cell(E + 2 * H, 2 * H); // input feeding: [embedding; h̃_{t−1}]
  const decoder = new Decoder({ ...common, vocabSize: TARGET_VOCAB.size, cell: decoderCell, attention });
  // Bidirectional → unidirectional: both directions' final states, through Linear + tanh.
  const bridge = new LinearBridge(encoder, decoderCell, { generator });
  return new Seq2Seq({ encoder, decoder, bridge, bosId: BOS, eosId: EOS, padId: PAD });
}
