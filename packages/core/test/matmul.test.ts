// matmul against a naive triple loop: 2-D and batched with broadcast batch dims, every
// transA/transB combination, both float dtypes, operands in any layout; and its errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { SEED, arrayOf, at, broadcastIndex, broadcastShape, broadcastableTo, expectClose, indices, shapeArb, valuesOf } from './naive.js';

/** C[..., i, j] = Σ_k op(A)[..., i, k] · op(B)[..., k, j], read element by element. */
function naiveMatmul(a: K.NdArray, b: K.NdArray, transA: boolean, transB: boolean) {
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))!;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const n = transB ? br : bc;
  const shape = [...batch, m, n];
  const values = [...indices(shape)].map((idx) => {
    const t = idx.slice(0, -2), i = idx[idx.length - 2]!, j = idx[idx.length - 1]!;
    const ta = broadcastIndex(t, a.shape.slice(0, -2)), tb = broadcastIndex(t, b.shape.slice(0, -2));
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += at(a, [...ta, ...(transA ? [p, i] : [i, p])]) * at(b, [...tb, ...(transB ? [j, p] : [p, j])]);
    }
    return s;
  });
  return { shape, values, k };
}

const operands = (dtype: K.DType) =>
  fc.record({
    m: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 5 }),
    transA: fc.boolean(), transB: fc.boolean(),
    batch: shapeArb({ maxRank: 2, maxDim: 3 }),
  }).chain(({ m, k, n, transA, transB, batch }) =>
    fc.tuple(broadcastableTo(batch), broadcastableTo(batch)).chain(([ba, bb]) =>
      fc.tuple(
        arrayOf([...ba, ...(transA ? [k, m] : [m, k])], { dtype }),
        arrayOf([...bb, ...(transB ? [n, k] : [k, n])], { dtype }),
        fc.constant({ transA, transB }),
      )));

describe.each(['float64', 'float32'] as const)('matmul matches a naive loop (%s)', (dtype) => {
  it('2-D and batched, broadcast batch dims, any transposes, any layout', () => {
    fc.assert(
      fc.property(operands(dtype), ([a, b, o]) => {
        const out = K.matmul(a, b, o);
        const want = naiveMatmul(a, b, o.transA ?? false, o.transB ?? false);
        expect(out.shape).toEqual(want.shape);
        expect(K.dtypeOf(out.data)).toBe(dtype);
        // Inputs are in [-3, 3]: each product sums k terms of size ≤ 9.
        const tol = (dtype === 'float32' ? 1e-6 : 1e-14) * 9 * want.k;
        expectClose(valuesOf(out), want.values, tol, 'matmul');
      }),
      { seed: SEED, numRuns: 120 },
    );
  });
});

describe('matmul details', () => {
  it('a literal product, and transB multiplies by the transpose', () => {
    const a = K.fromNested([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const w = K.fromNested([[1, 0, -1], [2, 1, 0]], { dtype: 'float64' }); // [out, in] as in PyTorch
    expect(K.toNested(K.matmul(a, w, { transB: true }))).toEqual([[-2, 4], [-2, 13]]);
    expect(K.toNested(K.matmul(a, K.fromNested([[1], [1], [1]], { dtype: 'float64' })))).toEqual([[6], [15]]);
  });

  it('a zero inner dimension gives zeros', () => {
    expect(K.toNested(K.matmul(K.zeros([2, 0]), K.zeros([0, 3])))).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('errors name the op and both shapes (ᵀ marks a transposed operand)', () => {
    expect(() => K.matmul(K.zeros([2, 3]), K.zeros([4, 5]))).toThrow(new K.ShapeError('matmul: cannot multiply [2, 3] by [4, 5]'));
    expect(() => K.matmul(K.zeros([3, 2]), K.zeros([4, 5]), { transA: true })).toThrow('matmul: cannot multiply [3, 2]ᵀ by [4, 5]');
    expect(() => K.matmul(K.zeros([2, 3]), K.zeros([5, 4]), { transB: true })).toThrow('matmul: cannot multiply [2, 3] by [5, 4]ᵀ');
    expect(() => K.matmul(K.zeros([2, 2, 3]), K.zeros([3, 3, 4]))).toThrow('matmul: batch dims of a [2, 2, 3] and b [3, 3, 4] do not broadcast ([2] vs [3])');
    expect(() => K.matmul(K.zeros([3]), K.zeros([3, 4]))).toThrow('matmul: both operands need rank ≥ 2; got [3] and [3, 4]');
    expect(() => K.matmul(K.zeros([2, 2]), K.zeros([2, 2], { dtype: 'float64' })))
      .toThrow(new K.DTypeError('matmul: needs two float arrays of one dtype; got float32 and float64'));
    expect(() => K.matmul(K.zeros([2, 2], { dtype: 'int32' }), K.zeros([2, 2], { dtype: 'int32' })))
      .toThrow('matmul: needs two float arrays of one dtype; got int32 and int32');
  });
});
