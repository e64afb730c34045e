// Attention over an encoder's outputs: additive (Bahdanau) and multiplicative (Luong dot and
// general) scores, and the masked softmax that turns scores into weights and a context vector.
import * as K from '@unroll/core';
import { Linear, Module, Tensor, matmul, reshape, softmax, tanh, where } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';
import { checkFloatDType, checkSize } from '../cells/common.js';
import type { FloatDType } from '../cells/common.js';

/**
 * A score function between a decoder query and the encoder's outputs (the memory).
 * `keys(memory)` does the work that depends on the memory only, once per source batch;
 * `score(query, keys)` runs at every decoding step.
 * Shapes: memory [B, S, memorySize], query [B, querySize], keys [B, S, ·] → scores [B, S].
 */
export interface Attention {
  /** 'additive' | 'dot' | 'general', or a user's own name. */
  readonly kind: string;
  readonly querySize: number;
  readonly memorySize: number;
  keys(memory: Tensor): Tensor;
  score(query: Tensor, keys: Tensor): Tensor;
}

/** The attention kinds built in. */
export type AttentionKind = 'additive' | 'dot' | 'general';

export interface AttentionOptions {
  /** Features of the query (the decoder cell's outputSize). */
  querySize: number;
  /** Features of each memory vector (the encoder's outputSize). */
  memorySize: number;
  /** Hidden size of the additive score's tanh layer (default querySize). Additive only. */
  attentionSize?: number;
  dtype?: FloatDType;
  generator?: RandomGenerator;
}

/**
 * Additive attention (Bahdanau et al. 2015): e_j = vᵀ tanh(W_k h_j + W_q q + b).
 * Parameters: keys.weight [A, M] (no bias), query.weight [A, Q], query.bias [A], v.weight [1, A].
 */
export class AdditiveAttention extends Module implements Attention {
  readonly kind = 'additive';
  readonly querySize: number;
  readonly memorySize: number;
  readonly attentionSize: number;
  readonly keyProjection: Linear;
  readonly queryProjection: Linear;
  readonly v: Linear;

  constructor(opts: AttentionOptions) {
    super();
    const who = 'AdditiveAttention';
    [this.querySize, this.memorySize] = checkSizes(who, opts);
    this.attentionSize = checkSize(who, 'attentionSize', opts.attentionSize ?? opts.querySize);
    const common = { dtype: checkFloatDType(who, opts.dtype), generator: opts.generator };
    this.keyProjection = this.registerModule('keys', new Linear(this.memorySize, this.attentionSize, { ...common, bias: false }));
    this.queryProjection = this.registerModule('query', new Linear(this.querySize, this.attentionSize, common));
    this.v = this.registerModule('v', new Linear(this.attentionSize, 1, { ...common, bias: false }));
  }

  /** memory [B, S, M] → W_k h_j [B, S, A]. */
  keys(memory: Tensor): Tensor {
    checkMemory('AdditiveAttention.keys', memory, this.memorySize);
    return this.keyProjection.forward(memory);
  }

  /** query [B, Q], keys [B, S, A] → e [B, S]. */
  score(query: Tensor, keys: Tensor): Tensor {
    const [batch, source] = checkScoreArgs('AdditiveAttention.score', query, keys, this.querySize, this.attentionSize);
    const q = reshape(this.queryProjection.forward(query), [batch, 1, this.attentionSize]);
    // One [B·S, A] · [A, 1] product for vᵀ tanh(·) over every source position at once.
    return reshape(this.v.forward(tanh(keys.add(q))), [batch, source]);
  }
}

/** Checks and returns [querySize, memorySize] of an attention's options. */
function checkSizes(who: string, opts: Pick<AttentionOptions, 'querySize' | 'memorySize'>): [number, number] {
  return [checkSize(who, 'querySize', opts.querySize), checkSize(who, 'memorySize', opts.memorySize)];
}

/**
 * Dot-product attention (Luong et al. 2015, "dot"): e_j = qᵀ h_j. No parameters; the query and
 * memory sizes must be equal.
 */
export class DotAttention extends Module implements Attention {
  readonly kind = 'dot';
  readonly querySize: number;
  readonly memorySize: number;

  constructor(opts: Pick<AttentionOptions, 'querySize' | 'memorySize'>) {
    super();
    const who = 'DotAttention';
    [this.querySize, this.memorySize] = checkSizes(who, opts);
    if (this.querySize !== this.memorySize) {
      throw new RangeError(`${who}: querySize (${this.querySize}) must equal memorySize (${this.memorySize}); use 'general' or 'additive' attention for different sizes`);
    }
  }

  /** The memory itself [B, S, M]. */
  keys(memory: Tensor): Tensor {
    checkMemory('DotAttention.keys', memory, this.memorySize);
    return memory;
  }

  /** query [B, Q], keys [B, S, Q] → e [B, S]. */
  score(query: Tensor, keys: Tensor): Tensor {
    return dotScores('DotAttention.score', query, keys, this.querySize);
  }
}

/**
 * General (bilinear) attention (Luong et al. 2015, "general"): e_j = qᵀ W_a h_j.
 * Parameters: weight [Q, M] (as a Linear without bias, applied to the memory once per batch).
 */
export class GeneralAttention extends Module implements Attention {
  readonly kind = 'general';
  readonly querySize: number;
  readonly memorySize: number;
  readonly keyProjection: Linear;

  constructor(opts: AttentionOptions) {
    super();
    const who = 'GeneralAttention';
    [this.querySize, this.memorySize] = checkSizes(who, opts);
    this.keyProjection = this.registerModule('keys', new Linear(this.memorySize, this.querySize, {
      bias: false, dtype: checkFloatDType(who, opts.dtype), generator: opts.generator,
    }));
  }

  /** memory [B, S, M] → W_a h_j [B, S, Q]. */
  keys(memory: Tensor): Tensor {
    checkMemory('GeneralAttention.keys', memory, this.memorySize);
    return this.keyProjection.forward(memory);
  }

  /** query [B, Q], keys [B, S, Q] → e [B, S]. */
  score(query: Tensor, keys: Tensor): Tensor {
    return dotScores('GeneralAttention.score', query, keys, this.querySize);
  }
}

/** Builds a built-in attention by name (`'additive' | 'dot' | 'general'`). */
export function createAttention(kind: AttentionKind, opts: AttentionOptions): AdditiveAttention | DotAttention | GeneralAttention {
  switch (kind) {
    case 'additive': return new AdditiveAttention(opts);
    case 'dot': return new DotAttention(opts);
    case 'general': return new GeneralAttention(opts);
  }
  throw new TypeError(`createAttention: kind must be 'additive', 'dot' or 'general'; got ${String(kind)}`);
}

/** The weights and the context of one attention step. */
export interface Attended {
  /** α [B, S]: a distribution over each row's real source positions (exactly 0 on padding). */
  weights: Tensor;
  /** c = Σ_j α_j h_j [B, M]. */
  context: Tensor;
}

// NOTE: a finite fill (not −∞) keeps detectAnomaly quiet; exp(−1e30 − max) is exactly 0 in both
// float32 and float64, so padded positions get weight 0 and no gradient.
const MASKED_SCORE = -1e30;

/**
 * α = softmax over the real source positions of `attention.score(query, keys)`, and c = α·memory.
 * mask: int32 [B, S], 1 on real positions, 0 on padding (every row needs at least one 1).
 */
export function attend(attention: Attention, query: Tensor, memory: Tensor, keys: Tensor, mask: Tensor | null): Attended {
  const [batch, source, size] = memory.shape as [number, number, number];
  const scores = attention.score(query, keys);
  if (scores.rank !== 2 || scores.shape[0] !== batch || scores.shape[1] !== source) {
    throw new K.ShapeError(`attend: ${attention.kind} attention returned scores ${K.fmt(scores.shape)}; expected [${batch}, ${source}] ([batch, source])`);
  }
  const weights = softmax(mask ? where(mask, scores, MASKED_SCORE) : scores, 1);
  // [B, 1, S] · [B, S, M] → [B, 1, M]: one small product per row.
  const context = reshape(matmul(reshape(weights, [batch, 1, source]), memory), [batch, size]);
  return { weights, context };
}

/**
 * The padding mask of a batch of sequences: int32 [B, S], 1 where position j < lengths[b].
 */
export function lengthMask(lengths: readonly number[], source: number): Tensor {
  const m = K.zeros([lengths.length, source], { dtype: 'int32' });
  lengths.forEach((len, b) => (m.data as Int32Array).fill(1, b * source, b * source + Math.min(len, source)));
  return new Tensor(m);
}

function dotScores(who: string, query: Tensor, keys: Tensor, querySize: number): Tensor {
  const [batch, source] = checkScoreArgs(who, query, keys, querySize, querySize);
  // [B, S, Q] · [B, Q, 1] → [B, S, 1].
  return reshape(matmul(keys, reshape(query, [batch, querySize, 1])), [batch, source]);
}

function checkMemory(who: string, memory: unknown, size: number): void {
  if (!(memory instanceof Tensor)) throw new TypeError(`${who}: memory must be a Tensor [batch, source, ${size}]`);
  if (memory.rank !== 3 || memory.shape[2] !== size) {
    throw new K.ShapeError(`${who}: memory must be [batch, source, ${size}]; got ${K.fmt(memory.shape)}`);
  }
}

function checkScoreArgs(who: string, query: Tensor, keys: Tensor, querySize: number, keySize: number): [number, number] {
  if (!(query instanceof Tensor) || query.rank !== 2 || query.shape[1] !== querySize) {
    throw new K.ShapeError(`${who}: query must be [batch, ${querySize}]; got ${query instanceof Tensor ? K.fmt(query.shape) : typeof query}`);
  }
  if (!(keys instanceof Tensor) || keys.rank !== 3 || keys.shape[0] !== query.shape[0] || keys.shape[2] !== keySize) {
    throw new K.ShapeError(`${who}: keys must be [${query.shape[0]}, source, ${keySize}] (the query's batch); got ${keys instanceof Tensor ? K.fmt(keys.shape) : typeof keys}`);
  }
  return [keys.shape[0]!, keys.shape[1]!];
}
