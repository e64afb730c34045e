// Sequential and Module behaviour through the layers: dotted names, state dicts (round trip,
// refusals that change nothing, dtype conversion), train/eval reaching Dropout, Module.to.
import { describe, expect, it } from 'vitest';
import {
  Dropout, Embedding, RandomGenerator, LayerNorm, Linear, Module, Sequential, StateDictError, Tensor, ones, randn, tensor, zeros,
} from '@unroll/autograd';
import { expectClose, flat } from './helpers.js';

const model = (seed: number) => {
  const generator = new RandomGenerator(seed);
  return new Sequential(
    new Linear(4, 6, { generator }),
    new Dropout(0.5, { generator }),
    new Sequential(new LayerNorm(6), new Linear(6, 2, { generator })),
  );
};

describe('Sequential', () => {
  it('chains forward and names children 0, 1, … with dotted parameter names', () => {
    const m = model(1);
    expect(m.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`)).toEqual([
      '0.weight 6x4', '0.bias 6', '2.0.weight 6', '2.0.bias 6', '2.1.weight 2x6', '2.1.bias 2',
    ]);
    expect(m.namedModules().map(([n]) => n)).toEqual(['', '0', '1', '2', '2.0', '2.1']);
    expect(m.length).toBe(3);
    expect(m.at(-1)).toBeInstanceOf(Sequential);
    expect([...m].map((c) => c.constructor.name)).toEqual(['Linear', 'Dropout', 'Sequential']);
    m.eval();
    const x = randn([3, 4]);
    const inner = m.at(2) as Sequential;
    const byHand = (inner.at(1) as Linear).forward((inner.at(0) as LayerNorm).forward((m.at(0) as Linear).forward(x)));
    expectClose(m.forward(x), byHand, { atol: 0 });
    expect(m.forward(x).shape).toEqual([3, 2]);
  });

  it('append adds a module under the next index; an empty Sequential is the identity', () => {
    const s = new Sequential();
    const x = ones([2]);
    expect(s.forward(x)).toBe(x);
    s.append(new Linear(2, 3));
    expect(s.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
  });

  it('rejects non-modules, modules without forward and bad indices', () => {
    expect(() => new Sequential(42 as never)).toThrow('Sequential: module 0 must be a Module; got number');
    class NoForward extends Module {}
    expect(() => new Sequential(new Linear(2, 2), new NoForward() as never)).toThrow('Sequential: module 1 (NoForward) has no forward(x) method');
    expect(() => new Sequential(new Linear(2, 2)).at(1)).toThrow('Sequential.at: index 1 is out of range for 1 modules');
    // Shape errors inside name the layer that refused.
    expect(() => new Sequential(new Linear(4, 3), new Linear(4, 2)).forward(zeros([1, 4]))).toThrow('Linear.forward: x must be [..., 4]; got [1, 3]');
  });

  it('train()/eval() reach a Dropout nested inside', () => {
    const m = new Sequential(new Sequential(new Dropout(0.5, { generator: new RandomGenerator(0) })));
    const x = ones([20, 20]);
    expect(flat(m.forward(x)).some((v) => v === 0)).toBe(true);
    m.eval();
    expect(m.namedModules().every(([, c]) => !c.training)).toBe(true);
    expect(m.forward(x)).toBe(x);
    m.train();
    expect(flat(m.forward(x)).some((v) => v === 0)).toBe(true);
  });
});

describe('state dicts through the layers', () => {
  it('round-trips: a second model loaded from the first computes the same outputs', () => {
    const a = model(1).eval(), b = model(2).eval();
    const x = randn([5, 4]);
    expect(flat(a.forward(x))).not.toEqual(flat(b.forward(x)));
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '2.0.weight', '2.0.bias', '2.1.weight', '2.1.bias']);
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(flat(b.forward(x))).toEqual(flat(a.forward(x)));
    // Copies, not views: training a further does not change the saved dict.
    (a.at(0) as Linear).weight.data.data.fill(0);
    expect(flat(sd['0.weight']!).some((v) => v !== 0)).toBe(true);
  });

  it('refuses missing, unexpected and misshaped entries, listing all of them, and changes nothing', () => {
    const m = model(3);
    const before = m.stateDict();
    const sd: Record<string, Tensor> = { ...model(4).stateDict() };
    delete sd['2.0.bias'];
    sd['3.weight'] = zeros([2]);
    sd['0.weight'] = zeros([4, 6]); // transposed: torch layout is [out, in]
    let message = '';
    try {
      m.loadStateDict(sd);
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      message = (e as Error).message;
    }
    expect(message).toContain('Sequential.loadStateDict refused (nothing was changed)');
    expect(message).toContain('missing keys: 2.0.bias');
    expect(message).toContain('unexpected keys: 3.weight');
    expect(message).toContain('shape mismatch: 0.weight: expected [6, 4], got [4, 6]');
    for (const [name, t] of Object.entries(m.stateDict())) expect(flat(t), name).toEqual(flat(before[name]!));
  });

  it('converts dtype on load (float64 values into a float32 model, nested arrays too)', () => {
    const m = new Sequential(new Linear(2, 2), new Embedding(3, 2));
    m.loadStateDict({
      '0.weight': tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' }),
      '0.bias': [1, 2],
      '1.weight': tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' }),
    });
    const lin = m.at(0) as Linear;
    expect(lin.weight.dtype).toBe('float32');
    expectClose(lin.weight, [0.1, 0.2, 0.3, 0.4], { atol: 1e-7 });
    expect(lin.bias!.toArray()).toEqual([1, 2]);
    expect((m.at(1) as Embedding).weight.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('Module.to("float64") converts every layer, which then needs float64 input', () => {
    const m = model(5).eval();
    const x32 = randn([2, 4]);
    const y32 = m.forward(x32);
    m.to('float64');
    expect(m.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    const y64 = m.forward(x32.to('float64'));
    expect(y64.dtype).toBe('float64');
    expectClose(y64, y32, { atol: 1e-5 });
    expect(() => m.forward(x32)).toThrow("Linear.forward: x is float32 but the parameters are float64; convert one (x.to('float64') or module.to('float32'))");
    m.forward(x32.to('float64')).sum().backward();
    expect(m.parameters().every((p) => p.grad?.dtype === 'float64')).toBe(true);
  });
});
