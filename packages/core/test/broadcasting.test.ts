// Binary and ternary elementwise kernels against a naive broadcast loop, on any layout
// (transposed, offset, stepped views), and the broadcasting rules and their errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import {
  SEED, arrayOf, at, broadcastIndex, broadcastPair, broadcastShape, broadcastableTo, indices, shapeArb, valuesOf,
} from './naive.js';

type Binary = (a: K.NdArray, b: K.NdArray) => K.NdArray;
const BINARY: [string, Binary, (x: number, y: number) => number][] = [
  ['add', K.add, (x, y) => x + y],
  ['sub', K.sub, (x, y) => x - y],
  ['mul', K.mul, (x, y) => x * y],
  ['div', K.div, (x, y) => x / y],
  ['pow', K.pow, Math.pow],
  ['maximum', K.maximum, (x, y) => Math.max(x, y)],
  ['minimum', K.minimum, (x, y) => Math.min(x, y)],
];

/** The naive broadcast result, rounded the way the kernel stores it. */
function naiveZip(a: K.NdArray, b: K.NdArray, f: (x: number, y: number) => number, dtype: K.DType): number[] {
  const shape = broadcastShape(a.shape, b.shape)!;
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return [...indices(shape)].map((i) => round(f(at(a, broadcastIndex(i, a.shape)), at(b, broadcastIndex(i, b.shape)))));
}

describe.each(['float64', 'float32'] as const)('binary kernels broadcast like a naive loop (%s)', (dtype) => {
  it.each(BINARY)('%s', (name, kernel, f) => {
    fc.assert(
      fc.property(
        broadcastPair().chain(([sa, sb]) => fc.tuple(arrayOf(sa, { dtype }), arrayOf(sb, { dtype }))),
        ([a, b]) => {
          // pow gets |a| so fractional exponents stay real.
          const x = name === 'pow' ? K.abs(a) : a;
          const out = kernel(x, b);
          expect(out.shape).toEqual(broadcastShape(a.shape, b.shape));
          expect(K.dtypeOf(out.data)).toBe(dtype);
          expect(K.isContiguous(out)).toBe(true);
          expect(valuesOf(out)).toEqual(naiveZip(x, b, f, dtype));
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });
});

describe('zip, zip3 and broadcastTo', () => {
  it('zip with a row broadcast down the leading axes (a bias; its own loop) equals the naive loop, either side', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }),
        fc.constantFrom('float32' as const, 'float64' as const), fc.boolean(),
        (full, cut, ones, dtype, rowFirst) => {
          const row = [...Array<number>(ones).fill(1), ...full.slice(Math.min(cut, full.length - 1))];
          return fc.assert(fc.property(fc.tuple(arrayOf(full, { dtype }), arrayOf(row, { dtype })), ([a, r]) => {
            const f = (x: number, y: number) => x - 2 * y; // not symmetric: operand order shows
            const [x, y] = rowFirst ? [r, a] : [a, r];
            const out = K.zip('test', x, y, f);
            expect(valuesOf(out)).toEqual(naiveZip(x, y, f, dtype));
          }), { seed: SEED, numRuns: 3 });
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('zip takes an output dtype (a comparison can write int32)', () => {
    const a = K.fromNested([[1, 5], [3, 2]], { dtype: 'float64' });
    const b = K.fromNested([2, 2], { dtype: 'float64' });
    const out = K.zip('greater', a, b, (x, y) => (x > y ? 1 : 0), 'int32');
    expect(K.dtypeOf(out.data)).toBe('int32');
    expect(K.toNested(out)).toEqual([[0, 1], [1, 0]]);
  });

  it('zip3 broadcasts all three operands', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((t) => fc.tuple(broadcastableTo(t), broadcastableTo(t), broadcastableTo(t)))
          .chain(([s1, s2, s3]) => fc.tuple(arrayOf(s1, { ints: true }), arrayOf(s2), arrayOf(s3))),
        ([c, a, b]) => {
          const out = K.zip3('where', c, a, b, (m, x, y) => (m > 0 ? x : y), 'float64');
          const shape = broadcastShape(broadcastShape(c.shape, a.shape)!, b.shape)!;
          expect(out.shape).toEqual(shape);
          expect(valuesOf(out)).toEqual([...indices(shape)].map((i) =>
            (at(c, broadcastIndex(i, c.shape)) > 0 ? at(a, broadcastIndex(i, a.shape)) : at(b, broadcastIndex(i, b.shape)))));
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('broadcastTo materialises a broadcast (any layout in, row-major out)', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((t) => broadcastableTo(t).chain((s) => arrayOf(s).map((a) => [a, t] as const))),
        ([a, target]) => {
          const out = K.broadcastTo('expand', a, target);
          expect(out.shape).toEqual(target);
          expect(valuesOf(out)).toEqual([...indices(target)].map((i) => at(a, broadcastIndex(i, a.shape))));
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('broadcastTo refuses a shape the array does not broadcast to', () => {
    const a = K.zeros([2, 3]);
    expect(() => K.broadcastTo('expand', a, [3])).toThrow(new K.ShapeError('expand: cannot broadcast [2, 3] to [3]'));
    expect(() => K.broadcastTo('expand', a, [4, 3])).toThrow('expand: cannot broadcast [2, 3] with [4, 3] (axis 0: 2 vs 4)');
    expect(() => K.broadcastTo('expand', K.zeros([2, 1]), [2, 1, 3])).toThrow('expand: cannot broadcast [2, 1] to [2, 1, 3]');
  });
});

describe('broadcasting rules', () => {
  it('broadcastShapes agrees with the naive rule, and refuses exactly when it does', () => {
    fc.assert(
      fc.property(shapeArb({ maxDim: 3 }), shapeArb({ maxDim: 3 }), (a, b) => {
        const want = broadcastShape(a, b);
        if (want === null) expect(() => K.broadcastShapes('op', a, b)).toThrow(K.ShapeError);
        else expect(K.broadcastShapes('op', a, b)).toEqual(want);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('names the op, both shapes and the axis that clashes', () => {
    expect(() => K.add(K.zeros([2, 3]), K.zeros([4, 3]))).toThrow(new K.ShapeError('add: cannot broadcast [2, 3] with [4, 3] (axis 0: 2 vs 4)'));
    expect(() => K.mul(K.zeros([5, 1, 3]), K.zeros([2, 4]))).toThrow('mul: cannot broadcast [5, 1, 3] with [2, 4] (axis 2: 3 vs 4)');
    expect(() => K.zip3('where', K.zeros([2]), K.zeros([2]), K.zeros([3]), () => 0, 'float32'))
      .toThrow(new K.ShapeError('where: cannot broadcast [2], [2] and [3] together'));
    expect(() => K.zip3('where', K.zeros([2, 1]), K.zeros([1, 3]), K.zeros([4, 1]), () => 0, 'float32'))
      .toThrow('where: cannot broadcast [2, 1], [1, 3] and [4, 1] together');
  });

  it('broadcastStrides puts stride 0 on broadcast and missing axes', () => {
    expect(K.broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(K.broadcastStrides([2, 3, 4], [2, 3, 4])).toEqual([12, 4, 1]);
    expect(K.broadcastStrides([], [2, 2])).toEqual([0, 0]);
  });

  it('rank-0 and empty operands', () => {
    expect(K.toNested(K.add(K.full([], 2), K.full([], 3)))).toBe(5);
    expect(K.add(K.zeros([0, 3]), K.zeros([3])).shape).toEqual([0, 3]);
    expect(K.add(K.zeros([2, 0]), K.zeros([1, 0])).shape).toEqual([2, 0]);
  });
});
