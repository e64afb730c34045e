// The adding problem of Hochreiter & Schmidhuber 1997 (Experiment 4): sequences of (value, marker)
// pairs whose target, given only at the end, is 0.5 + (X1 + X2) / 4 for the two marked values.
import * as K from '@unroll/core';
import { RandomGenerator, Tensor } from '@unroll/autograd';

export interface AddingProblemOptions {
  /** Minimal sequence length T (at least 4). */
  T: number;
  /** Number of sequences. */
  batch: number;
  /** Random source; the same seed gives the same batch. */
  generator: RandomGenerator;
  /**
   * true (default, the paper): each length is drawn uniformly from [T, T + ⌊T/10⌋] and shorter
   * sequences are zero-padded at the end; false: every sequence is exactly T long.
   */
  variableLength?: boolean;
}

/** A batch of adding-problem sequences, time-major as the runner reads them. */
export interface AddingProblemBatch {
  /** [maxLength, batch, 2]: feature 0 the value in [−1, 1], feature 1 the marker (1, 0 or −1); padding is 0. */
  inputs: Tensor;
  /** [batch, 1]: 0.5 + (X1 + X2) / 4, in [0, 1]. */
  targets: Tensor;
  /** Real length of each sequence, in [T, T + ⌊T/10⌋]. */
  lengths: number[];
  /** The two marked time steps [p1, p2] of each sequence (p1 < 10, p2 < ⌊T/2⌋). */
  positions: [number, number][];
}

/**
 * Draws a batch as in the paper: values uniform in [−1, 1]; one of the first 10 pairs is marked
 * (its value is X1), then one of the first ⌊T/2⌋ − 1 still unmarked pairs (X2). The markers of the
 * first and last pair are −1 unless marked, every other marker is 0. When the first pair is the
 * marked one, X1 is set to 0 (the paper's rule).
 */
export function addingProblemBatch(opts: AddingProblemOptions): AddingProblemBatch {
  const { T, batch, generator: g } = opts;
  if (!Number.isInteger(T) || T < 4) throw new RangeError(`addingProblemBatch: T must be an integer ≥ 4; got ${T}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`addingProblemBatch: batch must be a positive integer; got ${batch}`);
  const variable = opts.variableLength ?? true;
  const extra = variable ? Math.floor(T / 10) : 0;
  const maxLength = T + extra;
  const x = new Float32Array(maxLength * batch * 2);
  const y = new Float32Array(batch);
  const lengths: number[] = [];
  const positions: [number, number][] = [];
  const at = (t: number, b: number, f: number) => (t * batch + b) * 2 + f;
  const half = Math.floor(T / 2);
  for (let b = 0; b < batch; b++) {
    const length = T + g.int(extra + 1);
    for (let t = 0; t < length; t++) x[at(t, b, 0)] = 2 * g.uniform() - 1;
    x[at(0, b, 1)] = -1;
    x[at(length - 1, b, 1)] = -1;
    const p1 = g.int(Math.min(10, T));
    // One of the first ⌊T/2⌋ − 1 unmarked pairs: draw an index over the first half without p1.
    const skip = p1 < half;
    const r = g.int(skip ? half - 1 : half);
    const p2 = skip && r >= p1 ? r + 1 : r;
    if (p1 === 0) x[at(0, b, 0)] = 0;
    x[at(p1, b, 1)] = 1;
    x[at(p2, b, 1)] = 1;
    y[b] = 0.5 + (x[at(p1, b, 0)]! + x[at(p2, b, 0)]!) / 4;
    lengths.push(length);
    positions.push([p1, p2]);
  }
  return {
    inputs: new Tensor(K.fromData(x, [maxLength, batch, 2])),
    targets: new Tensor(K.fromData(y, [batch, 1])),
    lengths,
    positions,
  };
}

/** The paper's success criterion: the fraction of sequences whose |prediction − target| < `tolerance` (0.04). */
export function addingAccuracy(predictions: Tensor, targets: Tensor, tolerance = 0.04): number {
  if (!K.sameShape(predictions.shape, targets.shape)) {
    throw new K.ShapeError(`addingAccuracy: predictions ${K.fmt(predictions.shape)} and targets ${K.fmt(targets.shape)} must have the same shape`);
  }
  const p = predictions.values(), t = targets.values();
  if (p.length === 0) throw new RangeError('addingAccuracy: no predictions');
  let correct = 0;
  for (let k = 0; k < p.length; k++) if (Math.abs(p[k]! - t[k]!) < tolerance) correct++;
  return correct / p.length;
}
