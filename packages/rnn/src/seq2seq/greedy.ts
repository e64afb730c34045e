// Greedy decoding: at every step each row takes its most likely next token, until the end token
// or the length limit; rows that have ended are carried along but no longer change. The same
// row-by-row loop serves the sampling decoder (sample.ts).
import * as K from '@unroll/core';
import { Tensor, checkOptions, noGrad, optionKeys } from '@unroll/autograd';
import type { Lengths } from '../unroll.js';
import type { Seq2Seq } from './seq2seq.js';

export interface DecodeOptions {
  /** Each source row's real length (default: from trailing source pad ids, or the full width). */
  srcLengths?: Lengths;
  /** Most tokens generated per row, the end token included (default 2·S + 10 for a source of width S). */
  maxLength?: number;
}

/** Every option of `greedyDecode`; any other key is refused. */
const DECODE_OPTIONS = optionKeys<DecodeOptions>({ srcLengths: true, maxLength: true });

/** One row's greedy output. */
export interface GreedyResult {
  /** The generated tokens, without the start and end tokens. */
  tokens: number[];
  /** True when the end token was produced (false: stopped at maxLength). */
  finished: boolean;
  /** Σ log p of every generated token, the end token included. */
  logProb: number;
  /**
   * α per generated step (end token included) over the row's real source positions:
   * [steps][sourceLength], ready to plot; null without attention.
   */
  attention: number[][] | null;
}

/** The decoding length limit (checked), defaulting to 2·S + 10. */
export function resolveMaxLength(who: string, maxLength: number | undefined, sourceLength: number): number {
  const m = maxLength ?? 2 * sourceLength + 10;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`${who}: maxLength must be a positive integer; got ${String(maxLength)}`);
  return m;
}

/**
 * Greedy decoding of src int32 [B, S]: y_t = argmax p(y | y_<t, x) (ties go to the lowest id),
 * starting from bosId, stopping each row at eosId or after maxLength tokens. Runs without
 * recording gradients; call model.eval() first if it has dropout.
 */
export function greedyDecode<SE, SD>(model: Seq2Seq<SE, SD>, src: Tensor, opts: DecodeOptions = {}): GreedyResult[] {
  checkOptions('greedyDecode', opts, DECODE_OPTIONS);
  return decodeRowByRow('greedyDecode', model, src, opts, (logits, V, b) => argmaxRow(logits, b * V, V));
}

/** The index of the largest of values[offset, offset + n) minus offset; ties go to the lowest. */
export function argmaxRow(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let v = 1; v < n; v++) if (values[offset + v]! > values[offset + best]!) best = v;
  return best;
}

/**
 * The decoding loop greedy and sampling decoders share: each step, every row that has not ended
 * takes the token `choose(logits, V, b)` picks from its logits (row b of [B, V], flat), adds its
 * log-probability under the model, and ends at eosId; ended rows are fed eosId and no longer change.
 */
export function decodeRowByRow<SE, SD>(
  who: string, model: Seq2Seq<SE, SD>, src: Tensor, opts: DecodeOptions,
  choose: (logits: ArrayLike<number>, V: number, b: number) => number,
): GreedyResult[] {
  return noGrad(() => {
    const enc = model.encode(src, { srcLengths: opts.srcLengths });
    const maxLength = resolveMaxLength(who, opts.maxLength, enc.sourceLength);
    const batch = src.shape[0]!, S = enc.sourceLength, V = model.decoder.vocabSize;
    const results: GreedyResult[] = enc.lengths.map(() => ({
      tokens: [], finished: false, logProb: 0, attention: model.decoder.attention ? [] : null,
    }));
    let state = enc.state;
    let ids = new Int32Array(batch).fill(model.bosId);
    let open = batch;
    for (let t = 0; t < maxLength && open > 0; t++) {
      const r = model.decoder.step(state, new Tensor(K.fromData(ids, [batch])), enc.memory);
      state = r.state;
      const logits = r.logits.values();
      const logp = K.contiguous(K.logSoftmax(r.logits.data, 1));
      const att = r.attention?.values();
      const next = new Int32Array(batch);
      for (let b = 0; b < batch; b++) {
        const res = results[b]!;
        if (res.finished) { next[b] = model.eosId; continue; }
        const token = choose(logits, V, b);
        next[b] = token;
        res.logProb += logp[b * V + token]!;
        if (att) res.attention!.push(Array.from(att.subarray(b * S, b * S + enc.lengths[b]!)));
        if (token === model.eosId) { res.finished = true; open--; } else res.tokens.push(token);
      }
      ids = next;
    }
    return results;
  });
}
