// Taggers for the twin task: embedding → LSTM (one direction, or both with `bidirectional`) → a
// logit per token.
import { Embedding, RandomGenerator, Linear, Module, Tensor, tensor } from '@unroll/autograd';
import { LSTMCell, bidirectional, unroll } from '@unroll/rnn';
import type { Bidirectional } from '@unroll/rnn';
import type { LSTMState } from '@unroll/rnn';

/** The tagger's direction(s) and sizes. */
export interface TaggerOptions {
  /** Read the sequence both ways (two LSTM cells, outputs concatenated) or left to right only. */
  bidirectional: boolean;
  alphabet: number;
  /** Hidden units per direction (default 32). */
  hiddenSize?: number;
  /** Embedding size (default 16). */
  embeddingSize?: number;
  generator?: RandomGenerator;
}

/**
 * Per-token tagger. tokens [B][T] → logits [B, T] (tag 1 when the logit is positive).
 * The bidirectional output at t concatenates the forward state (read x_0 … x_t) and the backward
 * state (read x_{T−1} … x_t), so it can see the token's future.
 */
export class TwinTagger extends Module {
  readonly bidirectional: boolean;
  readonly embedding: Embedding;
  readonly forwardCell: LSTMCell;
  readonly layer: Bidirectional<LSTMState, LSTMState> | null;
  readonly head: Linear;

  constructor(opts: TaggerOptions) {
    super();
    const H = opts.hiddenSize ?? 32, E = opts.embeddingSize ?? 16, generator = opts.generator;
    this.bidirectional = opts.bidirectional;
    this.embedding = this.registerModule('embedding', new Embedding(opts.alphabet, E, { generator }));
    this.forwardCell = new LSTMCell({ inputSize: E, hiddenSize: H, generator });
    if (opts.bidirectional) {
      this.layer = this.registerModule('layer', bidirectional(this.forwardCell, new LSTMCell({ inputSize: E, hiddenSize: H, generator })));
    } else {
      this.layer = null;
      this.registerModule('cell', this.forwardCell);
    }
    this.head = this.registerModule('head', new Linear(opts.bidirectional ? 2 * H : H, 1, { generator }));
  }

  forward(tokens: readonly (readonly number[])[]): Tensor {
    const B = tokens.length, T = tokens[0]!.length;
    const xs = this.embedding.forward(tensor(tokens as number[][], { dtype: 'int32' })); // [B, T, E]
    const outputs = this.layer
      ? this.layer.run(xs, { batchFirst: true }).outputs
      : unroll(this.forwardCell, xs, { batchFirst: true }).outputs;
    return this.head.forward(outputs).reshape([B, T]);
  }

  get label(): string {
    return this.bidirectional ? 'bidirectional LSTM' : 'unidirectional LSTM';
  }
}
