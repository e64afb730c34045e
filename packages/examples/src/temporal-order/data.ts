// The temporal-order problem of Hochreiter & Schmidhuber 1997 (Experiments 6a and 6b): classify a
// sequence of symbols by the order of two (6a) or three (6b) X/Y symbols far apart among distractors.
import * as K from '@unroll/core';
import { RandomGenerator, Tensor } from '@unroll/autograd';

/** The 8 input symbols in the order of their one-hot index: start E, trigger B, distractors a–d, relevant X and Y. */
export const TEMPORAL_ORDER_SYMBOLS = ['E', 'B', 'a', 'b', 'c', 'd', 'X', 'Y'] as const;
export type TemporalOrderSymbol = (typeof TEMPORAL_ORDER_SYMBOLS)[number];

/** '6a': two relevant symbols, 4 classes; '6b': three relevant symbols, 8 classes. */
export type TemporalOrderVariant = '6a' | '6b';
export const TEMPORAL_ORDER_VARIANTS: readonly TemporalOrderVariant[] = ['6a', '6b'];

/** The paper's class names: 6a Q, R, S, U for XX, XY, YX, YY; 6b Q, R, S, U, V, A, B, C for XXX … YYY. */
export const TEMPORAL_ORDER_CLASSES: Record<TemporalOrderVariant, readonly string[]> = {
  '6a': ['Q', 'R', 'S', 'U'],
  '6b': ['Q', 'R', 'S', 'U', 'V', 'A', 'B', 'C'],
};

/** Where the relevant symbols go at T = 100, as in the paper: [first, last] position of each (inclusive). */
const PAPER_WINDOWS: Record<TemporalOrderVariant, readonly [number, number][]> = {
  '6a': [[10, 20], [50, 60]],
  '6b': [[10, 20], [33, 43], [66, 76]],
};

export interface TemporalOrderOptions {
  variant: TemporalOrderVariant;
  /**
   * Minimal sequence length (default 100, the paper's). Lengths are drawn from [T, T + ⌊T/10⌋] and the
   * windows of the relevant symbols scale with T (at T = 100 exactly the paper's; T ≥ 20).
   */
  T?: number;
  /** Number of sequences. */
  batch: number;
  /** Random source; the same seed gives the same batch. */
  generator: RandomGenerator;
}

/** A batch of temporal-order sequences, time-major as the runner reads them. */
export interface TemporalOrderBatch {
  /** [maxLength, batch, 8]: one-hot symbols (index order `TEMPORAL_ORDER_SYMBOLS`); padding is all zeros. */
  inputs: Tensor;
  /** int32 [batch]: the class id (X = 0, Y = 1, read as a binary number, the first relevant symbol the most significant bit). */
  labels: Tensor;
  /** Real length of each sequence, in [T, T + ⌊T/10⌋]. */
  lengths: number[];
  /** The positions of the relevant symbols of each sequence (2 for 6a, 3 for 6b), increasing. */
  positions: number[][];
  /** The relevant symbols of each sequence, in order. */
  relevant: ('X' | 'Y')[][];
}

/** The windows [lo, hi] (inclusive, 0-based positions; position 0 holds E) of the relevant symbols at length T. */
export function temporalOrderWindows(variant: TemporalOrderVariant, T = 100): [number, number][] {
  checkVariant('temporalOrderWindows', variant);
  checkT('temporalOrderWindows', T);
  return PAPER_WINDOWS[variant].map(([lo, hi]) => [Math.round((lo * T) / 100), Math.round((hi * T) / 100)]);
}

/**
 * Draws a batch as in the paper: each sequence starts with E and ends with the trigger B; every other
 * element is a random distractor a, b, c or d, except the relevant positions (one drawn uniformly in
 * each window) which hold X or Y with equal probability. The class says which X/Y came in which order.
 */
export function temporalOrderBatch(opts: TemporalOrderOptions): TemporalOrderBatch {
  const { variant, batch, generator: g } = opts;
  const T = opts.T ?? 100;
  const windows = temporalOrderWindows(variant, T);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`temporalOrderBatch: batch must be a positive integer; got ${batch}`);
  const extra = Math.floor(T / 10);
  const maxLength = T + extra;
  const V = TEMPORAL_ORDER_SYMBOLS.length;
  const x = new Float32Array(maxLength * batch * V);
  const labels = new Int32Array(batch);
  const lengths: number[] = [], positions: number[][] = [], relevant: ('X' | 'Y')[][] = [];
  const set = (t: number, b: number, symbol: number) => { x[(t * batch + b) * V + symbol] = 1; };
  for (let b = 0; b < batch; b++) {
    const length = T + g.int(extra + 1);
    set(0, b, 0); // E
    set(length - 1, b, 1); // B, the trigger
    const at = windows.map(([lo, hi]) => lo + g.int(hi - lo + 1));
    const xy = at.map(() => (g.int(2) === 0 ? 'X' : 'Y') as 'X' | 'Y');
    let k = 0;
    for (let t = 1; t < length - 1; t++) {
      if (k < at.length && t === at[k]) set(t, b, xy[k++] === 'X' ? 6 : 7);
      else set(t, b, 2 + g.int(4)); // a, b, c or d
    }
    labels[b] = xy.reduce((id, s) => 2 * id + (s === 'Y' ? 1 : 0), 0);
    lengths.push(length);
    positions.push(at);
    relevant.push(xy);
  }
  return {
    inputs: new Tensor(K.fromData(x, [maxLength, batch, V])),
    labels: new Tensor(K.fromData(labels, [batch])),
    lengths, positions, relevant,
  };
}

/**
 * The paper's criterion, per sequence: correct when every output is within `tolerance` (0.3) of the
 * one-hot target. `probabilities` [batch, classes] (softmax outputs), `labels` int32 [batch].
 */
export function temporalOrderCorrect(probabilities: Tensor, labels: Tensor, tolerance = 0.3): boolean[] {
  if (probabilities.rank !== 2 || labels.rank !== 1 || probabilities.shape[0] !== labels.shape[0]) {
    throw new K.ShapeError(`temporalOrderCorrect: probabilities must be [batch, classes] and labels [batch]; got ${K.fmt(probabilities.shape)} and ${K.fmt(labels.shape)}`);
  }
  const [n, C] = probabilities.shape as [number, number];
  const p = probabilities.values(), y = labels.values();
  const out: boolean[] = [];
  for (let b = 0; b < n; b++) {
    let ok = true;
    for (let c = 0; c < C; c++) if (!(Math.abs(p[b * C + c]! - (c === y[b] ? 1 : 0)) < tolerance)) ok = false;
    out.push(ok);
  }
  return out;
}

function checkVariant(where: string, variant: string): void {
  if (!(TEMPORAL_ORDER_VARIANTS as readonly string[]).includes(variant)) {
    throw new RangeError(`${where}: variant must be one of ${TEMPORAL_ORDER_VARIANTS.join(', ')}; got '${variant}'`);
  }
}

function checkT(where: string, T: number): void {
  if (!Number.isInteger(T) || T < 20) throw new RangeError(`${where}: T must be an integer ≥ 20; got ${T}`);
}
