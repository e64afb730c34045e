// Shape arithmetic: sizes, strides, NumPy broadcasting and axis normalisation.
import { ShapeError, fmt } from './errors.js';

export type Shape = readonly number[];

/**
 * The highest rank an array may have (NumPy allows 64; 32 is far beyond any model). scijs ndarray
 * generates code per rank, superlinear in it: rank 1,000 takes half a minute, so a corrupt file or a
 * runaway reshape must be refused, not built.
 */
export const MAX_RANK = 32;

export const sizeOf = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

/** Row-major (C-order) strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** NumPy broadcasting: align from the right; each pair of dims must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: cannot broadcast ${fmt(a)} with ${fmt(b)} (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape` as if broadcast to `target` (stride 0 on broadcast axes). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const off = target.length - shape.length;
  return target.map((_, i) => {
    const j = i - off;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/** One axis in [-rank, rank) to [0, rank). */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Axes (a number, a list, or undefined for all) to a sorted, unique list in [0, rank). */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normalizeAxis(op, a, rank));
  const unique = [...new Set(list)].sort((x, y) => x - y);
  if (unique.length !== list.length) throw new ShapeError(`${op}: repeated axis in ${fmt(typeof axes === 'number' ? [axes] : axes)}`);
  return unique;
}

/** Resolves one `-1` in a reshape target and checks the element count. */
export function resolveReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const size = sizeOf(from);
  const unknown = to.indexOf(-1);
  if (unknown !== to.lastIndexOf(-1)) throw new ShapeError(`${op}: only one dimension can be -1; got ${fmt(to)}`);
  const known = to.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
  const out = [...to];
  if (unknown >= 0) {
    if (known === 0 || size % known !== 0) throw new ShapeError(`${op}: cannot reshape ${fmt(from)} to ${fmt(to)}`);
    out[unknown] = size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== size) {
    throw new ShapeError(`${op}: cannot reshape ${fmt(from)} (${size} elements) to ${fmt(to)}`);
  }
  return out;
}
