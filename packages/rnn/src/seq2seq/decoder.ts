// Decoder: an embedding, any recurrent cell, optional attention over the encoder's outputs (with
// input feeding) and an output projection, advanced one token at a time by calling `step`.
import * as K from '@unroll/core';
import { Embedding, Linear, Module, Tensor, concat, tanh, zeros } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';
import type { RecurrentCell } from '../cell.js';
import { checkFloatDType, checkSize } from '../cells/common.js';
import type { FloatDType } from '../cells/common.js';
import { checkCell } from '../unroll.js';
import { adoptPart } from '../adopt.js';
import { attend } from './attention.js';
import type { Attention } from './attention.js';

export interface DecoderOptions<S> {
  /** Target vocabulary size: ids (and logits) lie in [0, vocabSize). */
  vocabSize: number;
  /** Features of each target token's embedding. */
  embeddingDim: number;
  /** The target pad id (its embedding stays zero). */
  paddingIdx?: number;
  /**
   * Any RecurrentCell (`stackCells([...])` for depth). Its inputSize must be embeddingDim, plus
   * attentionalSize with input feeding.
   */
  cell: RecurrentCell<S>;
  /** Attention over the encoder outputs (querySize = cell.outputSize); none by default. */
  attention?: Attention | null;
  /** Size of the attentional vector h̃ (default cell.outputSize). Attention only. */
  attentionalSize?: number;
  /** Feed h̃ of the previous step into the cell beside the embedding (Luong et al. 2015). Default true with attention in Luong order. */
  inputFeeding?: boolean;
  /**
   * 'luong' (default): attention is queried with the NEW cell output o_t (Luong et al. 2015).
   * 'bahdanau': it is queried with the previous state s_{t−1} and its context c_t is fed into the
   * cell beside the embedding (Bahdanau et al. 2015); cell.inputSize is then embeddingDim + memorySize.
   */
  attentionOrder?: AttentionOrder;
  /**
   * Bahdanau order: the query read from a cell state, [B, querySize]. Default: the state's `h` (the
   * last layer's for stackCells, the state itself when it is a tensor).
   */
  queryFromState?: (state: S) => Tensor;
  dtype?: FloatDType;
  generator?: RandomGenerator;
}

/** The decoder's state: the cell's, and h̃ of the previous step when it is fed back. */
export interface DecoderState<S> {
  readonly cell: S;
  /** h̃_{t−1} [B, attentionalSize] with input feeding, else null. */
  readonly feed: Tensor | null;
}

/** The encoder outputs prepared for attention, once per source batch. */
export interface DecoderMemory {
  /** [B, S, M] */
  readonly memory: Tensor;
  /** attention.keys(memory) [B, S, ·] */
  readonly keys: Tensor;
  /** int32 [B, S] (1 real, 0 padding), or null when no row is padded. */
  readonly mask: Tensor | null;
}

/** One decoding step before the output projection. */
export interface DecoderAdvance<S> {
  state: DecoderState<S>;
  /** What the projection reads: h̃_t [B, attentionalSize] with attention, else the cell output [B, outputSize]. */
  hidden: Tensor;
  /** α_t [B, S] with attention (exactly 0 on padding), else null. */
  attention: Tensor | null;
}

/** Where attention sits in a decoder step: after the cell (Luong) or before it (Bahdanau). */
export type AttentionOrder = 'luong' | 'bahdanau';

const OPTIONS = ['vocabSize', 'embeddingDim', 'paddingIdx', 'cell', 'attention', 'attentionalSize', 'inputFeeding',
  'attentionOrder', 'queryFromState', 'dtype', 'generator'];

/**
 * The decoder of a seq2seq model. One step, for the previous tokens y_{t−1} (ids [B]), in Luong
 * order (the default, `attentionOrder: 'luong'`):
 *
 *     x_t = [E y_{t−1}; h̃_{t−1}]            (h̃_{t−1} only with input feeding; h̃_{−1} = 0)
 *     s_t, o_t = cell.step(s_{t−1}, x_t)
 *     α_t = softmax_j(score(o_t, h_j))       over real source positions only
 *     c_t = Σ_j α_tj h_j
 *     h̃_t = tanh(W_c [o_t; c_t] + b_c)
 *     logits_t = W_o h̃_t + b_o              (W_o o_t + b_o without attention)
 *
 * Luong et al.'s (2015) order — the query is the NEW cell output — for every score function,
 * including the additive one, as in TensorFlow's AttentionWrapper. `attentionOrder: 'bahdanau'`
 * is Bahdanau et al.'s (2015): the query is the previous state q(s_{t−1}) (its `h`; s_0 from the
 * bridge) and the context goes into the cell:
 *
 *     α_t = softmax_j(score(q(s_{t−1}), h_j)),  c_t = Σ_j α_tj h_j
 *     s_t, o_t = cell.step(s_{t−1}, [E y_{t−1}; c_t])
 *     h̃_t = tanh(W_c [o_t; c_t] + b_c),  logits_t = W_o h̃_t + b_o
 *
 * (the output layer reads o_t and c_t through W_c as in Luong order, in place of the paper's maxout
 * over s_{t−1}, y_{t−1} and c_t). Children: 'embedding', 'cell', 'attention', 'combine', 'output'.
 */
export class Decoder<S> extends Module {
  readonly embedding: Embedding;
  readonly cell: RecurrentCell<S>;
  readonly attention: Attention | null;
  /** W_c: [o; c] → h̃ (attention only). */
  readonly combine: Linear | null;
  /** W_o: h̃ (or o) → logits. */
  readonly output: Linear;
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly inputFeeding: boolean;
  /** Where attention sits in the step ('luong' without attention). */
  readonly attentionOrder: AttentionOrder;
  /** Bahdanau order: the attention query read from a cell state (null in Luong order). */
  readonly queryFromState: ((state: S) => Tensor) | null;
  /** Features the projection reads (h̃'s size with attention, else cell.outputSize). */
  readonly hiddenSize: number;

  constructor(opts: DecoderOptions<S>) {
    super();
    const who = 'Decoder';
    for (const k of Object.keys(opts)) if (!OPTIONS.includes(k)) throw new TypeError(`${who}: unknown option '${k}' (known: ${OPTIONS.join(', ')})`);
    this.vocabSize = checkSize(who, 'vocabSize', opts.vocabSize);
    this.embeddingDim = checkSize(who, 'embeddingDim', opts.embeddingDim);
    checkCell(who, opts.cell, 'cell');
    this.cell = opts.cell;
    const attention = opts.attention ?? null;
    const order = opts.attentionOrder ?? 'luong';
    if (order !== 'luong' && order !== 'bahdanau') throw new TypeError(`${who}: attentionOrder must be 'luong' or 'bahdanau'; got ${String(order)}`);
    const bahdanau = order === 'bahdanau';
    if (attention === null && (opts.inputFeeding || opts.attentionalSize !== undefined || bahdanau || opts.queryFromState)) {
      const what = opts.inputFeeding ? 'inputFeeding' : opts.attentionalSize !== undefined ? 'attentionalSize' : bahdanau ? "attentionOrder 'bahdanau'" : 'queryFromState';
      throw new TypeError(`${who}: ${what} needs attention`);
    }
    if (opts.queryFromState !== undefined && !bahdanau) throw new TypeError(`${who}: queryFromState needs attentionOrder 'bahdanau' (Luong order queries with the cell output)`);
    if (bahdanau && opts.inputFeeding) {
      throw new TypeError(`${who}: inputFeeding is Luong order's; in attentionOrder 'bahdanau' the context itself is fed into the cell`);
    }
    this.queryFromState = bahdanau ? checkQueryFromState(who, opts.queryFromState, this.cell) : null;
    if (attention !== null) {
      if (typeof attention.score !== 'function' || typeof attention.keys !== 'function') {
        throw new TypeError(`${who}: attention must have keys(memory) and score(query, keys) (see AdditiveAttention)`);
      }
      const querySize = bahdanau ? this.queryFromState!(this.cell.initialState(1)).shape[1]! : this.cell.outputSize;
      if (attention.querySize !== querySize) {
        const of = bahdanau ? `the query read from the cell state (${querySize})` : `cell.outputSize (${querySize})`;
        throw new RangeError(`${who}: attention.querySize (${attention.querySize}) must equal ${of}`);
      }
    }
    this.attention = attention;
    this.attentionOrder = attention ? order : 'luong';
    this.inputFeeding = opts.inputFeeding ?? (attention !== null && !bahdanau);
    this.hiddenSize = attention ? checkSize(who, 'attentionalSize', opts.attentionalSize ?? this.cell.outputSize) : this.cell.outputSize;
    const fed = bahdanau ? attention!.memorySize : this.inputFeeding ? this.hiddenSize : 0;
    const want = this.embeddingDim + fed;
    if (this.cell.inputSize !== want) {
      const why = bahdanau ? ` = embeddingDim (${this.embeddingDim}) + attention.memorySize (${fed}) for attentionOrder 'bahdanau'`
        : this.inputFeeding ? ` = embeddingDim (${this.embeddingDim}) + attentionalSize (${this.hiddenSize}) for input feeding` : ' (embeddingDim)';
      throw new RangeError(`${who}: cell.inputSize must be ${want}${why}; got ${this.cell.inputSize}`);
    }
    const common = { dtype: checkFloatDType(who, opts.dtype), generator: opts.generator };
    this.embedding = this.registerModule('embedding', new Embedding(this.vocabSize, this.embeddingDim, { ...common, paddingIdx: opts.paddingIdx }));
    adoptPart(this, 'cell', this.cell, who, 'cell');
    adoptPart(this, 'attention', attention, who, 'attention', false);
    this.combine = attention ? this.registerModule('combine', new Linear(this.cell.outputSize + attention.memorySize, this.hiddenSize, common)) : null;
    this.output = this.registerModule('output', new Linear(this.hiddenSize, this.vocabSize, common));
  }

  /** Wraps a cell state (from a bridge) as the decoder's first state (h̃_{−1} = 0). */
  initialState(cell: S, batch: number, dtype: FloatDType = this.output.weight.dtype as FloatDType): DecoderState<S> {
    // A decoded sequence starts here: a cell with per-sequence draws (recurrent dropout) draws them.
    this.cell.beginSequence?.(batch, { dtype });
    return { cell, feed: this.inputFeeding ? zeros([batch, this.hiddenSize], { dtype }) : null };
  }

  /** Encoder outputs [B, S, M] and their padding mask, prepared for attention (keys once per batch). */
  prepare(memory: Tensor, mask: Tensor | null): DecoderMemory {
    if (!this.attention) throw new TypeError('Decoder.prepare: this decoder has no attention');
    const keys = this.attention.keys(memory);
    if (mask && (mask.dtype !== 'int32' || !K.sameShape(mask.shape, memory.shape.slice(0, 2)))) {
      throw new K.ShapeError(`Decoder.prepare: mask must be int32 ${K.fmt(memory.shape.slice(0, 2))} ([batch, source]); got ${mask.dtype} ${K.fmt(mask.shape)}`);
    }
    return { memory, keys, mask };
  }

  /** One step up to h̃_t (no projection): ids int32 [B] (or number[]) are y_{t−1}. */
  advance(state: DecoderState<S>, ids: Tensor | readonly number[], memory?: DecoderMemory | null): DecoderAdvance<S> {
    const who = 'Decoder.step';
    const y = this.checkStepIds(who, ids);
    const batch = y.shape[0]!;
    if (this.attention && !memory) throw new TypeError(`${who}: this decoder attends, so it needs the prepared encoder memory (decoder.prepare(outputs, mask))`);
    if (memory && memory.memory.shape[0] !== batch) {
      throw new K.ShapeError(`${who}: ids has ${batch} rows but the memory has ${memory.memory.shape[0]} (${K.fmt(memory.memory.shape)}); batch sizes must match`);
    }
    let x = this.embedding.forward(y);
    if (this.queryFromState) return this.advanceBahdanau(who, state, x, memory!);
    if (this.inputFeeding) {
      const feed = state.feed;
      if (!(feed instanceof Tensor) || feed.rank !== 2 || feed.shape[0] !== batch || feed.shape[1] !== this.hiddenSize) {
        throw new K.ShapeError(`${who}: state.feed must be [${batch}, ${this.hiddenSize}] (h̃ of the previous step); got ${feed instanceof Tensor ? K.fmt(feed.shape) : String(feed)}`);
      }
      x = concat([x, feed], 1);
    }
    const r = this.stepCell(who, state.cell, x, batch);
    const out = r.output;
    if (!this.attention) return { state: { cell: r.state, feed: null }, hidden: out, attention: null };
    const { weights, context } = attend(this.attention, out, memory!.memory, memory!.keys, memory!.mask);
    const hidden = tanh(this.combine!.forward(concat([out, context], 1)));
    return { state: { cell: r.state, feed: this.inputFeeding ? hidden : null }, hidden, attention: weights };
  }

  /** Bahdanau order: attend with the previous state's query, feed [E y; c_t] to the cell, then h̃_t. */
  private advanceBahdanau(who: string, state: DecoderState<S>, embedded: Tensor, memory: DecoderMemory): DecoderAdvance<S> {
    const batch = embedded.shape[0]!;
    const query = this.queryFromState!(state.cell);
    if (!(query instanceof Tensor) || query.rank !== 2 || query.shape[0] !== batch || query.shape[1] !== this.attention!.querySize) {
      throw new K.ShapeError(`${who}: queryFromState(state) must be [${batch}, ${this.attention!.querySize}]; got ${query instanceof Tensor ? K.fmt(query.shape) : typeof query}`);
    }
    const { weights, context } = attend(this.attention!, query, memory.memory, memory.keys, memory.mask);
    const r = this.stepCell(who, state.cell, concat([embedded, context], 1), batch);
    const hidden = tanh(this.combine!.forward(concat([r.output, context], 1)));
    return { state: { cell: r.state, feed: null }, hidden, attention: weights };
  }

  /** cell.step, checking that the output is [batch, outputSize] (a user cell may get it wrong). */
  private stepCell(who: string, state: S, x: Tensor, batch: number): { state: S; output: Tensor } {
    const r = this.cell.step(state, x);
    const out = r.output;
    if (!(out instanceof Tensor) || out.rank !== 2 || out.shape[0] !== batch || out.shape[1] !== this.cell.outputSize) {
      throw new K.ShapeError(`${who}: cell.step returned output ${out instanceof Tensor ? K.fmt(out.shape) : typeof out}; expected [${batch}, ${this.cell.outputSize}]`);
    }
    return r;
  }

  /** h̃ [..., hiddenSize] → logits [..., vocabSize]. */
  project(hidden: Tensor): Tensor {
    return this.output.forward(hidden);
  }

  /** One step: y_{t−1} ids [B] → logits [B, V], the next state and α_t [B, S] (or null). */
  step(state: DecoderState<S>, ids: Tensor | readonly number[], memory?: DecoderMemory | null): { state: DecoderState<S>; logits: Tensor; attention: Tensor | null } {
    const r = this.advance(state, ids, memory);
    return { state: r.state, logits: this.project(r.hidden), attention: r.attention };
  }

  private checkStepIds(who: string, ids: Tensor | readonly number[]): Tensor {
    const y = ids instanceof Tensor ? ids : Array.isArray(ids) ? new Tensor(K.fromData(Int32Array.from(ids as number[]), [ids.length])) : null;
    if (!y || y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] === 0) {
      throw new TypeError(`${who}: ids must be a non-empty int32 tensor [batch] or number[] of the previous tokens; got ${y ? `${y.dtype} ${K.fmt(y.shape)}` : typeof ids}`);
    }
    const v = y.values();
    for (let b = 0; b < v.length; b++) {
      if (!(v[b]! >= 0 && v[b]! < this.vocabSize) || (Array.isArray(ids) && !Number.isInteger((ids as number[])[b]))) {
        throw new RangeError(`${who}: ids[${b}] = ${Array.isArray(ids) ? (ids as number[])[b] : v[b]} is outside the target vocabulary [0, ${this.vocabSize})`);
      }
    }
    return y;
  }
}

/**
 * The default query of Bahdanau order: the state's `h` (LSTM, GRU, RNN cells), the last layer's for
 * `{ layers }` (stackCells), the state itself when it is a tensor; null when the state has none.
 */
function stateH(state: unknown): Tensor | null {
  if (state instanceof Tensor) return state;
  if (typeof state !== 'object' || state === null) return null;
  const { h, layers } = state as { h?: unknown; layers?: unknown };
  if (h instanceof Tensor) return h;
  if (Array.isArray(layers) && layers.length > 0) return stateH(layers[layers.length - 1]);
  return null;
}

/** The query function of Bahdanau order, checked on the cell's initial state: it must give [1, Q]. */
function checkQueryFromState<S>(who: string, given: ((state: S) => Tensor) | undefined, cell: RecurrentCell<S>): (state: S) => Tensor {
  if (given !== undefined && typeof given !== 'function') throw new TypeError(`${who}: queryFromState must be a function (state) => Tensor [batch, querySize]; got ${typeof given}`);
  const fn = given ?? ((state: S) => stateH(state) as Tensor);
  const q = fn(cell.initialState(1));
  if (!(q instanceof Tensor) || q.rank !== 2 || q.shape[0] !== 1) {
    throw new TypeError(given
      ? `${who}: queryFromState(cell.initialState(1)) must be a tensor [1, querySize]; got ${q instanceof Tensor ? K.fmt(q.shape) : typeof q}`
      : `${who}: attentionOrder 'bahdanau' queries attention with the previous state's h, and this cell's state has none; pass queryFromState: (state) => Tensor [batch, querySize]`);
  }
  return fn;
}
