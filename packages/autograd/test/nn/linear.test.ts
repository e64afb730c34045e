// Linear: torch's layout and init, any leading dims, gradients of input, weight and bias, clear errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, Linear, matmul, randn, tensor, zeros } from '@unroll/autograd';
import { SEED, checkGrads, expectClose, flat, leaf, sizeOf, values } from './helpers.js';

describe('Linear', () => {
  it('has weight [out, in] and bias [out] drawn from U(−1/√in, 1/√in), weight first', () => {
    const lin = new Linear(16, 5, { generator: new RandomGenerator(3) });
    expect(lin.weight.shape).toEqual([5, 16]);
    expect(lin.bias!.shape).toEqual([5]);
    expect(lin.weight.dtype).toBe('float32');
    const bound = 1 / Math.sqrt(16);
    for (const v of [...flat(lin.weight), ...flat(lin.bias!)]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(Math.max(...flat(lin.weight).map(Math.abs))).toBeGreaterThan(0.9 * bound); // spread over the whole range
    // Same generator state → same weights; the bias comes from the draws after the weight's.
    const g = new RandomGenerator(3);
    const w = flat(randUniformLike([5, 16], bound, g));
    const b = flat(randUniformLike([5], bound, g));
    expectClose(lin.weight, w, { atol: 1e-7 });
    expectClose(lin.bias!, b, { atol: 1e-7 });
  });

  it('names its parameters weight, bias (and only weight with bias: false)', () => {
    expect(new Linear(3, 2).namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    const nb = new Linear(3, 2, { bias: false, dtype: 'float64' });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(nb.weight.dtype).toBe('float64');
  });

  it('computes x Wᵀ + b over any leading dims', () => {
    const lin = new Linear(3, 2, { dtype: 'float64' });
    const x = randn([2, 4, 3], { dtype: 'float64' });
    const y = lin.forward(x);
    expect(y.shape).toEqual([2, 4, 2]);
    const expected = matmul(x, lin.weight.detach().transpose().expand([2, 3, 2])).add(lin.bias!.detach());
    expectClose(y, expected, { atol: 1e-12 });
    expect(lin.forward(tensor([1, 2, 3], { dtype: 'float64' })).shape).toEqual([2]);
    expect(lin.forward(zeros([1, 1, 2, 3], { dtype: 'float64' })).shape).toEqual([1, 1, 2, 2]);
    expectClose(lin.forward(zeros([0, 3], { dtype: 'float64' })), []);
  });

  it('passes gradcheck for input, weight and bias', () => {
    const problem = fc.record({
      lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      inF: fc.integer({ min: 1, max: 4 }),
      outF: fc.integer({ min: 1, max: 3 }),
      bias: fc.boolean(),
    }).chain((p) => fc.record({
      p: fc.constant(p),
      x: values(sizeOf(p.lead) * p.inF),
      w: values(p.outF * p.inF),
      b: values(p.outF),
    }));
    fc.assert(fc.property(problem, ({ p, x, w, b }) => {
      const lin = new Linear(p.inF, p.outF, { bias: p.bias, dtype: 'float64' });
      lin.weight.data.data.set(w);
      lin.bias?.data.data.set(b);
      checkGrads((xi) => lin.forward(xi!), [leaf(x, [...p.lead, p.inF])], lin);
    }), { seed: SEED, numRuns: 40 });
  });

  it('accumulates gradients into its own parameters', () => {
    const lin = new Linear(3, 2, { dtype: 'float64' });
    lin.forward(randn([4, 3], { dtype: 'float64' })).sum().backward();
    expect(lin.weight.grad!.shape).toEqual([2, 3]);
    expectClose(lin.bias!.grad!, [4, 4]);
  });

  it('rejects bad sizes, a wrong last dim, int32 input and a dtype mismatch', () => {
    expect(() => new Linear(2.5, 3)).toThrow('Linear: inFeatures must be a non-negative integer; got 2.5');
    expect(() => new Linear(2, -1)).toThrow('Linear: outFeatures must be a non-negative integer; got -1');
    expect(() => new Linear(2, 3, { dtype: 'int32' as 'float32' })).toThrow("Linear: dtype must be 'float32' or 'float64'; got 'int32'");
    const lin = new Linear(8, 4);
    expect(() => lin.forward(zeros([4, 5]))).toThrow('Linear.forward: x must be [..., 8]; got [4, 5]');
    expect(() => lin.forward(zeros([]))).toThrow('Linear.forward: x must be [..., 8]; got []');
    expect(() => lin.forward(zeros([4, 8], { dtype: 'int32' }))).toThrow('Linear.forward: x must be float32 or float64; got int32');
    expect(() => lin.forward(zeros([4, 8], { dtype: 'float64' }))).toThrow(
      "Linear.forward: x is float64 but the parameters are float32; convert one (x.to('float32') or module.to('float64'))");
    expect(() => lin.forward([1, 2] as never)).toThrow('Linear.forward: x must be a Tensor; got Array');
  });
});

function randUniformLike(shape: number[], bound: number, g: RandomGenerator) {
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = -bound + 2 * bound * g.uniform();
  return tensor(out);
}
