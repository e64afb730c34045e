// Truncated backpropagation through time: cut long sequences into chunks along time and carry
// the state from one chunk to the next with its graph cut (detachState).
import * as K from '@unroll/core';
import { Tensor, checkOptions, narrow, optionKeys } from '@unroll/autograd';
import { detachState } from './cell.js';

export { detachState };

export interface ChunkOptions {
  /** The tensors are [batch, time, ...] instead of [time, batch, ...]. Default false. */
  batchFirst?: boolean;
}

const CHUNK_OPTIONS = optionKeys<ChunkOptions>({ batchFirst: true });

/** A record of tensors cut in lockstep (e.g. `{ inputs, targets }`). */
export type TensorRecord = { readonly [key: string]: Tensor };

/**
 * Consecutive time chunks of `chunkLength` steps (the last may be shorter) of a tensor
 * [time, batch, ...] (or [batch, time, ...] with `batchFirst`), or of every tensor of a record in
 * lockstep — inputs and int32 targets alike (all must have the same number of steps).
 * Chunks of float tensors keep the graph (gradients flow back into the full tensor).
 *
 *     let state = cell.initialState(batch);
 *     for (const { inputs, targets } of chunks({ inputs: xs, targets: ys }, 35)) {
 *       const r = unroll(cell, inputs, { initialState: state });
 *       // … loss on r.outputs vs targets, backward, optimizer step …
 *       state = detachState(r.state);   // carry the values, cut the graph
 *     }
 */
export function chunks(seq: Tensor, chunkLength: number, opts?: ChunkOptions): IterableIterator<Tensor>;
export function chunks<R extends TensorRecord>(seqs: R, chunkLength: number, opts?: ChunkOptions): IterableIterator<{ [K in keyof R]: Tensor }>;
export function* chunks(seqs: Tensor | TensorRecord, chunkLength: number, opts: ChunkOptions = {}): IterableIterator<Tensor | TensorRecord> {
  checkOptions('chunks', opts, CHUNK_OPTIONS);
  const axis = opts.batchFirst ? 1 : 0;
  const single = seqs instanceof Tensor;
  const entries = single ? [['seq', seqs] as const] : Object.entries(seqs);
  if (!Number.isInteger(chunkLength) || chunkLength < 1) {
    throw new RangeError(`chunks: chunkLength must be a positive integer; got ${chunkLength}`);
  }
  if (entries.length === 0) throw new TypeError('chunks: needs a tensor or a non-empty record of tensors');
  let time = -1;
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new TypeError(`chunks: ${name} must be a Tensor; got ${typeof t}`);
    if (t.rank <= axis) throw new K.ShapeError(`chunks: ${name} has no time axis ${axis}; got ${K.fmt(t.shape)}`);
    const steps = t.shape[axis]!;
    if (time >= 0 && steps !== time) {
      throw new K.ShapeError(`chunks: every tensor must have ${time} time steps on axis ${axis}; ${name} is ${K.fmt(t.shape)}`);
    }
    time = steps;
  }
  for (let start = 0; start < time; start += chunkLength) {
    const length = Math.min(chunkLength, time - start);
    const cut = (t: Tensor) => timeSlice(t, axis, start, length);
    if (single) {
      yield cut(seqs);
    } else {
      const out: Record<string, Tensor> = {};
      for (const [name, t] of entries) out[name] = cut(t);
      yield out;
    }
  }
}

function timeSlice(t: Tensor, axis: number, start: number, length: number): Tensor {
  // int32 tensors (token ids, targets) take no gradient: cut them as plain arrays.
  if (t.dtype === 'int32') {
    const ranges: K.Range[] = [];
    ranges[axis] = { start, stop: start + length };
    return new Tensor(K.slice(t.data, ranges));
  }
  return narrow(t, axis, start, length);
}

/** What `tbptt` hands the body for each chunk. */
export interface TBPTTStep<R, S> {
  /** This chunk's tensors (the record given to `tbptt`, cut in time). */
  chunk: { [K in keyof R]: Tensor };
  /** The state carried from the previous chunk (detached), or the initial state. */
  state: S;
  /** 0, 1, 2, … */
  index: number;
}

/**
 * Truncated BPTT as a loop: calls `body` on each chunk of `seqs` (see `chunks`) with the state
 * left by the previous chunk, detached, so gradients stop at the chunk boundary while the values
 * carry on. `body` returns the chunk's final state (after its own backward and optimizer step);
 * `tbptt` returns the last one, detached.
 */
export function tbptt<R extends TensorRecord, S>(
  seqs: R, chunkLength: number, initialState: S, body: (step: TBPTTStep<R, S>) => S, opts: ChunkOptions = {},
): S {
  let state = detachState(initialState);
  let index = 0;
  for (const chunk of chunks(seqs, chunkLength, opts)) {
    state = detachState(body({ chunk, state, index: index++ }));
  }
  return state;
}
