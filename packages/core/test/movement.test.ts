// Kernels that move elements, against naive index arithmetic on any layout: reshape, permute,
// transpose, slice / sliceAssign (Python slice rules), concat, stack, gather / scatterAdd,
// indexSelect / indexAdd.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import * as K from '@unroll/core';
import { SEED, arrayOf, at, expectClose, indices, range, shapeArb, sizeOf, valuesOf } from './naive.js';

const RUNS = { seed: SEED, numRuns: 80 };

/** An int32 array of `shape` with values in [min, max]. */
const idsOf = (shape: readonly number[], min: number, max: number): fc.Arbitrary<K.NdArray> =>
  fc.array(fc.integer({ min, max }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((v) => K.fromData(Int32Array.from(v), shape));

/** The indices Python's slice picks from a dim of size n (CPython's PySlice_AdjustIndices, step > 0). */
function pySlice(r: K.Range, n: number): number[] {
  const adjust = (v: number) => (v < 0 ? Math.max(0, v + n) : Math.min(v, n));
  const start = adjust(r.start ?? 0), stop = adjust(r.stop ?? n), step = r.step ?? 1;
  const out: number[] = [];
  for (let i = start; i < stop; i += step) out.push(i);
  return out;
}

const rangeArb = (n: number) =>
  fc.option(
    fc.record({ start: fc.integer({ min: -n - 2, max: n + 2 }), stop: fc.integer({ min: -n - 2, max: n + 2 }), step: fc.integer({ min: 1, max: 3 }) },
      { requiredKeys: [] }),
    { nil: undefined },
  );

describe('reshape', () => {
  it('keeps row-major order from any layout, and resolves -1', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayOf(s)), fc.boolean(), (a, withUnknown) => {
        const target = [a.size === 0 ? 0 : 1, ...[...a.shape].reverse()];
        if (withUnknown) target[target.length - 1] = -1;
        const out = K.reshape(a, target);
        expect(out.shape).toEqual([1, ...[...a.shape].reverse()]);
        expect(valuesOf(out)).toEqual(valuesOf(a));
      }),
      RUNS,
    );
  });

  it('shares storage with a contiguous input, copies a strided one', () => {
    const a = K.fromNested([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(K.reshape(a, [3, 2]).data).toBe(a.data);
    const t = a.transpose(1, 0);
    const r = K.reshape(t, [6]);
    expect(r.data).not.toBe(a.data);
    expect(valuesOf(r)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('refuses a size change or two unknowns', () => {
    expect(() => K.reshape(K.zeros([2, 3]), [4, 2])).toThrow(new K.ShapeError('reshape: cannot reshape [2, 3] (6 elements) to [4, 2]'));
    expect(() => K.reshape(K.zeros([2, 3]), [-1, -1])).toThrow('reshape: only one dimension can be -1; got [-1, -1]');
    expect(() => K.reshape(K.zeros([2, 3]), [4, -1])).toThrow('reshape: cannot reshape [2, 3] to [4, -1]');
    expect(() => K.reshape(K.zeros([2, 3]), [-2, -3])).toThrow('reshape: cannot reshape [2, 3] (6 elements) to [-2, -3]');
  });
});

describe('permute and transpose', () => {
  it('permute: result axis j is input axis axes[j]', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(arrayOf(s), fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length }))),
        ([a, axes]) => {
          const out = K.permute(a, axes);
          expect(out.shape).toEqual(axes.map((p) => a.shape[p]));
          expect(K.isContiguous(out)).toBe(true);
          const want = [...indices(out.shape)].map((o) => {
            const i = new Array<number>(axes.length);
            axes.forEach((p, j) => { i[p] = o[j]!; });
            return at(a, i);
          });
          expect(valuesOf(out)).toEqual(want);
        },
      ),
      RUNS,
    );
  });

  it('transpose swaps two axes (the last two by default), negatives allowed', () => {
    const a = K.reshape(K.arange(24, undefined, 1, { dtype: 'float64' }), [2, 3, 4]);
    const t = K.transpose(a);
    expect(t.shape).toEqual([2, 4, 3]);
    expect(at(t, [1, 3, 2])).toBe(at(a, [1, 2, 3]));
    expect(valuesOf(K.transpose(a, 0, -1))).toEqual(valuesOf(K.permute(a, [2, 1, 0])));
  });

  it('errors name the op and the shape', () => {
    expect(() => K.permute(K.zeros([2, 3]), [0, 0])).toThrow(new K.ShapeError('permute: axes [0, 0] are not a permutation of 2 axes for [2, 3]'));
    expect(() => K.permute(K.zeros([2, 3]), [0])).toThrow('permute: axes [0] are not a permutation of 2 axes for [2, 3]');
    expect(() => K.transpose(K.zeros([2]), 0, 1)).toThrow('transpose: axis 1 is out of range for rank 1');
  });
});

describe('slice and sliceAssign', () => {
  it('picks what Python picks (negative, out-of-range and stepped bounds) from any layout', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => fc.tuple(arrayOf(s), fc.tuple(...s.map((d) => rangeArb(d))))), ([a, ranges]) => {
        const picks = a.shape.map((d, i) => (ranges[i] ? pySlice(ranges[i]!, d) : range(d)));
        const out = K.slice(a, ranges);
        expect(out.shape).toEqual(picks.map((p) => p.length));
        expect(valuesOf(out)).toEqual([...indices(out.shape)].map((o) => at(a, o.map((v, d) => picks[d]![v]!))));
      }),
      RUNS,
    );
  });

  it('literal cases checked against Python', () => {
    const x = K.arange(7, undefined, 1, { dtype: 'float64' });
    const pick = (r: K.Range) => K.toNested(K.slice(x, [r]));
    expect(pick({ start: -4, stop: 5, step: 2 })).toEqual([3]);
    expect(pick({ start: -10, stop: 10, step: 3 })).toEqual([0, 3, 6]);
    expect(pick({ start: 5, stop: 2 })).toEqual([]);
    expect(pick({ stop: -1, step: 2 })).toEqual([0, 2, 4]);
    expect(pick({ start: -1 })).toEqual([6]);
    expect(pick({ start: 3, stop: 100, step: 2 })).toEqual([3, 5]);
    expect(pick({ start: -100, stop: -5 })).toEqual([0, 1]);
  });

  it('sliceAssign writes (or adds) exactly the sliced region, through the destination\'s strides', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(arrayOf(s), fc.tuple(...s.map((d) => rangeArb(d))), fc.boolean())),
        ([dst, ranges, accumulate]) => {
          const before = valuesOf(dst);
          const region = dst.shape.map((d, i) => (ranges[i] ? pySlice(ranges[i]!, d) : range(d)));
          const src = K.randUniform(region.map((p) => p.length), -1, 1, { dtype: 'float64', generator: new K.RandomGenerator(1) });
          K.sliceAssign(dst, ranges, src, accumulate);
          const want = [...before];
          const flat = (i: number[]) => i.reduce((f, v, d) => f * dst.shape[d]! + v, 0);
          for (const o of indices(src.shape)) {
            const k = flat(o.map((v, d) => region[d]![v]!));
            want[k] = (accumulate ? want[k]! : 0) + at(src, o);
          }
          expect(valuesOf(dst)).toEqual(want);
        },
      ),
      RUNS,
    );
  });

  it('refuses a non-positive step, too many ranges, and a source of the wrong shape', () => {
    expect(() => K.slice(K.zeros([3]), [{ step: 0 }])).toThrow(new K.ShapeError('slice: step must be a positive integer; got 0'));
    expect(() => K.slice(K.zeros([3]), [{ step: 1.5 }])).toThrow('slice: step must be a positive integer; got 1.5');
    expect(() => K.slice(K.zeros([3]), [{}, {}])).toThrow('slice: 2 ranges for [3]');
    expect(() => K.sliceAssign(K.zeros([3, 4]), [{ stop: 2 }], K.zeros([2, 3])))
      .toThrow('sliceAssign: region is [2, 4]; got [2, 3]');
  });
});

describe('concat and stack', () => {
  it('concat joins along any axis from any layouts', () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1 }).chain((s) =>
          fc.tuple(fc.integer({ min: -s.length, max: s.length - 1 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }))
            .chain(([axis, lengths]) => {
              const ax = axis < 0 ? axis + s.length : axis;
              return fc.tuple(fc.constant(axis), fc.tuple(...lengths.map((n) => arrayOf(s.map((d, i) => (i === ax ? n : d))))));
            })),
        ([axis, parts]) => {
          const ax = axis < 0 ? axis + parts[0]!.shape.length : axis;
          const out = K.concat(parts, axis);
          const owner: [K.NdArray, number][] = parts.flatMap((p) => range(p.shape[ax]!).map((j) => [p, j] as [K.NdArray, number]));
          expect(out.shape).toEqual(parts[0]!.shape.map((d, i) => (i === ax ? owner.length : d)));
          expect(valuesOf(out)).toEqual([...indices(out.shape)].map((o) => {
            const [p, j] = owner[o[ax]!]!;
            return at(p, o.map((v, d) => (d === ax ? j : v)));
          }));
        },
      ),
      RUNS,
    );
  });

  it('stack adds a new axis at any position', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(fc.integer({ min: -s.length - 1, max: s.length }), fc.array(arrayOf(s), { minLength: 1, maxLength: 3 }))),
        ([axis, parts]) => {
          const ax = axis < 0 ? axis + parts[0]!.shape.length + 1 : axis;
          const out = K.stack(parts, axis);
          const s = parts[0]!.shape;
          expect(out.shape).toEqual([...s.slice(0, ax), parts.length, ...s.slice(ax)]);
          expect(valuesOf(out)).toEqual([...indices(out.shape)].map((o) => at(parts[o[ax]!]!, o.filter((_, d) => d !== ax))));
        },
      ),
      RUNS,
    );
  });

  it('errors name the op and the shapes', () => {
    expect(() => K.concat([K.zeros([2, 3]), K.zeros([3, 3])], 1)).toThrow(new K.ShapeError('concat: along axis 1, [2, 3] and [3, 3] differ off that axis'));
    expect(() => K.concat([K.zeros([2, 3]), K.zeros([2, 3, 1])])).toThrow('concat: along axis 0, [2, 3] and [2, 3, 1] differ off that axis');
    expect(() => K.concat([])).toThrow('concat: needs at least one array');
    expect(() => K.concat([K.zeros([2])], 1)).toThrow('concat: axis 1 is out of range for rank 1');
    expect(() => K.stack([K.zeros([2]), K.zeros([3])])).toThrow('stack: all arrays must have one shape; got [2] and [3]');
    expect(() => K.stack([])).toThrow('stack: needs at least one array');
    expect(() => K.stack([K.zeros([2])], 2)).toThrow('stack: axis 2 is out of range for rank 2');
  });
});

/** x (any layout), an axis, and an int32 index for gather: index dims ≤ x's off the axis, any on it. */
const gatherArb = shapeArb({ minRank: 1 }).chain((s) =>
  fc.integer({ min: -s.length, max: s.length - 1 }).chain((axis) => {
    const ax = axis < 0 ? axis + s.length : axis;
    const indexShape = fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: i === ax ? 4 : d })));
    return fc.tuple(arrayOf(s), fc.constant(axis), indexShape.chain((is) => idsOf(is, 0, s[ax]! - 1)));
  }));

describe('gather and scatterAdd (torch semantics)', () => {
  it('gather: out[i] = x[i with axis replaced by index[i]]', () => {
    fc.assert(
      fc.property(gatherArb, ([x, axis, index]) => {
        const ax = axis < 0 ? axis + x.shape.length : axis;
        const out = K.gather(x, axis, index);
        expect(out.shape).toEqual(index.shape);
        expect(valuesOf(out)).toEqual([...indices(index.shape)].map((i) => at(x, i.map((v, d) => (d === ax ? at(index, i) : v)))));
      }),
      RUNS,
    );
  });

  it('scatterAdd: adds src[i] at a[i with axis replaced by index[i]], repeated targets accumulating', () => {
    fc.assert(
      fc.property(gatherArb, ([a, axis, index]) => {
        const ax = axis < 0 ? axis + a.shape.length : axis;
        const src = K.randUniform(index.shape, -1, 1, { dtype: 'float64', generator: new K.RandomGenerator(7) });
        const out = K.scatterAdd(a, axis, index, src);
        const want = valuesOf(a);
        const flat = (i: number[]) => i.reduce((f, v, d) => f * a.shape[d]! + v, 0);
        for (const i of indices(index.shape)) want[flat(i.map((v, d) => (d === ax ? at(index, i) : v)))]! += at(src, i);
        expectClose(valuesOf(out), want, 1e-15, 'scatterAdd');
        expect(out.data).not.toBe(a.data); // a copy: a itself is untouched
      }),
      RUNS,
    );
  });

  it('negative ids are refused (as in PyTorch), as are out-of-range ids and bad shapes', () => {
    const x = K.fromNested([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const ids = (v: K.Nested) => K.fromNested(v, { dtype: 'int32' });
    const negative = 'index -1 is out of range for a dimension of size 3; ids must be in [0, 3) (negative ids do not count from the end)';
    expect(() => K.gather(x, 1, ids([[-1], [0]]))).toThrow(new RangeError(`gather: ${negative}`));
    expect(() => K.scatterAdd(x, 1, ids([[-1]]), K.zeros([1, 1]))).toThrow(new RangeError(`scatterAdd: ${negative}`));
    expect(() => K.indexSelect(x, 1, ids([0, -1]))).toThrow(new RangeError(`indexSelect: ${negative}`));
    expect(() => K.indexAdd([2, 3], 1, ids([-1]), K.zeros([2, 1]))).toThrow(new RangeError(`indexAdd: ${negative}`));
    expect(() => K.gather(x, 1, ids([[3]]))).toThrow(new RangeError('gather: index 3 is out of range for a dimension of size 3; ids must be in [0, 3)'));
    expect(() => K.gather(x, 0, ids([[-3]]))).toThrow('gather: index -3 is out of range for a dimension of size 2');
    expect(() => K.gather(x, 1, ids([0]))).toThrow(new K.ShapeError('gather: index [1] must have the rank of [2, 3] and no larger dims off axis 1'));
    expect(() => K.gather(x, 1, ids([[0], [0], [0]]))).toThrow('gather: index [3, 1] must have the rank of [2, 3] and no larger dims off axis 1');
    expect(() => K.scatterAdd(x, 1, ids([[0]]), K.zeros([1, 2]))).toThrow('scatterAdd: index is [1, 1] but src is [1, 2]');
    expect(() => K.scatterAdd(x, 1, ids([[5]]), K.zeros([1, 1]))).toThrow('scatterAdd: index 5 is out of range for a dimension of size 3');
  });
});

/** x (any layout), an axis, and int32 ids of rank 0–2 for indexSelect. */
const selectArb = shapeArb({ minRank: 1 }).chain((s) =>
  fc.integer({ min: -s.length, max: s.length - 1 }).chain((axis) => {
    const n = s[axis < 0 ? axis + s.length : axis]!;
    return fc.tuple(arrayOf(s), fc.constant(axis), shapeArb({ maxRank: 2 }).chain((is) => idsOf(is, 0, n - 1)));
  }));

describe('indexSelect and indexAdd', () => {
  it('indexSelect: out[pre, i, post] = x[pre, ids[i], post] with ids of any shape', () => {
    fc.assert(
      fc.property(selectArb, ([x, axis, ids]) => {
        const ax = axis < 0 ? axis + x.shape.length : axis;
        const out = K.indexSelect(x, axis, ids);
        const r = ids.shape.length;
        expect(out.shape).toEqual([...x.shape.slice(0, ax), ...ids.shape, ...x.shape.slice(ax + 1)]);
        expect(valuesOf(out)).toEqual([...indices(out.shape)].map((o) =>
          at(x, [...o.slice(0, ax), at(ids, o.slice(ax, ax + r)), ...o.slice(ax + r)])));
      }),
      RUNS,
    );
  });

  it('indexAdd is the adjoint of indexSelect: <select(x), y> = <x, indexAdd(y)>, repeated ids accumulating', () => {
    fc.assert(
      fc.property(selectArb, ([x, axis, ids]) => {
        const selected = K.indexSelect(x, axis, ids);
        const y = K.randUniform(selected.shape, -1, 1, { dtype: 'float64', generator: new K.RandomGenerator(3) });
        const back = K.indexAdd(x.shape, axis, ids, y);
        expect(back.shape).toEqual(x.shape);
        const dot = (p: number[], q: number[]) => p.reduce((s, v, i) => s + v * q[i]!, 0);
        expectClose([dot(valuesOf(selected), valuesOf(y))], [dot(valuesOf(x), valuesOf(back))], 1e-12, 'adjoint');
      }),
      RUNS,
    );
  });

  it('indexAdd literal: repeated ids add up; out-of-range ids are refused', () => {
    const ids = K.fromNested([2, 0, 2], { dtype: 'int32' });
    const src = K.fromNested([[1, 1], [2, 2], [3, 3]], { dtype: 'float64' });
    expect(K.toNested(K.indexAdd([3, 2], 0, ids, src))).toEqual([[2, 2], [0, 0], [4, 4]]);
    expect(() => K.indexSelect(K.zeros([3, 2]), 0, K.fromNested([3], { dtype: 'int32' })))
      .toThrow(new RangeError('indexSelect: index 3 is out of range for a dimension of size 3; ids must be in [0, 3)'));
    expect(() => K.indexAdd([3, 2], 1, K.fromNested([2], { dtype: 'int32' }), K.zeros([3, 1])))
      .toThrow('indexAdd: index 2 is out of range for a dimension of size 2');
    expect(() => K.indexSelect(K.zeros([3]), 1, ids)).toThrow('indexSelect: axis 1 is out of range for rank 1');
  });

  it('reads non-contiguous ids', () => {
    const x = K.fromNested([[10, 11], [20, 21], [30, 31]], { dtype: 'float64' });
    const ids = ndarray(Int32Array.from([0, 9, 2, 9, 1]), [3], [2], 0); // [0, 2, 1] through a stride
    expect(K.toNested(K.indexSelect(x, 0, ids))).toEqual([[10, 11], [30, 31], [20, 21]]);
  });
});
