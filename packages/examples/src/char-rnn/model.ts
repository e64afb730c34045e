// The char-rnn model: Embedding (or one-hot vectors) → stacked recurrent module (LSTM, GRU or RNN)
// → Dropout → Linear to the vocabulary, predicting the next character at every step.
import * as K from '@unroll/core';
import { Dropout, Embedding, RandomGenerator, Linear, Module, Tensor, indexSelect } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';
import type { HiddenState, LSTMState } from '@unroll/rnn';

/** The recurrent cell kinds the CLI offers. */
export const CELLS = ['lstm', 'gru', 'rnn'] as const;
/** One of CELLS. */
export type CellKind = (typeof CELLS)[number];

/**
 * How a character enters the network: `embedding`, a learned vector of --embed numbers; `one-hot`, a
 * vector of V numbers with a 1 at the character's id (no embedding layer: the recurrent layer's
 * input weights play its part, as in PyTorch's and Karpathy's char-rnn recipes).
 */
export const INPUTS = ['embedding', 'one-hot'] as const;
/** One of INPUTS. */
export type InputKind = (typeof INPUTS)[number];

/** Everything that fixes the model's shape and variant (stored in checkpoints). */
export interface ModelConfig {
  cell: CellKind;
  /** V: symbols in the vocabulary (input ids and output classes). */
  vocabSize: number;
  /** How characters enter the network (see INPUTS). */
  input: InputKind;
  /** Size of each character's embedding vector (`input: 'embedding'`); null with one-hot inputs. */
  embed: number | null;
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
  /** The embedding table, or null with one-hot inputs. */
  readonly embedding: Embedding | null;
  readonly rnn: RecurrentModule;
  readonly drop: Dropout;
  readonly head: Linear;

  /** `generator` draws the initial weights and, later, the dropout masks (so a seed fixes both). */
  constructor(config: ModelConfig, generator: RandomGenerator) {
    super();
    this.config = { ...config };
    const { cell, vocabSize, embed, hidden, layers, dropout } = config;
    if ((config.input === 'embedding') !== (embed !== null)) {
      throw new RangeError(`CharRNN: embed must be a size with input 'embedding' and null with 'one-hot'; got input '${config.input}', embed ${embed}`);
    }
    this.embedding = embed === null ? null : this.registerModule('embedding', new Embedding(vocabSize, embed, { generator }));
    const common = { inputSize: embed ?? vocabSize, hiddenSize: hidden, numLayers: layers, dropout: layers > 1 ? dropout : 0, generator };
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
    const x = this.embedding ? this.embedding.forward(ids) : this.oneHot(ids);
    // The three modules share forward(x, state?) → { output, state }; only their state types differ.
    const r = (this.rnn as { forward(x: Tensor, s?: CharRNNState): { output: Tensor; state: CharRNNState } }).forward(x, state);
    return { logits: this.head.forward(this.drop.forward(r.output)), state: r.state };
  }

  private identity: Tensor | undefined;

  /**
   * ids [T, B] → one-hot [T, B, V] float32: rows of the V×V identity picked by id (a gather, so an
   * ONNX export reads it as Gather on a constant). An id outside [0, V) is refused by indexSelect.
   */
  private oneHot(ids: Tensor): Tensor {
    const V = this.config.vocabSize;
    this.identity ??= new Tensor(K.fromData(identityData(V), [V, V]));
    return indexSelect(this.identity, 0, ids);
  }
}

function identityData(n: number): Float32Array {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return data;
}

/** A one-line description: `LSTM 2×128 (peephole), embed 32, dropout 0, vocab 65, 123,456 parameters` (`one-hot 65` without an embedding). */
export function describeModel(model: CharRNN): string {
  const c = model.config;
  const variant = [c.peephole && 'peephole', c.coupledGates && 'coupled gates', c.forgetBias !== null && `forget bias ${c.forgetBias}`,
    c.cell === 'rnn' && c.nonlinearity].filter(Boolean);
  return `${c.cell.toUpperCase()} ${c.layers}×${c.hidden}${variant.length ? ` (${variant.join(', ')})` : ''}, ` +
    `${c.embed === null ? `one-hot ${c.vocabSize}` : `embed ${c.embed}`}, dropout ${c.dropout}, vocab ${c.vocabSize}, ${model.numParameters().toLocaleString('en-US')} parameters`;
}
