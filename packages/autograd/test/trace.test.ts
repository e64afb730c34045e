// trace: every op application inside a function is observed in order, with its attrs; the
// scalar rules of elementwise ops agree with the ops themselves.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  abs, add, clamp, div, exp, log, matmul, mul, neg, noGrad, opSpec, pow, registeredOps, relu, sigmoid, softplus, sqrt,
  sub, sum, tanh, tensor, trace, where, type Tensor, type TracedOp,
} from '@unroll/autograd';

describe('trace', () => {
  it('sees each application with its op, attrs, inputs and outputs, recorded or not', () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([[0.5, 1], [1, 0.5]], { dtype: 'float64' });
    for (const grad of [true, false]) {
      const seen: TracedOp[] = [];
      const run = () => trace(() => sum(tanh(matmul(a, b, { transB: true })), { axes: 1 }), (o) => seen.push(o));
      const y = grad ? run() : noGrad(run);
      expect(seen.map((o) => o.op)).toEqual(['matmul', 'tanh', 'sum']);
      expect(seen[0]!.attrs).toEqual({ transB: true });
      expect(seen[0]!.inputs).toEqual([a, b]);
      expect(seen[1]!.inputs[0]).toBe(seen[0]!.outputs[0]);
      expect(seen[2]!.outputs[0]).toBe(y);
      expect(y.node?.attrs ?? null).toEqual(grad ? { axes: 1 } : null);
    }
  });

  it('nests: an inner trace sees its own span, the outer one the rest', () => {
    const x = tensor([1, 2, 3]);
    const outer: string[] = [], inner: string[] = [];
    trace(() => {
      exp(x);
      trace(() => tanh(x), (o) => inner.push(o.op));
      return mul(x, 2);
    }, (o) => outer.push(o.op));
    expect(inner).toEqual(['tanh']);
    expect(outer).toEqual(['exp', 'mul']);
  });

  it('refuses an async function and restores the outer tracer after a throw', () => {
    const seen: string[] = [];
    expect(() => trace(() => Promise.resolve(1) as unknown as number, () => {})).toThrow('trace: takes a synchronous function');
    trace(() => {
      expect(() => trace(() => { throw new Error('boom'); }, () => {})).toThrow('boom');
      tanh(tensor([1]));
    }, (o) => seen.push(o.op));
    expect(seen).toEqual(['tanh']);
  });
});

describe('pointwise rules', () => {
  const elementwise = registeredOps().filter((n) => opSpec(n)?.pointwise);
  it('exist for every elementwise primitive', () => {
    expect(elementwise).toEqual([
      'abs', 'add', 'clamp', 'div', 'exp', 'log', 'mul', 'neg', 'pow', 'relu', 'sigmoid', 'softplus', 'sqrt', 'sub', 'tanh', 'where',
    ]);
  });

  const t = (v: number) => tensor([v], { dtype: 'float64' });
  const bounds = { min: -0.5, max: 0.5 };
  // Each op through its public function, on scalars, to compare with its rule.
  const viaOp: Record<string, (xs: number[]) => Tensor> = {
    abs: ([x]) => abs(t(x!)), add: ([a, b]) => add(t(a!), t(b!)), clamp: ([x]) => clamp(t(x!), bounds),
    div: ([a, b]) => div(t(a!), t(b!)), exp: ([x]) => exp(t(x!)), log: ([x]) => log(t(x!)), mul: ([a, b]) => mul(t(a!), t(b!)),
    neg: ([x]) => neg(t(x!)), pow: ([a, b]) => pow(t(a!), t(b!)), relu: ([x]) => relu(t(x!)), sigmoid: ([x]) => sigmoid(t(x!)),
    softplus: ([x]) => softplus(t(x!)), sqrt: ([x]) => sqrt(t(x!)), sub: ([a, b]) => sub(t(a!), t(b!)), tanh: ([x]) => tanh(t(x!)),
    where: ([m, a, b]) => where(t(m!), t(a!), t(b!)),
  };

  it.each(elementwise)('%s: forward agrees with the op, partials with central differences', (name) => {
    const rule = opSpec(name)!.pointwise!(name === 'clamp' ? bounds : undefined);
    const arity = rule.partials.length;
    // Positive values keep log, sqrt and pow in their domain; clamp is shifted to straddle both bounds.
    const values = fc.array(fc.double({ min: 0.2, max: 2, noNaN: true }), { minLength: arity, maxLength: arity });
    fc.assert(fc.property(values, (raw) => {
      const xs = name === 'clamp' ? [raw[0]! - 1.1] : name === 'where' ? [raw[0]! > 1 ? 1 : 0, ...raw.slice(1)] : raw;
      if (name === 'clamp' && Math.min(Math.abs(xs[0]! - 0.5), Math.abs(xs[0]! + 0.5)) < 1e-4) return; // kinks
      const y = rule.forward(...xs);
      expect(viaOp[name]!(xs).item()).toBeCloseTo(y, 12);
      rule.partials.forEach((partial, i) => {
        if (name === 'where' && i === 0) return; // the condition is not differentiable
        const h = 1e-6, up = [...xs], down = [...xs];
        up[i]! += h;
        down[i]! -= h;
        expect(partial(...xs, y)).toBeCloseTo((rule.forward(...up) - rule.forward(...down)) / (2 * h), 5);
      });
    }), { seed: 7, numRuns: 20 });
  });
});
