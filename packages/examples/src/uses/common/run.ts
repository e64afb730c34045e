// Shared plumbing of the lecture-notes uses: run length (quick or UNROLL_FULL), seeded streams,
// sampling, and small formatting helpers for the words each use prints.
import { RandomGenerator } from '@unroll/autograd';
import type { Callback } from '@unroll/train';

/** An endless batch source for `fit` (it pulls one per step): each batch drawn from the use's seeded stream. */
export function* forever<B>(draw: () => B): IterableIterator<B> {
  for (;;) yield draw();
}

/** True when `UNROLL_FULL=1`: scripts and notebooks then train longer (the default fits CI). */
export function fullRun(): boolean {
  return typeof process !== 'undefined' && process.env.UNROLL_FULL === '1';
}

/**
 * `count` independent generators derived from one seed (weights, training data, test data, …),
 * so drawing more training batches never changes the test set.
 */
export function seededStreams(seed: number, count: number): RandomGenerator[] {
  const root = new RandomGenerator(seed);
  return Array.from({ length: count }, () => new RandomGenerator(root.nextUint32()));
}

/** Index drawn from the probabilities `p` (summing to 1). */
export function sampleIndex(p: ArrayLike<number>, gen: RandomGenerator): number {
  let u = gen.uniform();
  for (let k = 0; k < p.length - 1; k++) {
    u -= p[k]!;
    if (u < 0) return k;
  }
  return p.length - 1;
}

/** Index of the largest value (the first on ties). */
export function argmax(v: ArrayLike<number>, start = 0, length = v.length - start): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (v[start + k]! > v[start + best]!) best = k;
  return best;
}

/** The integers 0 … n−1 in a seeded random order (Fisher–Yates). */
export function permutation(n: number, gen: RandomGenerator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** `0.1234` → `"12.3%"`. */
export const percent = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;

/** A GitHub-style markdown table (notebooks render it; scripts print it as text). */
export function markdownTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Simple moving average (window `w`, shorter at the start) for noisy per-step losses. */
export function smooth(values: readonly number[], w = 20): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= w) sum -= values[i - w]!;
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

/** The training options the uses share (each adds its own and documents its defaults). */
export interface UseTrainOptions {
  /** Adam steps. */
  steps?: number;
  /** Examples per batch. */
  batchSize?: number;
  /** Adam's learning rate. */
  lr?: number;
  /** Hidden units of the recurrent layer. */
  hiddenSize?: number;
  /** Seeds the weights and the batches. */
  seed?: number;
  /** `fit` callbacks (progress, early stopping, …), e.g. `terminalProgress()` from '@unroll/train/node'. */
  callbacks?: readonly Callback[];
}
