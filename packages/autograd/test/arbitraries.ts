// Seeded fast-check generators for op tests: shapes (broadcastable, matmul-shaped), values kept
// away from kinks, int32 ids and masks. Every float tensor is a float64 leaf with requiresGrad.
import fc from 'fast-check';
import * as K from '@unroll/core';
import { Tensor } from '@unroll/autograd';

/** The one seed every property test in this package uses, so failures replay. */
export const SEED = 42;

/** Inputs and the op's own arguments (axes, ranges, sizes), drawn together. */
export interface Drawn<A> {
  readonly xs: Tensor[];
  readonly args: A;
}

export type Values = fc.Arbitrary<number>;

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Uniform-ish doubles in [min, max] (fast-check also tries the bounds themselves). */
export const uniform = (min: number, max: number): Values =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** ±[min, max]: keeps relu, abs and denominators well away from 0. */
export const awayFromZero = (min = 0.1, max = 2): Values =>
  fc.tuple(fc.boolean(), uniform(min, max)).map(([negative, v]) => (negative ? -v : v));

/** Values in [-outer, outer] at least `gap` from each of `points` (clamp bounds). */
export function avoiding(points: readonly number[], gap: number, outer = 2): Values {
  const cuts = [...points].sort((a, b) => a - b);
  const pieces: Values[] = [];
  let lo = -outer;
  for (const p of [...cuts, outer + gap]) {
    if (p - gap > lo) pieces.push(uniform(lo, p - gap));
    lo = p + gap;
  }
  return fc.oneof(...pieces);
}

/** Values on a 1/64 grid in [-2, 2]: exact in float32, so a float32 round trip loses nothing. */
export const float32Grid: Values = fc.integer({ min: -128, max: 128 }).map((k) => k / 64);

/** A shape of rank 0–3 with dims 1–4 unless told otherwise. */
export const shape = (o: ShapeOptions = {}): fc.Arbitrary<number[]> =>
  // Rank first, then exactly that many dims: fc.array alone leans hard towards rank 0.
  fc.integer({ min: o.minRank ?? 0, max: o.maxRank ?? 3 }).chain((rank) =>
    fc.array(fc.integer({ min: o.minDim ?? 1, max: o.maxDim ?? 4 }), { minLength: rank, maxLength: rank }));

/** One shape, as the one-element list `tensors` takes. */
export const oneShape = (o: ShapeOptions = {}) => shape(o).map((s) => [s]);

/**
 * `count` shapes that broadcast together: each is a target shape with some leading axes dropped
 * (rank differences) and some dims set to 1, so both kinds of broadcasting are drawn.
 */
export function broadcastShapes(count: number, o: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  return shape(o).chain((target) => fc.tuple(...range(count).map(() => broadcastableTo(target))));
}

/** A shape that broadcasts to `target` (a suffix of it, with some dims turned to 1). */
export function broadcastableTo(target: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
    .map(([drop, ones]) => target.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
}

/** A float64 leaf with requiresGrad from row-major values. */
export function leaf(values: readonly number[], s: readonly number[]): Tensor {
  return new Tensor(K.fromData(Float64Array.from(values), s), { requiresGrad: true });
}

/** An int32 tensor (ids, masks) from row-major values. */
export function ints(values: readonly number[], s: readonly number[]): Tensor {
  return new Tensor(K.fromData(Int32Array.from(values), s));
}

/** A float64 leaf of `s` with elements drawn from `values`. */
export const tensorOf = (s: readonly number[], values: Values = uniform(-2, 2)): fc.Arbitrary<Tensor> =>
  fc.array(values, { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => leaf(v, s));

/** A float64 leaf of `s` whose elements are pairwise ≥ 0.05 apart (no ties or near-ties for max). */
export const distinctTensorOf = (s: readonly number[]): fc.Arbitrary<Tensor> =>
  fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { minLength: sizeOf(s), maxLength: sizeOf(s) })
    .map((v) => leaf(v.map((k) => k / 20), s));

/** An int32 tensor of `s` with values in [min, max]. */
export const intTensorOf = (s: readonly number[], min: number, max: number): fc.Arbitrary<Tensor> =>
  fc.array(fc.integer({ min, max }), { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => ints(v, s));

/** Leaves for each shape; `values` is one arbitrary for all inputs or one per input. */
export function tensors(shapes: fc.Arbitrary<number[][]>, values: Values | readonly Values[] = uniform(-2, 2)): fc.Arbitrary<Tensor[]> {
  const pick = (i: number) => (Array.isArray(values) ? (values as readonly Values[])[i]! : (values as Values));
  return shapes.chain((ss) => fc.tuple(...ss.map((s, i) => tensorOf(s, pick(i)))));
}

/** Leaves for `shapes` plus arguments drawn from those shapes (axes, ranges, …). */
export function withArgs<A>(
  shapes: fc.Arbitrary<number[][]>,
  args: (shapes: number[][]) => fc.Arbitrary<A>,
  values: Values | readonly Values[] = uniform(-2, 2),
): fc.Arbitrary<Drawn<A>> {
  return shapes.chain((ss) => fc.tuple(tensors(fc.constant(ss), values), args(ss)).map(([xs, a]) => ({ xs, args: a })));
}

/** One axis of a rank-`rank` shape, negative half the time. */
export const axisOf = (rank: number): fc.Arbitrary<number> => fc.integer({ min: -rank, max: rank - 1 });

/** A non-empty set of axes, each possibly written negative. */
export const axesOf = (rank: number): fc.Arbitrary<number[]> =>
  fc.subarray(range(rank), { minLength: 1 }).chain((axes) =>
    fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))));

/** A permutation of `rank` axes, each possibly written negative. */
export const permutationOf = (rank: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(range(rank), { minLength: rank, maxLength: rank }).chain((axes) =>
    fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))));

/** A reshape target for `s`: flattened, reversed, with a -1, or with size-1 axes inserted. */
export function reshapeTargetOf(s: readonly number[]): fc.Arbitrary<number[]> {
  const n = sizeOf(s);
  const reversed = [...s].reverse();
  const options: number[][] = [[n], [-1], reversed, [1, ...s, 1], [...s.slice(0, -1), 1, ...s.slice(-1)]];
  if (reversed.length > 0) options.push([-1, ...reversed.slice(1)], [...reversed.slice(0, -1), -1]);
  if (n === 1) options.push([]);
  return fc.constantFrom(...options);
}

/** A Python-style slice of a dim of size n: any start/stop (negatives, past the end), step 1–3. */
export const rangeOf = (n: number): fc.Arbitrary<K.Range> =>
  fc.record(
    { start: fc.integer({ min: -n - 1, max: n + 1 }), stop: fc.integer({ min: -n - 1, max: n + 1 }), step: fc.integer({ min: 1, max: 3 }) },
    { requiredKeys: [] },
  );

/**
 * Two matmul operands with fixed transpose flags: 2-D, or batched with batch dims that
 * broadcast (rank differences and size-1 dims), m, k, n in 1–4.
 */
export function matmulPair(o: { batched: boolean } & K.MatmulOptions): fc.Arbitrary<Drawn<K.MatmulOptions>> {
  const dim = fc.integer({ min: 1, max: 4 });
  const batches = o.batched
    ? shape({ minRank: 1, maxRank: 2, maxDim: 3 }).chain((b) => fc.tuple(broadcastableTo(b), broadcastableTo(b)))
    : fc.constant<[number[], number[]]>([[], []]);
  return fc.tuple(dim, dim, dim, batches).chain(([m, k, n, [ba, bb]]) => {
    const a = [...ba, ...(o.transA ? [k, m] : [m, k])];
    const b = [...bb, ...(o.transB ? [n, k] : [k, n])];
    return tensors(fc.constant([a, b]), uniform(-1, 1)).map((xs) => ({ xs, args: { transA: o.transA, transB: o.transB } }));
  });
}

/** Inputs of concat along one axis: 1–3 tensors equal off `axis`, each 1–3 long on it. */
export function concatInputs(): fc.Arbitrary<Drawn<{ axis: number }>> {
  return shape({ minRank: 1 }).chain((s) =>
    fc.tuple(axisOf(s.length), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })).chain(([axis, lengths]) => {
      const ax = axis < 0 ? axis + s.length : axis;
      const shapes = lengths.map((len) => s.map((d, i) => (i === ax ? len : d)));
      return tensors(fc.constant(shapes)).map((xs) => ({ xs, args: { axis } }));
    }));
}

/** Inputs of stack: 1–3 tensors of one shape, and an axis in [-(rank+1), rank]. */
export function stackInputs(): fc.Arbitrary<Drawn<{ axis: number }>> {
  return fc.tuple(shape(), fc.integer({ min: 1, max: 3 })).chain(([s, count]) =>
    fc.tuple(tensors(fc.constant(range(count).map(() => s))), axisOf(s.length + 1)).map(([xs, axis]) => ({ xs, args: { axis } })));
}

/** x and an int32 index for torch.gather along `axis`: index dims off the axis are ≤ x's. */
export function gatherInputs(): fc.Arbitrary<Drawn<{ axis: number }>> {
  return shape({ minRank: 1 }).chain((s) =>
    axisOf(s.length).chain((axis) => {
      const ax = axis < 0 ? axis + s.length : axis;
      const indexShape = fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: i === ax ? 4 : d })));
      return fc.tuple(tensorOf(s), indexShape.chain((is) => intTensorOf(is, 0, s[ax]! - 1)))
        .map(([x, index]) => ({ xs: [x, index], args: { axis } }));
    }));
}

/**
 * x and int32 ids for indexSelect along `axis`. With `repeated`, ids are 1-D and longer than
 * the axis, so at least one id repeats (its gradient must accumulate); otherwise ids have rank 0–2.
 */
export function indexSelectInputs(o: { repeated: boolean }): fc.Arbitrary<Drawn<{ axis: number }>> {
  return shape({ minRank: 1, maxDim: 3 }).chain((s) =>
    axisOf(s.length).chain((axis) => {
      const n = s[axis < 0 ? axis + s.length : axis]!;
      const idsShape = o.repeated ? fc.integer({ min: n + 1, max: n + 3 }).map((len) => [len]) : shape({ maxRank: 2, maxDim: 3 });
      return fc.tuple(tensorOf(s), idsShape.chain((is) => intTensorOf(is, 0, n - 1)))
        .map(([x, ids]) => ({ xs: [x, ids], args: { axis } }));
    }));
}

/** An int32 0/1 mask and two float tensors, all three broadcasting together. */
export function whereInputs(): fc.Arbitrary<Tensor[]> {
  return broadcastShapes(3).chain(([c, a, b]) => fc.tuple(intTensorOf(c!, 0, 1), tensorOf(a!), tensorOf(b!)));
}
