// The twin-tagging task: mark each token whose twin (the same token) appears LATER in the sequence.
// Whether a token is tagged depends on the future, so a left-to-right reader can only guess.
import type { RandomGenerator } from '@unroll/autograd';

/** Batch size, sequence length, alphabet and the random source. */
export interface TwinOptions {
  /** Sequences in the batch. */
  batch: number;
  /** Tokens per sequence (default 12). */
  length?: number;
  /** Distinct tokens, drawn uniformly (default 8). */
  alphabet?: number;
  generator: RandomGenerator;
}

/** Token sequences and their twin tags. */
export interface TwinBatch {
  /** Token ids [batch][length], each in [0, alphabet). */
  tokens: number[][];
  /** tags[b][t] = 1 when tokens[b][t] occurs again at some later position, else 0. */
  tags: number[][];
}

/** Tags of one sequence: 1 where the token reappears later. */
export function twinTags(tokens: readonly number[]): number[] {
  const seenLater = new Set<number>();
  const tags = new Array<number>(tokens.length);
  for (let t = tokens.length - 1; t >= 0; t--) {
    tags[t] = seenLater.has(tokens[t]!) ? 1 : 0;
    seenLater.add(tokens[t]!);
  }
  return tags;
}

/** A batch of uniform random sequences and their twin tags. */
export function twinBatch(opts: TwinOptions): TwinBatch {
  const length = opts.length ?? 12, alphabet = opts.alphabet ?? 8;
  const tokens = Array.from({ length: opts.batch }, () => Array.from({ length }, () => opts.generator.int(alphabet)));
  return { tokens, tags: tokens.map(twinTags) };
}

/**
 * P(tag = 1) at each position, which is all a reader without the future can know: the later tokens
 * are independent of everything before them, so the token at t has a twin later with probability
 * p_t = 1 − (1 − 1/K)^(T−1−t), whatever it and the past are.
 */
export function twinProbability(length: number, alphabet: number): number[] {
  return Array.from({ length }, (_, t) => 1 - (1 - 1 / alphabet) ** (length - 1 - t));
}

/**
 * The best per-token accuracy possible without the future: at each position guess the likelier
 * tag, right with probability max(p_t, 1 − p_t); averaged over positions.
 */
export function bestAccuracyWithoutFuture(length: number, alphabet: number): number {
  return twinProbability(length, alphabet).reduce((a, p) => a + Math.max(p, 1 - p), 0) / length;
}
