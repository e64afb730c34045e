// Decoder: an embedding, any recurrent cell, optional attention over the encoder's outputs (with
// input feeding) and an output projection, advanced one token at a time by calling `step`.
import * as K from '@unroll/core';
import { Embedding, Linear, Module, Tensor, concat, tanh, zeros } from '@unroll/autograd';
import type { Generator } from '@unroll/autograd';
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
  /** Feed h̃ of the previous step into the cell beside the embedding (Luong et al. 2015). Default true with attention. */
  inputFeeding?: boolean;
  dtype?: FloatDType;
  generator?: Generator;
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

const OPTIONS = ['vocabSize', 'embeddingDim', 'paddingIdx', 'cell', 'attention', 'attentionalSize', 'inputFeeding', 'dtype', 'generator'];

/**
 * The decoder of a seq2seq model. One step, for the previous tokens y_{t−1} (ids [B]):
 *
 *     x_t = [E y_{t−1}; h̃_{t−1}]            (h̃_{t−1} only with input feeding; h̃_{−1} = 0)
 *     s_t, o_t = cell.step(s_{t−1}, x_t)
 *     α_t = softmax_j(score(o_t, h_j))       over real source positions only
 *     c_t = Σ_j α_tj h_j
 *     h̃_t = tanh(W_c [o_t; c_t] + b_c)
 *     logits_t = W_o h̃_t + b_o              (W_o o_t + b_o without attention)
 *
 * This is Luong et al.'s (2015) order — the query is the NEW cell output — for every score
 * function, including the additive one, as in TensorFlow's AttentionWrapper; Bahdanau et al.
 * (2015) query with s_{t−1} instead. Children: 'embedding', 'cell', 'attention', 'combine', 'output'.
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
    if (attention !== null) {
      if (typeof attention.score !== 'function' || typeof attention.keys !== 'function') {
        throw new TypeError(`${who}: attention must have keys(memory) and score(query, keys) (see AdditiveAttention)`);
      }
      if (attention.querySize !== this.cell.outputSize) {
        throw new RangeError(`${who}: attention.querySize (${attention.querySize}) must equal cell.outputSize (${this.cell.outputSize})`);
      }
    }
    if (attention === null && (opts.inputFeeding || opts.attentionalSize !== undefined)) {
      throw new TypeError(`${who}: ${opts.inputFeeding ? 'inputFeeding' : 'attentionalSize'} needs attention`);
    }
    this.attention = attention;
    this.inputFeeding = opts.inputFeeding ?? attention !== null;
    this.hiddenSize = attention ? checkSize(who, 'attentionalSize', opts.attentionalSize ?? this.cell.outputSize) : this.cell.outputSize;
    const want = this.embeddingDim + (this.inputFeeding ? this.hiddenSize : 0);
    if (this.cell.inputSize !== want) {
      const why = this.inputFeeding ? ` = embeddingDim (${this.embeddingDim}) + attentionalSize (${this.hiddenSize}) for input feeding` : ' (embeddingDim)';
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
    if (this.inputFeeding) {
      const feed = state.feed;
      if (!(feed instanceof Tensor) || feed.rank !== 2 || feed.shape[0] !== batch || feed.shape[1] !== this.hiddenSize) {
        throw new K.ShapeError(`${who}: state.feed must be [${batch}, ${this.hiddenSize}] (h̃ of the previous step); got ${feed instanceof Tensor ? K.fmt(feed.shape) : String(feed)}`);
      }
      x = concat([x, feed], 1);
    }
    const r = this.cell.step(state.cell, x);
    const out = r.output;
    if (!(out instanceof Tensor) || out.rank !== 2 || out.shape[0] !== batch || out.shape[1] !== this.cell.outputSize) {
      throw new K.ShapeError(`${who}: cell.step returned output ${out instanceof Tensor ? K.fmt(out.shape) : typeof out}; expected [${batch}, ${this.cell.outputSize}]`);
    }
    if (!this.attention) return { state: { cell: r.state, feed: null }, hidden: out, attention: null };
    const { weights, context } = attend(this.attention, out, memory!.memory, memory!.keys, memory!.mask);
    const hidden = tanh(this.combine!.forward(concat([out, context], 1)));
    return { state: { cell: r.state, feed: this.inputFeeding ? hidden : null }, hidden, attention: weights };
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
