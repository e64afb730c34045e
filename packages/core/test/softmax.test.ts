// The softmax family along any axis: against the textbook (unshifted) formulas where those are
// safe, shift-invariant at ±1e4 where they overflow, and exact values at the extremes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { SEED, arrayOf, at, expectClose, indices, shapeArb, valuesOf } from './naive.js';

/** For each lane along `axis`: its input values and the output index of each. */
function lanes(shape: readonly number[], axis: number): number[][][] {
  const kept = shape.map((d, i) => (i === axis ? 1 : d));
  return [...indices(kept)].map((o) => Array.from({ length: shape[axis]! }, (_, j) => o.map((v, d) => (d === axis ? j : v))));
}

const flatIndex = (idx: readonly number[], shape: readonly number[]) => idx.reduce((f, v, d) => f * shape[d]! + v, 0);

/** Textbook softmax/logSoftmax/logsumexp, without the max shift (fine for |x| ≤ 3). */
function naive(a: K.NdArray, axis: number) {
  const soft = new Array<number>(a.size), logSoft = new Array<number>(a.size), lse: number[] = [];
  for (const lane of lanes(a.shape, axis)) {
    const total = lane.reduce((s, i) => s + Math.exp(at(a, i)), 0);
    for (const i of lane) {
      soft[flatIndex(i, a.shape)] = Math.exp(at(a, i)) / total;
      logSoft[flatIndex(i, a.shape)] = at(a, i) - Math.log(total);
    }
    lse.push(Math.log(total));
  }
  return { soft, logSoft, lse };
}

const withAxis = (dtype: K.DType) =>
  shapeArb({ minRank: 1 }).chain((s) => fc.tuple(arrayOf(s, { dtype }), fc.integer({ min: -s.length, max: s.length - 1 })));

describe.each(['float64', 'float32'] as const)('softmax family along any axis (%s)', (dtype) => {
  const tol = dtype === 'float32' ? 2e-6 : 1e-13;

  it('matches the textbook formulas on any layout', () => {
    fc.assert(
      fc.property(withAxis(dtype), fc.boolean(), ([a, axis], keepdims) => {
        const ax = axis < 0 ? axis + a.shape.length : axis;
        const want = naive(a, ax);
        const soft = K.softmax(a, axis), logSoft = K.logSoftmax(a, axis), lse = K.logsumexp(a, axis, keepdims);
        expect(soft.shape).toEqual(a.shape);
        expect(logSoft.shape).toEqual(a.shape);
        const kept = a.shape.map((d, i) => (i === ax ? 1 : d));
        expect(lse.shape).toEqual(keepdims ? kept : a.shape.filter((_, i) => i !== ax));
        expect(K.dtypeOf(lse.data)).toBe(dtype);
        expectClose(valuesOf(soft), want.soft, tol, 'softmax');
        expectClose(valuesOf(logSoft), want.logSoft, tol, 'logSoftmax');
        expectClose(valuesOf(lse), want.lse, tol, 'logsumexp');
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});

describe('stability at ±1e4', () => {
  it('shifting every input by ±1e4 leaves softmax unchanged and moves logsumexp by the shift', () => {
    fc.assert(
      fc.property(withAxis('float64'), fc.constantFrom(1e4, -1e4), ([a, axis], c) => {
        const shifted = K.addScalar(a, c);
        // NOTE: x + 1e4 rounds x to about 2e-12, which bounds how close the two can be.
        expectClose(valuesOf(K.softmax(shifted, axis)), valuesOf(K.softmax(a, axis)), 1e-10, 'softmax');
        expectClose(valuesOf(K.logSoftmax(shifted, axis)), valuesOf(K.logSoftmax(a, axis)), 1e-10, 'logSoftmax');
        expectClose(valuesOf(K.logsumexp(shifted, axis)), valuesOf(K.logsumexp(a, axis)).map((v) => v + c), 1e-12, 'logsumexp');
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it.each(['float64', 'float32'] as const)('exact values on rows mixing 1e4 and -1e4 (%s)', (dtype) => {
    const a = K.fromNested([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4]], { dtype });
    const p = 1 / (1 + Math.exp(-1));
    const tol = dtype === 'float32' ? 1e-6 : 1e-15;
    expectClose(valuesOf(K.softmax(a)), [p, 1 - p, 0, 1 / 3, 1 / 3, 1 / 3], tol, 'softmax');
    const lse = valuesOf(K.logsumexp(a));
    expectClose(lse, [1e4 + Math.log1p(Math.exp(-1)), -1e4 + Math.log(3)], tol, 'logsumexp');
    const logSoft = valuesOf(K.logSoftmax(a));
    expectClose(logSoft.slice(0, 2), [Math.log(p), Math.log(1 - p)], dtype === 'float32' ? 1e-3 : 1e-12, 'logSoftmax');
    expect(logSoft[2]).toBeCloseTo(-2e4 - Math.log1p(Math.exp(-1)), dtype === 'float32' ? 0 : 8);
    for (const v of [...valuesOf(K.softmax(a)), ...lse, ...logSoft]) expect(Number.isFinite(v)).toBe(true);
  });

  it('an all -Infinity lane gives logsumexp -Infinity and NaN softmax (as PyTorch)', () => {
    const a = K.fromNested([[-Infinity, -Infinity], [0, -Infinity]], { dtype: 'float64' });
    expect(valuesOf(K.logsumexp(a))).toEqual([-Infinity, 0]);
    const soft = valuesOf(K.softmax(a));
    expect(soft.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(soft.slice(2)).toEqual([1, 0]);
  });

  it('bad axes name the op', () => {
    const a = K.zeros([2, 3]);
    expect(() => K.softmax(a, 2)).toThrow(new K.ShapeError('softmax: axis 2 is out of range for rank 2'));
    expect(() => K.logSoftmax(a, -3)).toThrow('logSoftmax: axis -3 is out of range for rank 2');
    expect(() => K.logsumexp(a, 5)).toThrow('logsumexp: axis 5 is out of range for rank 2');
  });
});
