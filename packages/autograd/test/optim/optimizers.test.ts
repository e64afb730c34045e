// Every optimizer's steps against PyTorch 1.13 (fixtures/optimizers.py), plus param groups and state handling.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import fc from 'fast-check';
import { Adam, AdamW, Parameter, SGD, Tensor, tensor, zeros } from '@unroll/autograd';
import { initialParams, makeOptimizer, maxAbsDiff, optimizerFixture, setGrads } from './helpers.js';

const f = optimizerFixture;

describe('optimizers match PyTorch 1.13 step by step (float64)', () => {
  it('the fixture covers every optimizer and the option combinations asked for', () => {
    const names = f.cases.map((c) => c.name);
    for (const n of ['sgd nesterov weight decay', 'adam amsgrad', 'adamw defaults', 'adagrad lr decay', 'rmsprop centered momentum',
      'nadam betas eps weight decay momentum decay', 'radam defaults', 'radam param groups', 'adamax maximize null grads']) {
      expect(names).toContain(n);
    }
    expect(new Set(f.cases.map((c) => c.optimizer))).toEqual(new Set(['SGD', 'Adam', 'AdamW', 'Adagrad', 'RMSprop', 'NAdam', 'RAdam', 'Adamax']));
  });

  it('NAdam follows the documented update, not PyTorch 1.13\'s code (which counts μₜ twice)', () => {
    const nadam = f.cases.filter((c) => c.optimizer === 'NAdam');
    expect(nadam.length).toBeGreaterThanOrEqual(3);
    for (const c of nadam) {
      const params = initialParams('float64');
      const opt = makeOptimizer(c, params);
      c.expected.forEach((_, t) => {
        setGrads(params, t, c.noGradSteps);
        opt.step();
      });
      // Ours equals the documented formula (tested above) and differs from 1.13's code well beyond rounding.
      const last = c.torch113!.at(-1)!;
      expect(maxAbsDiff(params[0]!.values(), last[0]!), c.name).toBeGreaterThan(1e-6);
    }
  });

  it('RAdam\'s trajectory crosses from the unrectified (ρₜ ≤ 5) to the rectified update', () => {
    // With β₂ = 0.999, ρₜ passes 5 at step 6 (t from 1), inside the 12 fixture steps.
    const rho = (t: number, b2 = 0.999) => 2 / (1 - b2) - 1 - (2 * t * b2 ** t) / (1 - b2 ** t);
    expect(rho(5)).toBeLessThanOrEqual(5);
    expect(rho(6)).toBeGreaterThan(5);
    expect(f.cases.find((c) => c.name === 'radam defaults')!.expected).toHaveLength(12);
  });

  describe.each(f.cases)('$name', (c) => {
    it('parameters after each step agree to 1e-12', () => {
      const params = initialParams('float64');
      const opt = makeOptimizer(c, params);
      c.expected.forEach((expected, t) => {
        setGrads(params, t, c.noGradSteps);
        opt.step();
        params.forEach((p, i) => {
          const err = maxAbsDiff(p.values(), expected[i]!);
          expect(err, `step ${t}, parameter ${i}`).toBeLessThanOrEqual(1e-12);
        });
      });
      // The update actually moved the parameters (a no-op optimizer cannot pass above).
      expect(maxAbsDiff(params[0]!.values(), f.init[0]!)).toBeGreaterThan(1e-4);
    });

    it('float32 parameters follow the float64 reference to float32 precision and keep float32 state', () => {
      const params = initialParams('float32');
      const opt = makeOptimizer(c, params);
      c.expected.forEach((expected, t) => {
        setGrads(params, t, c.noGradSteps);
        opt.step();
        params.forEach((p, i) => expect(maxAbsDiff(p.values(), expected[i]!), `step ${t}, parameter ${i}`).toBeLessThan(2e-5));
      });
      expect(params.every((p) => p.dtype === 'float32')).toBe(true);
      for (const entry of Object.values(opt.stateDict().state)) {
        for (const v of Object.values(entry)) if (v instanceof Tensor) expect(v.dtype).toBe('float32');
      }
    });
  });
});

describe('Optimizer mechanics', () => {
  it('a parameter whose grad is null is neither updated nor given state', () => {
    const [a, b] = initialParams();
    const before = b!.values().slice();
    const opt = new Adam([a!, b!], { lr: 0.1 });
    a!.grad = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    opt.step();
    expect([...b!.values()]).toEqual([...before]);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });

  it('state buffers are allocated once and updated in place across steps', () => {
    const params = initialParams();
    const opt = makeOptimizer({ optimizer: 'RMSprop', options: { momentum: 0.9, centered: true } }, params);
    setGrads(params, 0);
    opt.step();
    const state = (opt as unknown as { state: Map<Parameter, Record<string, unknown>> }).state;
    const first = Object.values(state.get(params[0]!)!);
    const storage = params.map((p) => p.data.data);
    for (let t = 1; t < 4; t++) {
      setGrads(params, t);
      opt.step();
    }
    const after = Object.values(state.get(params[0]!)!);
    expect(first.filter((v) => v instanceof Float64Array)).toHaveLength(3); // square_avg, momentum_buffer, grad_avg
    for (let k = 0; k < first.length; k++) if (typeof first[k] !== 'number') expect(after[k]).toBe(first[k]); // same typed arrays
    params.forEach((p, i) => expect(p.data.data).toBe(storage[i])); // parameters updated in place
  });

  it('paramGroups carry resolved options; a changed lr is used by the next step', () => {
    const p = new Parameter(K.fromData(new Float64Array([1, 2]), [2]));
    const q = new Parameter(K.fromData(new Float64Array([3]), [1]));
    const opt = new SGD([{ params: [p] }, { params: q, lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map(({ params, ...h }) => ({ ...h, n: params.length }))).toEqual([
      { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, n: 1 },
      { lr: 0.5, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, n: 1 },
    ]);
    opt.paramGroups[0]!.lr = 1;
    p.grad = tensor([1, 1], { dtype: 'float64' });
    opt.step();
    expect([...p.values()]).toEqual([0, 1]);
  });

  it('addParamGroup adds parameters that the next step updates', () => {
    const [a, b] = initialParams();
    const opt = new SGD([a!], { lr: 0.1 });
    opt.addParamGroup({ params: [b!], lr: 1 });
    const before = b!.values().slice();
    b!.grad = tensor([1, 1, 1, 1], { dtype: 'float64' });
    opt.step();
    expect(maxAbsDiff(b!.values(), before.map((x) => x - 1))).toBe(0);
    expect(() => opt.addParamGroup({ params: [a!] })).toThrow(/SGD: param group 2: params\[0\] appears more than once/);
  });

  it('zeroGrad sets grads to null, or to zeros in place with setToNone: false', () => {
    const params = initialParams();
    const opt = new SGD(params, { lr: 0.1 });
    setGrads(params, 0);
    const g = params[0]!.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(params[0]!.grad).toBe(g);
    expect([...g.values()].every((x) => x === 0)).toBe(true);
    opt.zeroGrad();
    expect(params.map((p) => p.grad)).toEqual([null, null]);
  });

  it('accepts any iterable of parameters, e.g. a generator, and plain leaf tensors', () => {
    const w = zeros([2], { dtype: 'float64', requiresGrad: true });
    function* gen() { yield w; }
    const opt = new SGD(gen(), { lr: 1 });
    w.grad = tensor([1, -2], { dtype: 'float64' });
    opt.step();
    expect([...w.values()]).toEqual([-1, 2]);
  });

  it('a gradient given as a strided view is read in logical order', () => {
    const p = new Parameter(K.zeros([2, 2], { dtype: 'float64' }));
    const opt = new SGD([p], { lr: 1 });
    p.grad = new Tensor(K.fromData(new Float64Array([1, 2, 3, 4]), [2, 2]).transpose(1, 0)); // a strided view, not a copy
    opt.step();
    expect(p.toArray()).toEqual([[-1, -3], [-2, -4]]);
  });
});

describe('Adam and AdamW in float32 round as the per-element formula does, bit for bit', () => {
  // The reference: PyTorch 1.13's _single_tensor_adam(w) per element in float64 arithmetic, each buffer
  // rounded to float32 where it is stored (what the optimizers' loops must reproduce exactly).
  function reference(p: Float32Array, grads: Float32Array[], o: { lr: number; betas: [number, number]; eps: number; weightDecay: number }, decoupled: boolean) {
    const m = new Float32Array(p.length), v = new Float32Array(p.length);
    const [b1, b2] = o.betas;
    grads.forEach((g, k) => {
      const t = k + 1;
      const stepSize = o.lr / (1 - b1 ** t), bc2 = Math.sqrt(1 - b2 ** t);
      for (let i = 0; i < p.length; i++) {
        let gi = g[i]!;
        if (decoupled) p[i] = p[i]! * (1 - o.lr * o.weightDecay);
        else if (o.weightDecay !== 0) gi += o.weightDecay * p[i]!;
        m[i] = m[i]! * b1 + (1 - b1) * gi;
        v[i] = v[i]! * b2 + (1 - b2) * gi * gi;
        p[i] = p[i]! + -stepSize * (m[i]! / (Math.sqrt(v[i]!) / bc2 + o.eps));
      }
    });
    return p;
  }

  it('for random values, options and step counts', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.constantFrom(0, 1e-2, 0.3),
      fc.constantFrom(1e-3, 0.05), fc.integer({ min: 0, max: 1e6 }),
      (n, steps, decoupled, weightDecay, lr, seed) => {
        const gen = new K.Generator(seed);
        const init = K.randNormal([n], 0, 1, { generator: gen }).data as Float32Array;
        const grads = Array.from({ length: steps }, () => K.randNormal([n], 0, 1, { generator: gen }).data as Float32Array);
        const options = { lr, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay };
        const param = new Parameter(K.fromData(Float32Array.from(init), [n]));
        const opt = decoupled ? new AdamW([param], options) : new Adam([param], options);
        for (const g of grads) {
          param.grad = new Tensor(K.fromData(Float32Array.from(g), [n]));
          opt.step();
        }
        expect(Array.from(param.values())).toEqual(Array.from(reference(Float32Array.from(init), grads, options, decoupled)));
      }), { seed: 7, numRuns: 60 });
  });
});
