// One-input kernels against Math on any layout, in both float dtypes, and the numerically
// careful ones (sigmoid, softplus) at extreme inputs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { SEED, arrayOf, shapeArb, valuesOf } from './naive.js';

const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));
const UNARY: [string, (a: K.NdArray) => K.NdArray, (x: number) => number][] = [
  ['neg', K.neg, (x) => -x],
  ['exp', K.exp, Math.exp],
  ['log', (a) => K.log(K.abs(a)), (x) => Math.log(Math.abs(x))],
  ['sqrt', (a) => K.sqrt(K.abs(a)), (x) => Math.sqrt(Math.abs(x))],
  ['abs', K.abs, Math.abs],
  ['sign', K.sign, Math.sign],
  ['tanh', K.tanh, Math.tanh],
  ['relu', K.relu, (x) => (x > 0 ? x : 0)],
  ['square', K.square, (x) => x * x],
  ['scale', (a) => K.scale(a, -2.5), (x) => x * -2.5],
  ['addScalar', (a) => K.addScalar(a, 0.75), (x) => x + 0.75],
  ['clamp', (a) => K.clamp(a, -1, 0.5), (x) => Math.min(0.5, Math.max(-1, x))],
];

describe.each(['float64', 'float32'] as const)('unary kernels (%s, any layout)', (dtype) => {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  it.each(UNARY)('%s', (_, kernel, f) => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayOf(s, { dtype })), (a) => {
        const out = kernel(a);
        expect(out.shape).toEqual(a.shape);
        expect(K.dtypeOf(out.data)).toBe(dtype);
        expect(valuesOf(out)).toEqual(valuesOf(a).map((x) => round(f(x))));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('sigmoid and softplus match the textbook formulas where those are safe', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayOf(s, { dtype })), (a) => {
        // Inputs are in [-3, 3], where the naive formulas lose nothing.
        const tol = dtype === 'float32' ? 1e-6 : 1e-14;
        const xs = valuesOf(a);
        valuesOf(K.sigmoid(a)).forEach((v, i) => expect(Math.abs(v - sigmoidRef(xs[i]!))).toBeLessThanOrEqual(tol));
        valuesOf(K.softplus(a)).forEach((v, i) => expect(Math.abs(v - Math.log1p(Math.exp(xs[i]!)))).toBeLessThanOrEqual(4 * tol));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe('numerically careful scalars', () => {
  it('sigmoid never overflows and keeps tiny tails', () => {
    expect(K.sigmoidScalar(800)).toBe(1);
    expect(K.sigmoidScalar(-800)).toBe(0);
    expect(K.sigmoidScalar(-40)).toBeCloseTo(Math.exp(-40), 30);
    expect(K.sigmoidScalar(-40) / Math.exp(-40)).toBeCloseTo(1, 12);
    expect(K.sigmoidScalar(0)).toBe(0.5);
  });

  it('softplus is x for large x and eˣ for very negative x, with no overflow', () => {
    expect(K.softplusScalar(1000)).toBe(1000);
    expect(K.softplusScalar(-1000)).toBe(0);
    expect(K.softplusScalar(-50) / Math.exp(-50)).toBeCloseTo(1, 12);
    expect(K.softplusScalar(30)).toBe(30 + Math.log1p(Math.exp(-30)));
    expect(K.softplusScalar(0)).toBe(Math.LN2);
  });

  it('map writes into the dtype it is given', () => {
    const a = K.fromNested([1.7, -2.2], { dtype: 'float64' });
    const out = K.map(a, (x) => x * 2, 'int32');
    expect(K.dtypeOf(out.data)).toBe('int32');
    expect(K.toNested(out)).toEqual([3, -4]); // int32 storage truncates toward zero
  });
});
