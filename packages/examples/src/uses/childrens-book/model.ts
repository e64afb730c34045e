// Next-word models for the children's book: a vanilla RNN or an LSTM over one-hot words, with a
// full memory (the state runs through the whole text) or a one-word memory (the state is reset
// before every word, the lecture's short-memory RNN at its extreme).
import { RandomGenerator, Linear, Module, Tensor, noGrad, softmax, tensor } from '@unroll/autograd';
import { LSTMCell, RNNCell, unroll } from '@unroll/rnn';
import type { HiddenState, LSTMState, RecurrentCell } from '@unroll/rnn';
import { sampleIndex } from '../common/run.js';
import { PERIOD, VOCAB } from './corpus.js';

/** The recurrent cell: a vanilla (tanh) RNN or an LSTM. */
export type CellKind = 'rnn' | 'lstm';
/** 'full': the state carries the whole text so far; 'one-word': it is reset before every word. */
export type Memory = 'full' | 'one-word';

/** The cell, its size and its memory. */
export interface NextWordModelOptions {
  cell: CellKind;
  hiddenSize: number;
  memory?: Memory;
  /** Random source of the initial weights. */
  generator?: RandomGenerator;
}

/** Words as one-hot rows over the dictionary: ids [B][T] → [B, T, |V|] float32. */
export function oneHot(ids: readonly (readonly number[])[], size = VOCAB.length): Tensor {
  const B = ids.length, T = ids[0]?.length ?? 0;
  const data = new Float32Array(B * T * size);
  ids.forEach((row, b) => row.forEach((id, t) => { data[(b * T + t) * size + id] = 1; }));
  return tensor(data).reshape([B, T, size]);
}

/**
 * p(next word | words so far): a one-hot word x_t [B, |V|] goes through the cell, whose output
 * h_t [B, H] a linear layer turns into logits [B, |V|]. With memory 'one-word' every step starts
 * from the zero state, so the prediction can depend on the current word only.
 */
export class NextWordModel extends Module {
  readonly kind: CellKind;
  readonly memory: Memory;
  readonly hiddenSize: number;
  readonly cell: RNNCell | LSTMCell;
  readonly head: Linear;

  constructor(opts: NextWordModelOptions) {
    super();
    this.kind = opts.cell;
    this.memory = opts.memory ?? 'full';
    this.hiddenSize = opts.hiddenSize;
    const cellOpts = { inputSize: VOCAB.length, hiddenSize: opts.hiddenSize, generator: opts.generator };
    this.cell = this.registerModule('cell', opts.cell === 'lstm' ? new LSTMCell(cellOpts) : new RNNCell(cellOpts));
    this.head = this.registerModule('head', new Linear(opts.hiddenSize, VOCAB.length, { generator: opts.generator }));
  }

  /** Logits [B, T, |V|] for the next word after each word of ids [B][T] (a fresh state per row). */
  forward(ids: readonly (readonly number[])[]): Tensor {
    const B = ids.length, T = ids[0]!.length;
    const cell = this.cell as RecurrentCell<HiddenState | LSTMState>;
    // One-word memory: every word is its own length-1 sequence, so no state crosses words.
    const xs = this.memory === 'full' ? oneHot(ids) : oneHot(ids).reshape([B * T, 1, VOCAB.length]);
    const { outputs } = unroll(cell, xs, { batchFirst: true });
    return this.head.forward(outputs).reshape([B, T, VOCAB.length]);
  }

  /**
   * Writes `length` words after a period, sampling each from the model's prediction (temperature 1,
   * the seeded `gen`), the state carried from word to word (or reset, with the one-word memory).
   */
  generate(length: number, gen: RandomGenerator): number[] {
    const cell = this.cell as RecurrentCell<HiddenState | LSTMState>;
    const out: number[] = [];
    noGrad(() => {
      let state = cell.initialState(1);
      let word = PERIOD;
      for (let i = 0; i < length; i++) {
        if (this.memory === 'one-word') state = cell.initialState(1);
        const r = cell.step(state, oneHot([[word]]).reshape([1, VOCAB.length]));
        state = r.state;
        const p = softmax(this.head.forward(r.output), 1).values();
        word = sampleIndex(p, gen);
        out.push(word);
      }
    });
    return out;
  }

  /** A name for tables and sentences: "LSTM with 16 units", "vanilla RNN with a one-word memory". */
  get label(): string {
    const name = this.kind === 'lstm' ? 'LSTM' : 'vanilla RNN';
    return this.memory === 'one-word' ? `${name} with a one-word memory` : `${name} with ${this.hiddenSize} units`;
  }
}
