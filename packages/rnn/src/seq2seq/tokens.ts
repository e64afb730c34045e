// Token-id batches for seq2seq: padding lists of ids into an int32 tensor, checking ids against
// a vocabulary, and reading each row's length from its trailing padding.
import * as K from '@unroll/core';
import { Tensor } from '@unroll/autograd';
import { normalizeLengths } from '../unroll.js';
import type { Lengths } from '../unroll.js';

/** A padded batch of token ids. */
export interface PaddedBatch {
  /** int32 [batch, longest], each row padded at the end with the pad id. */
  ids: Tensor;
  /** Each row's real length. */
  lengths: number[];
}

/**
 * Pads lists of token ids to one length: `padSequences([[5, 6, 2], [7, 2]], 0)` → ids
 * [[5, 6, 2], [7, 2, 0]], lengths [3, 2]. Rows must be non-empty lists of integers.
 */
export function padSequences(sequences: readonly (readonly number[])[], padId: number, opts: { length?: number } = {}): PaddedBatch {
  if (!Array.isArray(sequences) || sequences.length === 0) throw new RangeError('padSequences: needs a non-empty array of sequences');
  if (!Number.isInteger(padId)) throw new TypeError(`padSequences: padId must be an integer; got ${String(padId)}`);
  const lengths = sequences.map((s, b) => {
    if (!Array.isArray(s)) throw new TypeError(`padSequences: sequences[${b}] must be an array of token ids`);
    if (s.length === 0) throw new RangeError(`padSequences: sequences[${b}] is empty (a sequence needs at least one token)`);
    return s.length;
  });
  const longest = Math.max(...lengths);
  const width = opts.length ?? longest;
  if (!Number.isInteger(width) || width < longest) {
    throw new RangeError(`padSequences: length must be an integer ≥ the longest sequence (${longest}); got ${String(opts.length)}`);
  }
  const data = new Int32Array(sequences.length * width).fill(padId);
  sequences.forEach((s, b) => s.forEach((id: number, t: number) => {
    if (!Number.isInteger(id)) throw new TypeError(`padSequences: sequences[${b}][${t}] = ${String(id)} is not an integer id`);
    data[b * width + t] = id;
  }));
  return { ids: new Tensor(K.fromData(data, [sequences.length, width])), lengths };
}

/**
 * Validates a batch of ids: an int32 tensor [batch, time] with time ≥ 1, batch ≥ 1, every id in
 * [0, vocabSize). `name` and `vocab` describe it in errors ("src", "the source vocabulary").
 */
export function checkIds(who: string, name: string, ids: unknown, vocabSize: number, vocab: string): { batch: number; time: number } {
  if (!(ids instanceof Tensor)) {
    throw new TypeError(`${who}: ${name} must be an int32 Tensor [batch, time] of token ids; got ${ids === null ? 'null' : typeof ids} (padSequences builds one)`);
  }
  if (ids.dtype !== 'int32') throw new K.DTypeError(`${who}: ${name} must be an int32 tensor of token ids; got ${ids.dtype}`);
  if (ids.rank !== 2) throw new K.ShapeError(`${who}: ${name} must be [batch, time]; got ${K.fmt(ids.shape)}`);
  const [batch, time] = ids.shape as [number, number];
  if (batch === 0) throw new K.ShapeError(`${who}: ${name} has an empty batch: ${K.fmt(ids.shape)}`);
  if (time === 0) throw new K.ShapeError(`${who}: ${name} has no tokens (time = 0): ${K.fmt(ids.shape)}; every sequence needs at least one`);
  const v = ids.values();
  for (let k = 0; k < v.length; k++) {
    if (v[k]! < 0 || v[k]! >= vocabSize) {
      throw new RangeError(`${who}: ${name} id ${v[k]} at [${Math.floor(k / time)}, ${k % time}] is outside ${vocab} [0, ${vocabSize})`);
    }
  }
  return { batch, time };
}

/**
 * Each row's length: `lengths` when given (checked: one per row, each in [1, time]); otherwise,
 * with a pad id, the position after the row's last non-pad token (a row of pads is an error);
 * otherwise `time` for every row.
 */
export function resolveLengths(who: string, name: string, ids: Tensor, lengths: Lengths | undefined, padId: number | null): number[] {
  const [batch, time] = ids.shape as [number, number];
  if (lengths !== undefined) return normalizeLengths(who, lengths, batch, time);
  if (padId === null) return new Array<number>(batch).fill(time);
  const v = ids.values();
  const out = new Array<number>(batch);
  for (let b = 0; b < batch; b++) {
    let len = time;
    while (len > 0 && v[b * time + len - 1] === padId) len--;
    if (len === 0) throw new RangeError(`${who}: ${name} row ${b} is empty (only padding, id ${padId}); every sequence needs at least one token`);
    out[b] = len;
  }
  return out;
}
