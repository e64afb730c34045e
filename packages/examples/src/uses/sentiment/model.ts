// Sentiment classifiers: an order-blind bag of words (mean embedding → MLP) and recurrent readers
// (LSTM or GRU, final state → logit), all giving one logit per review (positive when > 0).
import { Embedding, RandomGenerator, Linear, Module, Tensor, tensor } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import { SENTIMENT_VOCAB } from './data.js';

/** The classifier: order-blind bag of words, LSTM or GRU. */
export type SentimentKind = 'bag-of-words' | 'lstm' | 'gru';

/** The classifier kind and sizes. */
export interface SentimentModelOptions {
  kind: SentimentKind;
  /** Embedding size (default 16) and hidden units (default 32). */
  embeddingSize?: number;
  hiddenSize?: number;
  generator?: RandomGenerator;
}

/** Reviews as a padded id batch: ids [B][T] (0 pads the end) and each review's length. */
export function padBatch(reviews: readonly (readonly number[])[]): { ids: number[][]; lengths: number[] } {
  const T = Math.max(...reviews.map((r) => r.length));
  return { ids: reviews.map((r) => [...r, ...new Array<number>(T - r.length).fill(0)]), lengths: reviews.map((r) => r.length) };
}

/**
 * One logit per review from ids [B][T] and lengths [B].
 * - 'bag-of-words': the mean of the word embeddings (the pad row is zero) → tanh layer → logit.
 *   It sees which words occur and how often, never in which order.
 * - 'lstm' | 'gru': the recurrent module reads the words in order (padding skipped via `lengths`);
 *   its final hidden state → logit.
 */
export class SentimentModel extends Module {
  readonly kind: SentimentKind;
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU | null;
  readonly hidden: Linear | null;
  readonly head: Linear;

  constructor(opts: SentimentModelOptions) {
    super();
    const E = opts.embeddingSize ?? 16, H = opts.hiddenSize ?? 32, generator = opts.generator;
    this.kind = opts.kind;
    this.embedding = this.registerModule('embedding', new Embedding(SENTIMENT_VOCAB.length, E, { paddingIdx: 0, generator }));
    if (opts.kind === 'bag-of-words') {
      this.rnn = null;
      this.hidden = this.registerModule('hidden', new Linear(E, H, { generator }));
    } else {
      const Rnn = opts.kind === 'lstm' ? LSTM : GRU;
      this.rnn = this.registerModule('rnn', new Rnn({ inputSize: E, hiddenSize: H, batchFirst: true, generator }));
      this.hidden = null;
    }
    this.head = this.registerModule('head', new Linear(H, 1, { generator }));
  }

  /** ids [B][T] padded with 0, lengths [B] → logits [B]. */
  forward(ids: readonly (readonly number[])[], lengths: readonly number[]): Tensor {
    const B = ids.length;
    const x = this.embedding.forward(tensor(ids as number[][], { dtype: 'int32' })); // [B, T, E]
    let features: Tensor;
    if (this.rnn) {
      // The final state is each review's state after its own last word.
      features = this.rnn.forward(x, undefined, { lengths }).state.h.select(0, 0); // [1, B, H] → [B, H]
    } else {
      const bag = x.sum({ axes: [1] });
      features = this.hidden!.forward(bag).relu();
    }
    return this.head.forward(features).reshape([B]);
  }

  get label(): string {
    return this.kind === 'bag-of-words' ? 'bag of words (MLP)' : this.kind.toUpperCase();
  }
}
