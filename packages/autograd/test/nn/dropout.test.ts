// Dropout: inverted scaling in training, identity in eval, a seeded mask, gradient through the mask.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dropout, RandomGenerator, dropout, ones, tensor, zeros, type Tensor } from '@unroll/autograd';
import { SEED, checkGrads, flat, leaf, sizeOf, values } from './helpers.js';

describe('dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    const y = flat(dropout(ones([100, 100]), 0.3, { generator: new RandomGenerator(5) }));
    const zerosCount = y.filter((v) => v === 0).length;
    expect(Math.abs(zerosCount / y.length - 0.3)).toBeLessThan(0.02);
    for (const v of y) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 6);
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03); // expected value kept
  });

  it('draws the same mask from the same generator seed, another from another', () => {
    const x = ones([4, 6], { dtype: 'float64' });
    const a = flat(dropout(x, 0.5, { generator: new RandomGenerator(9) }));
    const b = flat(dropout(x, 0.5, { generator: new RandomGenerator(9) }));
    const c = flat(dropout(x, 0.5, { generator: new RandomGenerator(10) }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('is the identity when not training or with p = 0 (the same tensor comes back)', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(dropout(x, 0.9, { training: false })).toBe(x);
    expect(dropout(x, 0)).toBe(x);
  });

  it('passes gradcheck in training mode with a fixed mask', () => {
    const problem = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
      .chain((shape) => fc.record({ shape: fc.constant(shape), x: values(sizeOf(shape)), p: fc.constantFrom(0.2, 0.5), seed: fc.nat(1000) }));
    fc.assert(fc.property(problem, ({ shape, x, p, seed }) => {
      // A fresh generator with one seed on every call: the same mask for each finite-difference probe.
      const f = (xi: Tensor) => dropout(xi, p, { generator: new RandomGenerator(seed) }).add(xi.mul(0.5));
      checkGrads((xi) => f(xi!), [leaf(x, shape)]);
    }), { seed: SEED, numRuns: 30 });
  });

  it('sends the gradient through the kept elements only, scaled', () => {
    const x = leaf(Array(20).fill(1), [4, 5]);
    const y = dropout(x, 0.25, { generator: new RandomGenerator(2) });
    y.sum().backward();
    expect(flat(x.grad!)).toEqual(flat(y)); // x = 1, so y is exactly the mask
  });
});

describe('Dropout', () => {
  it('drops in training mode and is the identity after eval()', () => {
    const d = new Dropout(0.5, { generator: new RandomGenerator(1) });
    expect(d.training).toBe(true);
    const x = ones([10, 10]);
    expect(flat(d.forward(x)).some((v) => v === 0)).toBe(true);
    d.eval();
    expect(d.forward(x)).toBe(x);
    d.train();
    expect(flat(d.forward(x)).some((v) => v === 0)).toBe(true);
    expect(new Dropout().p).toBe(0.5);
    expect(d.parameters()).toEqual([]);
  });

  it('rejects p outside [0, 1) and int32 input', () => {
    expect(() => new Dropout(1)).toThrow('Dropout: p must be a probability in [0, 1); got 1');
    expect(() => new Dropout(-0.1)).toThrow('Dropout: p must be a probability in [0, 1); got -0.1');
    expect(() => new Dropout(Number.NaN)).toThrow('Dropout: p must be a probability in [0, 1); got NaN');
    expect(() => dropout(ones([2]), 1.5)).toThrow('dropout: p must be a probability in [0, 1); got 1.5');
    expect(() => dropout(zeros([2], { dtype: 'int32' }), 0.5)).toThrow('dropout: x must be float32 or float64; got int32');
  });
});
