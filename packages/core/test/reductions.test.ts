// Reductions over any set of axes (with and without keepdims) against naive loops, on any
// layout; argmax with ties; sumTo (the gradient of broadcasting).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import {
  SEED, arrayOf, at, broadcastIndex, broadcastableTo, expectClose, indices, range, shapeArb, valuesOf,
} from './naive.js';

/** Reduces by visiting, for each output slot, every input index that lands on it. */
function naiveReduce(a: K.NdArray, axes: number[], keepdims: boolean, init: number, f: (acc: number, x: number) => number) {
  const kept = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out: number[] = [];
  for (const o of indices(kept)) {
    let acc = init;
    for (const i of indices(a.shape)) if (i.every((v, d) => axes.includes(d) || v === o[d])) acc = f(acc, at(a, i));
    out.push(acc);
  }
  return { shape: keepdims ? kept : a.shape.filter((_, i) => !axes.includes(i)), values: out };
}

/** An array and a reduction spec: axes undefined (all), one number, or a list, each maybe negative. */
const reduceInputs = (o: { ints?: boolean; dtype?: K.DType } = {}) =>
  shapeArb().chain((s) =>
    fc.tuple(
      arrayOf(s, o),
      fc.oneof(
        fc.constant(undefined),
        s.length === 0 ? fc.constant<number[]>([]) : fc.integer({ min: -s.length, max: s.length - 1 }),
        fc.subarray(range(s.length)).chain((ax) => fc.tuple(...ax.map((a) => fc.constantFrom(a, a - s.length)))),
      ),
      fc.boolean(),
    ));
const normalized = (axes: number | number[] | undefined, rank: number) =>
  axes === undefined ? range(rank) : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));

describe.each(['float64', 'float32'] as const)('reductions match naive loops (%s)', (dtype) => {
  const tol = dtype === 'float32' ? 1e-5 : 1e-12;
  const cases: [string, typeof K.sum, number, (acc: number, x: number) => number, boolean][] = [
    ['sum', K.sum, 0, (s, x) => s + x, false],
    ['max', K.max, -Infinity, Math.max, true],
    ['min', K.min, Infinity, Math.min, true],
  ];
  it.each(cases)('%s over any axes, keepdims or not', (_, kernel, init, f, exact) => {
    fc.assert(
      fc.property(reduceInputs({ dtype }), ([a, axes, keepdims]) => {
        const out = kernel(a, { axes, keepdims });
        const want = naiveReduce(a, normalized(axes, a.shape.length), keepdims, init, f);
        expect(out.shape).toEqual(want.shape);
        expect(K.dtypeOf(out.data)).toBe(dtype);
        if (exact) expect(valuesOf(out)).toEqual(want.values);
        else expectClose(valuesOf(out), want.values, tol, 'sum');
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('mean over any axes', () => {
    fc.assert(
      fc.property(reduceInputs({ dtype }), ([a, axes, keepdims]) => {
        const list = normalized(axes, a.shape.length);
        const count = list.reduce((n, d) => n * a.shape[d]!, 1);
        const want = naiveReduce(a, list, keepdims, 0, (s, x) => s + x);
        const out = K.mean(a, { axes, keepdims });
        expect(out.shape).toEqual(want.shape);
        expectClose(valuesOf(out), want.values.map((v) => v / count), tol, 'mean');
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});

describe('reduction edge cases', () => {
  it('an empty axes list reduces nothing; a size-1 axis keeps its value', () => {
    const a = K.fromNested([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(K.toNested(K.sum(a, { axes: [] }))).toEqual([[1, 2], [3, 4]]);
    expect(K.toNested(K.sum(K.fromNested([[5, 6]]), { axes: 0 }))).toEqual([5, 6]);
    expect(K.toNested(K.sum(K.full([], 3)))).toBe(3);
  });

  it('max propagates NaN and refuses an empty array', () => {
    expect(K.toNested(K.max(K.fromNested([1, Number.NaN, 3])))).toBeNaN();
    expect(K.toNested(K.max(K.fromNested([Number.NaN, 1, 3])))).toBeNaN();
    expect(() => K.max(K.zeros([0, 2]))).toThrow(new K.ShapeError('max: cannot reduce an empty array [0, 2]'));
    expect(() => K.min(K.zeros([0]))).toThrow('min: cannot reduce an empty array [0]');
    expect(K.toNested(K.sum(K.zeros([0, 2]), { axes: 0 }))).toEqual([0, 0]);
  });

  it('bad axes name the op', () => {
    const a = K.zeros([2, 3]);
    expect(() => K.sum(a, { axes: 2 })).toThrow(new K.ShapeError('sum: axis 2 is out of range for rank 2'));
    expect(() => K.max(a, { axes: [1, -1] })).toThrow('max: repeated axis in [1, -1]');
    expect(() => K.mean(a, { axes: -3 })).toThrow('mean: axis -3 is out of range for rank 2');
  });

  it('reducedShape gives both the kept and the dropped shape', () => {
    expect(K.reducedShape('sum', [2, 3, 4], [0, -1])).toEqual({ axes: [0, 2], kept: [1, 3, 1], out: [3] });
    expect(K.reducedShape('sum', [2, 3, 4], 1, true)).toEqual({ axes: [1], kept: [2, 1, 4], out: [2, 1, 4] });
  });
});

describe('argmax', () => {
  it('matches a naive scan (the first index on ties) along any axis, keepdims or not', () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1 }).chain((s) => fc.tuple(arrayOf(s, { ints: true }), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean())),
        ([a, axis, keepdims]) => {
          const ax = axis < 0 ? axis + a.shape.length : axis;
          const kept = a.shape.map((d, i) => (i === ax ? 1 : d));
          const want = [...indices(kept)].map((o) => {
            let best = 0;
            for (let j = 1; j < a.shape[ax]!; j++) {
              if (at(a, o.map((v, d) => (d === ax ? j : v))) > at(a, o.map((v, d) => (d === ax ? best : v)))) best = j;
            }
            return best;
          });
          const out = K.argmax(a, axis, keepdims);
          expect(K.dtypeOf(out.data)).toBe('int32');
          expect(out.shape).toEqual(keepdims ? kept : a.shape.filter((_, i) => i !== ax));
          expect(valuesOf(out)).toEqual(want);
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('defaults to the last axis and refuses an empty one', () => {
    expect(K.toNested(K.argmax(K.fromNested([[1, 3, 3], [7, 2, 7]])))).toEqual([1, 0]);
    expect(() => K.argmax(K.zeros([2, 0]))).toThrow('argmax: axis -1 of [2, 0] is empty');
    expect(() => K.argmax(K.zeros([2]), 1)).toThrow('argmax: axis 1 is out of range for rank 1');
  });
});

describe('sumTo', () => {
  it('sums a broadcast result back to the broadcast input shape', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((t) => broadcastableTo(t).chain((s) => arrayOf(t).map((a) => [a, s] as const))),
        ([a, s]) => {
          const out = K.sumTo(a, s);
          expect(out.shape).toEqual(s);
          // Each element of `s` collects every element of `a` that broadcasting would read from it.
          const want = [...indices(s)].map((o) =>
            [...indices(a.shape)].filter((i) => broadcastIndex(i, s).every((v, d) => v === o[d])).reduce((acc, i) => acc + at(a, i), 0));
          expectClose(valuesOf(out), want, 1e-12, 'sumTo');
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('refuses shapes that are not a broadcast source', () => {
    expect(() => K.sumTo(K.zeros([2, 3]), [4])).toThrow(new K.ShapeError('sumTo: cannot sum [2, 3] to [4]'));
    expect(() => K.sumTo(K.zeros([3]), [2, 3])).toThrow('sumTo: cannot sum [3] to the larger rank of [2, 3]');
  });
});

describe('a large float32 sum into one slot (the WebAssembly loop where the runtime is shared)', () => {
  /** The fold's arithmetic: one running float32 sum in memory order, rounded after every addition. */
  const running = (x: Float32Array) => { let acc = 0; for (let i = 0; i < x.length; i++) acc = Math.fround(acc + x[i]!); return acc; };
  const special = [0, -0, 1e38, -1e38, 3.4e38, Infinity, -Infinity, NaN, 1e-45, 16777216, 1];

  it('gives the bits of the running float32 sum, specials included, on a view with an offset and keepdims too', () => {
    fc.assert(fc.property(fc.integer({ min: 16000, max: 40000 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 3 }), (n, seed, specials) => {
      const x = K.randUniform([n], -100, 100, { dtype: 'float32', generator: new K.RandomGenerator(seed) }).data as Float32Array;
      for (let s = 0; s < specials; s++) x[(seed * (s + 3)) % n] = special[(seed + s) % special.length]!;
      const want = running(x);
      expect(K.sum(K.fromData(x, [n])).data[0]).toBe(want);
      expect(K.mean(K.fromData(x, [n])).data[0]).toBe(Math.fround(want / n));
      // A [1, n − 1] view at offset 1, reduced over its last axis with keepdims: still one slot.
      const view = K.fromData(x, [1, n]).lo(0, 1);
      expect(view.offset).toBe(1);
      expect(K.sum(view, { axes: 1, keepdims: true }).data[0]).toBe(running(x.subarray(1)));
    }), { numRuns: 30 });
  });
});
