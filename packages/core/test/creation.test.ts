// Making arrays and reading them back: zeros/ones/full/arange, nested arrays both ways (ragged is
// an error), fromData, dtypes and casts, and the contiguous view every kernel reads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import * as K from '@unroll/core';
import { SEED, arrayOf, shapeArb, valuesOf } from './naive.js';

describe('constant creators', () => {
  it('zeros, ones and full have the shape, dtype and value asked for (float32 by default)', () => {
    const z = K.zeros([2, 3]);
    expect(z.shape).toEqual([2, 3]);
    expect(K.dtypeOf(z.data)).toBe('float32');
    expect(valuesOf(z)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(K.toNested(K.ones([2], { dtype: 'float64' }))).toEqual([1, 1]);
    expect(K.dtypeOf(K.ones([2], { dtype: 'float64' }).data)).toBe('float64');
    expect(K.toNested(K.full([2, 1], 7, { dtype: 'int32' }))).toEqual([[7], [7]]);
    expect(K.toNested(K.full([], 2.5))).toBe(2.5);
    expect(K.zeros([0, 4]).size).toBe(0);
  });

  it('refuses bad shapes and dtypes', () => {
    expect(() => K.zeros([2, -1])).toThrow(new K.ShapeError('empty: a shape is a list of non-negative integers; got [2,-1]'));
    expect(() => K.ones([1.5])).toThrow('empty: a shape is a list of non-negative integers; got [1.5]');
    expect(() => K.zeros([2], { dtype: 'float16' as K.DType })).toThrow(new TypeError("empty: dtype must be 'float32', 'float64' or 'int32'; got 'float16'"));
  });

  it('arange counts like np.arange', () => {
    expect(K.toNested(K.arange(4))).toEqual([0, 1, 2, 3]);
    expect(K.toNested(K.arange(2, 5))).toEqual([2, 3, 4]);
    expect(K.toNested(K.arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(K.toNested(K.arange(0, 1, 0.25, { dtype: 'float64' }))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(K.toNested(K.arange(3, 1))).toEqual([]);
    expect(K.dtypeOf(K.arange(3, undefined, 1, { dtype: 'int32' }).data)).toBe('int32');
    expect(() => K.arange(0, 3, 0)).toThrow(new RangeError('arange: step must not be 0'));
  });
});

describe('nested arrays', () => {
  it('fromNested and toNested round-trip any shape', () => {
    fc.assert(
      fc.property(shapeArb({ maxRank: 4 }).chain((s) => arrayOf(s, { contiguousOnly: true })), (a) => {
        const nested = K.toNested(a);
        const back = K.fromNested(nested, { dtype: 'float64' });
        expect(back.shape).toEqual(a.shape);
        expect(valuesOf(back)).toEqual(valuesOf(a));
        expect(K.shapeOfNested(nested)).toEqual(a.shape);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('toNested reads views through their strides', () => {
    const a = K.fromNested([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(K.toNested(a.transpose(1, 0))).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(K.toNested(a.step(1, -1))).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(K.toNested(a.lo(1, 1))).toEqual([[5, 6]]);
  });

  it('a number is rank 0; an empty list is shape [0]', () => {
    expect(K.fromNested(3).shape).toEqual([]);
    expect(K.toNested(K.fromNested(3))).toBe(3);
    expect(K.fromNested([]).shape).toEqual([0]);
    expect(K.toNested(K.zeros([2, 0]))).toEqual([[], []]);
  });

  it('ragged nesting is an error that says where', () => {
    expect(() => K.fromNested([[1, 2], [3]])).toThrow(new K.ShapeError('fromNested: ragged nested array; expected length 2 at depth 1 (shape [2, 2])'));
    expect(() => K.fromNested([1, [2]])).toThrow('fromNested: ragged nested array; expected a number at depth 1');
    expect(() => K.fromNested([[1], 2])).toThrow('fromNested: ragged nested array; expected length 1 at depth 1 (shape [2, 1])');
    expect(() => K.fromNested([[[1, 2]], [[3]]])).toThrow('fromNested: ragged nested array; expected length 2 at depth 2 (shape [2, 1, 2])');
  });
});

describe('fromData, dtypes and copies', () => {
  it('fromData wraps a typed array without copying, and checks its length', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const a = K.fromData(data, [3, 2]);
    expect(a.data).toBe(data);
    expect(K.toNested(a)).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(() => K.fromData(data, [4, 2])).toThrow(new K.ShapeError('fromData: 6 values cannot fill shape [4, 2]'));
  });

  it('dtypeOf knows the three storage types and nothing else', () => {
    expect(K.dtypeOf(new Float32Array(1))).toBe('float32');
    expect(K.dtypeOf(new Float64Array(1))).toBe('float64');
    expect(K.dtypeOf(new Int32Array(1))).toBe('int32');
    expect(() => K.dtypeOf(new Uint8Array(1))).toThrow('unroll stores float32, float64 or int32 typed arrays; got [object Uint8Array]');
    expect(K.isFloat('float32') && K.isFloat('float64') && !K.isFloat('int32')).toBe(true);
    expect(K.DEFAULT_DTYPE).toBe('float32');
  });

  it('cast converts (float → int32 only when exact, see int32.test.ts; float64 → float32 rounds)', () => {
    const a = K.fromNested([1.7, -1.7, 0.1], { dtype: 'float64' });
    expect(K.toNested(K.cast(K.fromNested([1, -1, 0], { dtype: 'float64' }), 'int32'))).toEqual([1, -1, 0]);
    expect(() => K.cast(a, 'int32')).toThrow('cast: value at [0] is 1.7, which int32 cannot hold (it is not an integer)');
    expect(K.toNested(K.cast(a, 'float32'))).toEqual([Math.fround(1.7), Math.fround(-1.7), Math.fround(0.1)]);
    expect(K.cast(a, 'float64').data).not.toBe(a.data); // always a copy
    expect(K.toNested(K.cast(a.step(-1), 'float64'))).toEqual([0.1, -1.7, 1.7]);
  });

  it('clone owns its storage; compact copies only a non-contiguous array', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayOf(s)), (a) => {
        const c = K.clone(a);
        expect(valuesOf(c)).toEqual(valuesOf(a));
        expect(c.data).not.toBe(a.data);
        const k = K.compact(a);
        expect(valuesOf(k)).toEqual(valuesOf(a));
        expect(K.isContiguous(k)).toBe(true);
        if (K.isContiguous(a) && a.offset === 0 && a.data.length === a.size) expect(k).toBe(a);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

describe('contiguous views', () => {
  it('contiguous gives the row-major elements of any view', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayOf(s)), (a) => {
        const flat = K.contiguous(a);
        expect(flat.length).toBe(a.size);
        expect(Array.from(flat)).toEqual(valuesOf(a));
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('isContiguous: row-major with no gaps, size-1 axes ignored; storage shared when it is', () => {
    const data = new Float64Array(12);
    const a = ndarray(data, [3, 4]);
    expect(K.isContiguous(a)).toBe(true);
    expect(K.isContiguous(a.transpose(1, 0))).toBe(false);
    expect(K.isContiguous(a.step(2))).toBe(false);
    expect(K.isContiguous(a.hi(3, 2))).toBe(false);
    expect(K.isContiguous(a.lo(1))).toBe(true);
    expect(K.contiguous(a.lo(1)).buffer).toBe(data.buffer); // a subarray, not a copy
    expect(K.isContiguous(ndarray(data, [3, 1, 4], [4, 99, 1]))).toBe(true);
  });
});
