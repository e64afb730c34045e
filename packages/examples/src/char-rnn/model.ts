// The char-rnn model: Embedding → stacked recurrent module (LSTM, GRU or RNN) → Dropout → Linear
// to the vocabulary, predicting the next character at every step.
import { Dropout, Embedding, RandomGenerator, Linear, Module, Tensor } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';
import type { HiddenState, LSTMState } from '@unroll/rnn';

/** The recurrent cell kinds the CLI offers. */
export const CELLS = ['lstm', 'gru', 'rnn'] as const;
/** One of CELLS. */
export type CellKind = (typeof CELLS)[number];

/** Everything that fixes the model's shape and variant (stored in checkpoints). */
export interface ModelConfig {
  cell: CellKind;
  /** V: symbols in the vocabulary (input ids and output classes). */
  vocabSize: number;
  /** Size of each character's embedding vector. */
  embed: number;
  hidden: number;
  layers: number;
  /** Dropout between recurrent layers and before the output layer, in training only. */
  dropout: number;
  /** LSTM only: diagonal peephole connections (Gers & Schmidhuber 2000). */
  peephole: boolean;
  /** LSTM only: coupled input and forget gates, f = 1 − i (CIFG). */
  coupledGates: boolean;
  /** LSTM only: initial forget-gate bias (Jozefowicz et al. 2015), or null for PyTorch's init. */
  forgetBias: number | null;
  /** RNN only: the nonlinearity. */
  nonlinearity: 'tanh' | 'relu';
}

/** The recurrent state carried between chunks: h (and c for an LSTM), each [layers, batch, hidden]. */
export type CharRNNState = HiddenState | LSTMState;

type RecurrentModule = LSTM | GRU | RNN;

/**
 * Next-character model. forward: ids [T, B] (int32) and an optional state → logits [T, B, V] and
 * the final state (PyTorch layout: each tensor [layers, B, hidden]).
 */
export class CharRNN extends Module {
  readonly config: ModelConfig;
  readonly embedding: Embedding;
  readonly rnn: RecurrentModule;
  readonly drop: Dropout;
  readonly head: Linear;

  /** `generator` draws the initial weights and, later, the dropout masks (so a seed fixes both). */
  constructor(config: ModelConfig, generator: RandomGenerator) {
    super();
    this.config = { ...config };
    const { cell, vocabSize, embed, hidden, layers, dropout } = config;
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { generator }));
    const common = { inputSize: embed, hiddenSize: hidden, numLayers: layers, dropout: layers > 1 ? dropout : 0, generator };
    this.rnn = this.registerModule('rnn', cell === 'lstm'
      ? new LSTM({
        ...common,
        peephole: config.peephole,
        coupledGates: config.coupledGates,
        ...(config.forgetBias === null ? {} : { forgetBias: config.forgetBias }),
      })
      : cell === 'gru' ? new GRU(common) : new RNN({ ...common, nonlinearity: config.nonlinearity }));
    this.drop = this.registerModule('drop', new Dropout(dropout, { generator }));
    this.head = this.registerModule('head', new Linear(hidden, vocabSize, { generator }));
  }

  /** ids [T, B] int32 → logits [T, B, V]; `state` (default zeros) is the state after the previous chunk. */
  forward(ids: Tensor, state?: CharRNNState): { logits: Tensor; state: CharRNNState } {
    const x = this.embedding.forward(ids);
    // The three modules share forward(x, state?) → { output, state }; only their state types differ.
    const r = (this.rnn as { forward(x: Tensor, s?: CharRNNState): { output: Tensor; state: CharRNNState } }).forward(x, state);
    return { logits: this.head.forward(this.drop.forward(r.output)), state: r.state };
  }
}

/** A one-line description: `LSTM 2×128 (peephole), embed 32, dropout 0, 123,456 parameters`. */
export function describeModel(model: CharRNN): string {
  const c = model.config;
  const variant = [c.peephole && 'peephole', c.coupledGates && 'coupled gates', c.forgetBias !== null && `forget bias ${c.forgetBias}`,
    c.cell === 'rnn' && c.nonlinearity].filter(Boolean);
  return `${c.cell.toUpperCase()} ${c.layers}×${c.hidden}${variant.length ? ` (${variant.join(', ')})` : ''}, ` +
    `embed ${c.embed}, dropout ${c.dropout}, vocab ${c.vocabSize}, ${model.numParameters().toLocaleString('en-US')} parameters`;
}
