// Consecutive-stream batching for truncated BPTT, as in char-rnn: the text is cut into B equal
// streams read side by side, so chunk k+1 of each stream continues exactly where chunk k stopped
// and the recurrent state can be carried from one chunk to the next.
import * as K from '@unroll/core';
import { Tensor } from '@unroll/autograd';

/**
 * B parallel streams through a sequence of ids: stream b is ids[b·L, (b+1)·L) with
 * L = ⌊n / B⌋ (the last n mod B ids are dropped). Stored row-major [B, L].
 */
export interface Streams {
  readonly data: Int32Array;
  readonly batch: number;
  /** L, the length of each stream. */
  readonly length: number;
}

/** One TBPTT chunk: inputs and targets [time, batch] (int32), targets = inputs shifted one step ahead. */
export interface Chunk {
  inputs: Tensor;
  targets: Tensor;
}

/**
 * Cuts ids into `batch` consecutive streams. Each stream needs at least two ids (an input and its
 * target); `what` names the text in the error ('the training text').
 */
export function makeStreams(ids: Int32Array, batch: number, what = 'the text'): Streams {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`makeStreams: batch must be a positive integer; got ${batch}`);
  const length = Math.floor(ids.length / batch);
  if (length < 2) {
    throw new RangeError(`${what} has ${ids.length} characters: too few for ${batch} streams of at least 2 characters each; use a longer text or a smaller --batch`);
  }
  return { data: ids.slice(0, batch * length), batch, length };
}

/** Number of chunks of `seqLen` input steps in each stream: ⌊(L − 1) / seqLen⌋ full ones (the last target needs one more id). */
export function fullChunks(streams: Streams, seqLen: number): number {
  return Math.floor((streams.length - 1) / seqLen);
}

/**
 * The chunk of every stream starting at position `start` and `length` steps long (time-major, as
 * the recurrent modules take it): inputs[t][b] = stream b at start + t, targets[t][b] = the next id.
 */
export function chunkAt(streams: Streams, start: number, length: number): Chunk {
  const { data, batch, length: L } = streams;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 1 || start + length + 1 > L) {
    throw new RangeError(`chunkAt: steps [${start}, ${start + length}) plus one target need positions up to ${start + length}; each stream has ${L} (0…${L - 1})`);
  }
  const inputs = new Int32Array(length * batch);
  const targets = new Int32Array(length * batch);
  for (let t = 0; t < length; t++) {
    for (let b = 0; b < batch; b++) {
      const at = b * L + start + t;
      inputs[t * batch + b] = data[at]!;
      targets[t * batch + b] = data[at + 1]!;
    }
  }
  return { inputs: new Tensor(K.fromData(inputs, [length, batch])), targets: new Tensor(K.fromData(targets, [length, batch])) };
}

/**
 * Every chunk of the streams in order — full chunks of `seqLen`, then a shorter one with whatever
 * is left — so that together they cover every input position once (what validation needs).
 */
export function* allChunks(streams: Streams, seqLen: number): IterableIterator<Chunk> {
  const positions = streams.length - 1;
  for (let start = 0; start < positions; start += seqLen) yield chunkAt(streams, start, Math.min(seqLen, positions - start));
}
