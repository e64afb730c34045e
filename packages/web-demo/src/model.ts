// The demo's model: characters → Embedding → LSTM → Linear → next-character logits; and sampling.
import * as K from '@unroll/core';
import { Embedding, RandomGenerator, Linear, Module, Tensor, noGrad } from '@unroll/autograd';
import { LSTM, type LSTMState } from '@unroll/rnn';

/** Next-character model. ids [T, B] int32 → logits [T, B, V] and the final { h, c }. */
export class CharModel extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(vocabSize: number, hidden: number, generator: RandomGenerator) {
    super();
    const embed = Math.min(32, vocabSize);
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { generator }));
    this.lstm = this.registerModule('lstm', new LSTM({ inputSize: embed, hiddenSize: hidden, generator }));
    this.head = this.registerModule('head', new Linear(hidden, vocabSize, { generator }));
  }

  forward(ids: Tensor, state?: LSTMState): { logits: Tensor; state: LSTMState } {
    const r = this.lstm.forward(this.embedding.forward(ids), state);
    return { logits: this.head.forward(r.output), state: r.state };
  }
}

/** The characters of a text, sorted, with their ids. */
export class Vocab {
  readonly chars: string[];
  private readonly ids: Map<string, number>;
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }
  get size(): number {
    return this.chars.length;
  }
  encode(text: string): Int32Array {
    return Int32Array.from(text, (c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new RangeError(`Vocab.encode: character ${JSON.stringify(c)} is not in the vocabulary`);
      return id;
    });
  }
}

/**
 * `length` characters continuing `seed`, drawn one at a time from softmax(logits / temperature),
 * each fed back as the next input. No gradients are recorded.
 */
export function sample(model: CharModel, vocab: Vocab, seed: string, length: number, temperature: number, generator: RandomGenerator): string {
  return noGrad(() => {
    const ids = vocab.encode(seed);
    let { logits, state } = model.forward(new Tensor(K.fromData(ids, [ids.length, 1])));
    const V = vocab.size;
    let last = logits.values().slice((ids.length - 1) * V);
    let out = '';
    for (let i = 0; i < length; i++) {
      const next = draw(last, temperature, generator);
      out += vocab.chars[next];
      ({ logits, state } = model.forward(new Tensor(K.fromData(Int32Array.of(next), [1, 1])), state));
      last = logits.values().slice();
    }
    return out;
  });
}

function draw(logits: ArrayLike<number>, temperature: number, generator: RandomGenerator): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const p = Array.from(logits, (z) => Math.exp((z - max) / temperature));
  let u = generator.uniform() * p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) {
    u -= p[i]!;
    if (u <= 0) return i;
  }
  return p.length - 1;
}
