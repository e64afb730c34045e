// LayerNorm: statistics over the trailing axes, affine parameters, exact gradients, errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LayerNorm, randn, tensor, zeros } from '@unroll/autograd';
import { SEED, checkGrads, expectClose, flat, leaf, sizeOf, values } from './helpers.js';

describe('LayerNorm', () => {
  it('starts with weight ones and bias zeros of the normalized shape', () => {
    const ln = new LayerNorm([2, 3]);
    expect(ln.normalizedShape).toEqual([2, 3]);
    expect(ln.weight!.toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(ln.bias!.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ln.eps).toBe(1e-5);
    expect(new LayerNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
    const noBias = new LayerNorm(4, { bias: false });
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('normalizes each row to mean 0 and (biased) variance 1', () => {
    const ln = new LayerNorm(5, { dtype: 'float64', eps: 0 });
    const y = ln.forward(tensor([[1, 2, 3, 4, 5], [10, 10, 10, 10, 11]], { dtype: 'float64' }));
    for (const row of y.toArray() as number[][]) {
      const m = row.reduce((s, v) => s + v, 0) / 5;
      const v = row.reduce((s, x) => s + (x - m) ** 2, 0) / 5;
      expect(m).toBeCloseTo(0, 12);
      expect(v).toBeCloseTo(1, 12);
    }
    // [1..5]: mean 3, variance 2.
    expectClose((y.toArray() as number[][])[0]!, [-2, -1, 0, 1, 2].map((d) => d / Math.SQRT2), { atol: 1e-12 });
  });

  it('keeps float32 accurate for rows with a large offset', () => {
    const ln = new LayerNorm(4);
    const y = ln.forward(tensor([[1000, 1001, 1002, 1003]]));
    expectClose(y, [-3, -1, 1, 3].map((d) => d / Math.sqrt(5)), { atol: 1e-4 });
  });

  it('passes gradcheck for input, weight and bias', () => {
    const problem = fc.record({
      lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      norm: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 2 }),
      affine: fc.boolean(),
    }).chain((p) => fc.record({
      p: fc.constant(p),
      x: values(sizeOf(p.lead) * sizeOf(p.norm)),
      w: values(sizeOf(p.norm)),
      b: values(sizeOf(p.norm)),
    }));
    fc.assert(fc.property(problem, ({ p, x, w, b }) => {
      const ln = new LayerNorm(p.norm, { dtype: 'float64', elementwiseAffine: p.affine });
      ln.weight?.data.data.set(w);
      ln.bias?.data.data.set(b);
      checkGrads((xi) => ln.forward(xi!), [leaf(x, [...p.lead, ...p.norm])], ln);
    }), { seed: SEED, numRuns: 40 });
  });

  it('rejects a shape that does not end in normalizedShape, a dtype mismatch and bad options', () => {
    const ln = new LayerNorm([3, 4]);
    expect(() => ln.forward(zeros([2, 4, 3]))).toThrow('LayerNorm.forward: x must be [..., 3, 4]; got [2, 4, 3]');
    expect(() => ln.forward(zeros([4]))).toThrow('LayerNorm.forward: x must be [..., 3, 4]; got [4]');
    expect(() => ln.forward(randn([3, 4], { dtype: 'float64' }))).toThrow('LayerNorm.forward: x is float64 but the parameters are float32');
    expect(() => ln.forward(zeros([3, 4], { dtype: 'int32' }))).toThrow('LayerNorm.forward: x must be float32 or float64; got int32');
    expect(() => new LayerNorm([])).toThrow('LayerNorm: normalizedShape must have at least one axis; got []');
    expect(() => new LayerNorm([2, -1])).toThrow('LayerNorm: each normalizedShape entry must be a non-negative integer; got -1');
    expect(() => new LayerNorm('4' as never)).toThrow('LayerNorm: normalizedShape must be a number or an array of numbers; got string');
    expect(() => new LayerNorm(4, { eps: -1 })).toThrow('LayerNorm: eps must be a finite number ≥ 0; got -1');
    expect(flat(new LayerNorm(3, { elementwiseAffine: false }).forward(tensor([[1, 2, 3]], { dtype: 'float64' }))).length).toBe(3);
  });
});
