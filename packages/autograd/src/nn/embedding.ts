// Embedding: a lookup table of learned vectors indexed by integer ids, as torch.nn.Embedding.
import * as K from '@unroll/core';
import type { FloatDType, RandomGenerator, Nested } from '@unroll/core';
import { where } from '../ops/elementwise.js';
import { indexSelect } from '../ops/movement.js';
import { Tensor } from '../tensor.js';
import { checkFeatureCount, checkFloatDType, describe, unravel } from './checks.js';
import * as init from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface EmbeddingOptions {
  /**
   * An id whose row starts at zero and never gets a gradient (the pad token), as torch's
   * padding_idx; negative counts from the end.
   */
  paddingIdx?: number;
  /** Weight dtype (default float32). */
  dtype?: FloatDType;
  /** Random source of the initial weights (the default generator if omitted). */
  generator?: RandomGenerator;
}

/**
 * A table of `numEmbeddings` vectors of size `embeddingDim`, looked up by id.
 * Shapes: weight [numEmbeddings, embeddingDim] ~ N(0, 1); ids [...] (int32) → [..., embeddingDim].
 * The `paddingIdx` row is zeroed at construction and receives no gradient (it still returns whatever
 * the row holds, as in torch).
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The normalized (non-negative) padding id, or null. */
  readonly paddingIdx: number | null;
  /** [numEmbeddings, embeddingDim] */
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    checkFeatureCount('Embedding', 'numEmbeddings', numEmbeddings);
    checkFeatureCount('Embedding', 'embeddingDim', embeddingDim);
    const dtype = checkFloatDType('Embedding', opts.dtype ?? 'float32');
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(opts.paddingIdx, numEmbeddings);
    this.weight = this.registerParameter('weight', new Parameter(K.zeros([numEmbeddings, embeddingDim], { dtype })));
    init.normal(this.weight, 0, 1, { generator: opts.generator });
    if (this.paddingIdx !== null) {
      const d = embeddingDim, p = this.paddingIdx;
      this.weight.data.data.fill(0, p * d, (p + 1) * d);
      this.weight.bumpVersion();
    }
  }

  /**
   * ids [...] → [..., embeddingDim]. `ids` is an int32 Tensor (or nested integer arrays); every id
   * must lie in [0, numEmbeddings).
   */
  forward(ids: Tensor | Nested): Tensor {
    const idArray = this.checkIds(ids);
    const idTensor = ids instanceof Tensor ? ids : new Tensor(idArray);
    const rows = indexSelect(this.weight, 0, idTensor);
    if (this.paddingIdx === null || !rows.requiresGrad) return rows;
    // Rows looked up at the pad id come from a detached copy, so no gradient reaches that row
    // (torch masks it in the embedding backward); the values are the same either way.
    const ids32 = K.contiguous(idArray);
    const isPad = K.zeros([...idArray.shape, 1], { dtype: 'int32' });
    let any = false;
    for (let k = 0; k < ids32.length; k++) {
      if (ids32[k] === this.paddingIdx) { isPad.data[k] = 1; any = true; }
    }
    return any ? where(new Tensor(isPad), rows.detach(), rows) : rows;
  }

  /** The ids as an int32 ndarray, after checking dtype, integrality and range. */
  private checkIds(ids: Tensor | Nested): K.NdArray {
    let values: K.NdArray;
    if (ids instanceof Tensor) {
      if (ids.dtype !== 'int32') {
        throw new K.DTypeError(`Embedding.forward: ids must be an int32 tensor of token ids; got ${ids.dtype} (convert with ids.to('int32'))`);
      }
      values = ids.data;
    } else if (typeof ids === 'number' || Array.isArray(ids)) {
      values = K.fromNested(ids, { dtype: 'float64' });
    } else {
      throw new TypeError(`Embedding.forward: ids must be an int32 Tensor or nested integer arrays; got ${describe(ids)}`);
    }
    const flat = K.contiguous(values);
    for (let k = 0; k < flat.length; k++) {
      const id = flat[k]!;
      if (!Number.isInteger(id)) {
        throw new TypeError(`Embedding.forward: id ${id} is not an integer (at ${K.fmt(unravel(k, values.shape))})`);
      }
      if (id < 0 || id >= this.numEmbeddings) {
        throw new RangeError(
          `Embedding.forward: id ${id} is out of range for ${this.numEmbeddings} embeddings (at ${K.fmt(unravel(k, values.shape))})`);
      }
    }
    return K.dtypeOf(values.data) === 'int32' ? values : K.cast(values, 'int32');
  }
}

function normalizePaddingIdx(paddingIdx: number | undefined, n: number): number | null {
  if (paddingIdx === undefined) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx) || paddingIdx < -n || paddingIdx >= n) {
    throw new RangeError(`Embedding: paddingIdx must be an integer in [${-n}, ${n}) for ${n} embeddings; got ${String(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + n : paddingIdx;
}
