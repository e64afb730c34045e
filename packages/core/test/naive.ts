// Naive references for kernel tests: element-by-element loops over multi-indices, and arbitraries
// of ndarrays with any layout (transposed, offset, stepped, reversed) so kernels see non-contiguous input.
import fc from 'fast-check';
import ndarray from 'ndarray';
import { RandomGenerator as Rng, allocate, type DType, type NdArray, type TypedArray } from '@unroll/core';

export const SEED = 42;

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Every multi-index of `shape` in row-major order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((d) => d === 0)) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < sizeOf(shape); k++) {
    yield [...idx];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** The element at a multi-index, read through the array's own strides and offset. */
export const at = (a: NdArray, idx: readonly number[]): number => a.get(...idx);

/** All elements in row-major order, read one by one with `at`. */
export const valuesOf = (a: NdArray): number[] => [...indices(a.shape)].map((i) => at(a, i));

/** A fresh row-major array of `shape` with element f(index). */
export function build(shape: readonly number[], f: (idx: number[]) => number, dtype: DType = 'float64'): NdArray<TypedArray> {
  const data = allocate(dtype, sizeOf(shape));
  let k = 0;
  for (const i of indices(shape)) data[k++] = f(i);
  return ndarray(data, [...shape]);
}

/** NumPy broadcasting, written out: align right, 1 stretches. Returns null when the shapes do not fit. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[i - n + a.length] ?? 1, y = b[i - n + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** The index into an array of `shape` that an output index of a broadcast result reads. */
export const broadcastIndex = (idx: readonly number[], shape: readonly number[]): number[] =>
  shape.map((d, k) => (d === 1 ? 0 : idx[idx.length - shape.length + k]!));

export interface ArrayOptions {
  dtype?: DType;
  /** Small integers in [-2, 2] instead of uniform values in [-3, 3] (to provoke ties). */
  ints?: boolean;
  /** Only row-major contiguous arrays. */
  contiguousOnly?: boolean;
}

/**
 * An ndarray of exactly `shape` in a random layout: either a fresh row-major array, or a view
 * into a larger buffer through `.lo()` (offset), `.step()` (stride 2 or reversed) and
 * `.transpose()`, the views kernels must read through their strides.
 */
export function arrayOf(shape: readonly number[], o: ArrayOptions = {}): fc.Arbitrary<NdArray> {
  const r = shape.length;
  const dtype = o.dtype ?? 'float64';
  const layout = fc.record({
    strided: o.contiguousOnly || r === 0 ? fc.constant(false) : fc.boolean(),
    perm: fc.shuffledSubarray(range(r), { minLength: r, maxLength: r }),
    pads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: r, maxLength: r }),
    steps: fc.array(fc.constantFrom(1, 2, -1), { minLength: r, maxLength: r }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });
  return layout.map(({ strided, perm, pads, steps, seed }) => {
    const g = new Rng(seed);
    const fill = (data: TypedArray) => {
      for (let i = 0; i < data.length; i++) data[i] = o.ints ? g.int(5) - 2 : -3 + 6 * g.uniform();
      return data;
    };
    if (!strided) return ndarray(fill(allocate(dtype, sizeOf(shape))), [...shape]);
    // pre.shape[perm[j]] = shape[j], so that .transpose(...perm) gives `shape`.
    const pre = new Array<number>(r);
    perm.forEach((p, j) => { pre[p] = shape[j]!; });
    const base = pre.map((d, i) => pads[i]! + Math.abs(steps[i]!) * d);
    const view = ndarray(fill(allocate(dtype, sizeOf(base))), base).lo(...pads).step(...steps).hi(...pre).transpose(...perm);
    return view;
  });
}

/** A shape of rank minRank–maxRank with dims 1–maxDim. */
export const shapeArb = (o: { minRank?: number; maxRank?: number; maxDim?: number } = {}): fc.Arbitrary<number[]> =>
  fc.integer({ min: o.minRank ?? 0, max: o.maxRank ?? 3 }).chain((rank) =>
    fc.array(fc.integer({ min: 1, max: o.maxDim ?? 4 }), { minLength: rank, maxLength: rank }));

/** A shape that broadcasts to `target`: a suffix of it with some dims turned to 1. */
export const broadcastableTo = (target: readonly number[]): fc.Arbitrary<number[]> =>
  fc.tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
    .map(([drop, ones]) => target.map((d, i) => (ones[i] ? 1 : d)).slice(drop));

/** Two shapes that broadcast together (rank differences and size-1 dims on either side). */
export const broadcastPair = (): fc.Arbitrary<[number[], number[]]> =>
  shapeArb().chain((t) => fc.tuple(broadcastableTo(t), broadcastableTo(t)));

/** Expects |got − want| ≤ tol·(1 + |want|) element by element, naming the first index that differs. */
export function expectClose(got: readonly number[], want: readonly number[], tol: number, label = ''): void {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} values; expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    const same = Object.is(g, w) || Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!same) throw new Error(`${label} element ${i}: got ${g}, expected ${w}`);
  }
}
