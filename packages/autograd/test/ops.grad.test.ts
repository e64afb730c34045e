// Every differentiable op against central differences (one generic property over the op-case
// table), plus the gradient conventions at kinks, which finite differences cannot see.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { abs, clamp, gradcheck, max, relu, tensor, where, type Tensor } from '@unroll/autograd';
import { SEED } from './arbitraries.js';
import { opCases } from './op-cases.js';

const TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };

describe.each(opCases.map((c) => [c.name, c] as const))('%s', (_, c) => {
  it('matches central differences', () => {
    fc.assert(
      fc.property(c.inputs, ({ xs, args }) => {
        const r = gradcheck((...ts: Tensor[]) => c.fn(ts, args), xs, { ...TOL, ...c.options });
        expect(r.ok, r.report).toBe(true);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
});

describe('gradients at kinks follow PyTorch', () => {
  const gradOf = (f: (x: Tensor) => Tensor, values: number[][]) => {
    const x = tensor(values, { dtype: 'float64', requiresGrad: true });
    f(x).sum().backward();
    return x.grad!.toArray();
  };

  it('relu and abs have gradient 0 at 0', () => {
    expect(gradOf(relu, [[0, 1, -1]])).toEqual([[0, 1, 0]]);
    expect(gradOf(abs, [[0, 1, -1]])).toEqual([[0, 1, -1]]);
  });

  it('clamp passes the gradient at a bound and blocks it beyond', () => {
    expect(gradOf((x) => clamp(x, { min: -1, max: 0.5 }), [[-2, -1, 0, 0.5, 1]])).toEqual([[0, 1, 1, 1, 0]]);
  });

  it('max splits the gradient evenly among ties (as torch.amax)', () => {
    expect(gradOf((x) => max(x, { axes: 1 }), [[1, 3, 3], [2, 2, 2]])).toEqual([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]);
    expect(gradOf((x) => max(x), [[1, 3, 3], [2, 2, 2]])).toEqual([[0, 0.5, 0.5], [0, 0, 0]]);
  });

  it('where sends each element\'s gradient to the branch it came from, and none to the mask', () => {
    const mask = tensor([[1, 0, 1]], { dtype: 'int32' });
    const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([10], { dtype: 'float64', requiresGrad: true });
    where(mask, a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([[1, 0, 1], [1, 0, 1]]);
    expect(b.grad!.toArray()).toEqual([2]);
    expect(mask.grad).toBeNull();
  });
});
