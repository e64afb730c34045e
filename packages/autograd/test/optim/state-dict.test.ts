// Optimizer state dicts: resuming from a saved state continues bit for bit; bad state dicts are refused.
import { describe, expect, it } from 'vitest';
import {
  Adam, Adamax, NAdam, OneCycleLR, Parameter, RAdam, ReduceLROnPlateau, SGD, StateDictError, Tensor, checkpointBytes, readCheckpoint, tensor,
  type LRSchedulerState, type OptimizerStateDictInput, type ReduceLROnPlateauState,
} from '@unroll/autograd';
import { initialParams, makeOptimizer, optimizerFixture, setGrads } from './helpers.js';

const N = 3; // steps before saving
const M = 5; // steps after

/** Replaces Tensors by nested arrays, as a JSON checkpoint would hold them. */
const viaJson = (sd: unknown): OptimizerStateDictInput =>
  JSON.parse(JSON.stringify(sd, (_, v: unknown) => (v instanceof Tensor ? v.toArray() : v))) as OptimizerStateDictInput;

describe.each(optimizerFixture.cases)('resume: $name', (c) => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`save after ${N} steps, load into a fresh optimizer, ${M} more steps: identical parameters bit for bit (${dtype})`, () => {
      const params = initialParams(dtype);
      const opt = makeOptimizer(c, params);
      for (let t = 0; t < N; t++) {
        setGrads(params, t, c.noGradSteps);
        opt.step();
      }
      const saved = opt.stateDict();
      const savedParams = params.map((p) => p.values().slice());
      const json = viaJson(saved);

      for (let t = N; t < N + M; t++) {
        setGrads(params, t, c.noGradSteps);
        opt.step();
      }
      for (const source of [saved, json]) {
        // A fresh optimizer over fresh parameters holding the saved values; options as the case's
        // (the state dict's hyperparameters overwrite them anyway).
        const fresh = initialParams(dtype);
        fresh.forEach((p, i) => (p.data.data as Float64Array).set(savedParams[i]!));
        const resumed = makeOptimizer(c, fresh);
        resumed.loadStateDict(source);
        for (let t = N; t < N + M; t++) {
          setGrads(fresh, t, c.noGradSteps);
          resumed.step();
        }
        fresh.forEach((p, i) => expect([...p.values()], `parameter ${i}`).toEqual([...params[i]!.values()]));
      }
    });
  }

  it('without the state, continuing differs (the test above can fail)', () => {
    const params = initialParams();
    const opt = makeOptimizer(c, params);
    for (let t = 0; t < N + M; t++) {
      setGrads(params, t, c.noGradSteps);
      opt.step();
    }
    const fresh = initialParams();
    const other = makeOptimizer(c, fresh);
    for (let t = 0; t < N; t++) {
      setGrads(fresh, t, c.noGradSteps);
      other.step();
    }
    const restarted = makeOptimizer(c, fresh);
    for (let t = N; t < N + M; t++) {
      setGrads(fresh, t, c.noGradSteps);
      restarted.step();
    }
    const same = fresh.every((p, i) => p.values().every((x, k) => x === params[i]!.values()[k]));
    // Plain SGD keeps no state, so restarting it changes nothing.
    expect(same).toBe(c.name === 'sgd');
  });
});

describe('stateDict', () => {
  it('is plain data: indices, hyperparameters, counts and Tensor copies under PyTorch names', () => {
    const params = initialParams();
    const opt = new Adam([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.5, amsgrad: true }], { lr: 0.1 });
    params[1]!.grad = tensor([1, 2, 3, 4], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['1']);
    const s = sd.state['1']!;
    expect(Object.keys(s).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(s.step).toBe(1);
    expect(s.exp_avg).toBeInstanceOf(Tensor);
    expect((s.exp_avg as Tensor).shape).toEqual([4]);
    expect((s.exp_avg as Tensor).toArray()).toEqual([1, 2, 3, 4].map((g) => (1 - 0.9) * g));
    // A copy: later steps do not change a saved state dict, and changing it does not reach the optimizer.
    opt.step();
    expect(sd.state['1']!.step).toBe(1);
    (sd.paramGroups[0]!.betas as unknown as number[])[0] = 0.5;
    expect(opt.paramGroups[0]!.betas).toEqual([0.9, 0.999]);
  });

  it('NAdam, RAdam and Adamax keep their state under PyTorch\'s names; NAdam\'s running product ∏μᵢ is a plain number', () => {
    const keys = (opt: { stateDict(): { state: Record<string, Record<string, unknown>> } }) => Object.keys(opt.stateDict().state['0']!).sort();
    for (const [Cls, expected] of [
      [NAdam, ['exp_avg', 'exp_avg_sq', 'mu_product', 'step']],
      [RAdam, ['exp_avg', 'exp_avg_sq', 'step']],
      [Adamax, ['exp_avg', 'exp_inf', 'step']],
    ] as const) {
      const params = initialParams();
      const opt = new Cls(params);
      setGrads(params, 0);
      opt.step();
      expect(keys(opt)).toEqual(expected);
    }
    const params = initialParams();
    const opt = new NAdam(params);
    for (let t = 0; t < 2; t++) {
      setGrads(params, t);
      opt.step();
    }
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3));
    expect(opt.stateDict().state['0']!.mu_product).toBeCloseTo(mu(1) * mu(2), 15);
  });

  it('loading restores hyperparameters such as lr', () => {
    const params = initialParams();
    const a = new SGD(params, { lr: 0.1, momentum: 0.9 });
    a.paramGroups[0]!.lr = 0.025;
    const b = new SGD(initialParams(), { lr: 0.1, momentum: 0.9 });
    b.loadStateDict(a.stateDict());
    expect(b.paramGroups[0]!.lr).toBe(0.025);
  });
});

describe('loadStateDict refuses what does not fit, changing nothing', () => {
  const trained = () => {
    const params = initialParams();
    const opt = new Adam(params, { lr: 0.1 });
    setGrads(params, 0);
    opt.step();
    return { params, opt, sd: opt.stateDict() };
  };
  const cases: [string, (sd: ReturnType<typeof trained>['sd']) => unknown, RegExp][] = [
    ['not a state dict', () => 42, /expected \{ state, paramGroups \}; got 42/],
    ['wrong number of groups', (sd) => ({ ...sd, paramGroups: [sd.paramGroups[0], sd.paramGroups[0]] }), /has 2 param groups; this optimizer has 1/],
    ['wrong group size', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], params: [0] }] }), /param group 0 lists 1 parameters; this optimizer's lists 2/],
    ['missing option', (sd) => ({ ...sd, paramGroups: [{ params: [0, 1], lr: 0.1 }] }), /param group 0 is missing betas, eps/],
    ['unknown option', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], momentum: 0.9 }] }), /param group 0 has unknown options momentum/],
    ['invalid option', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }] }), /param group 0: lr must be a number >= 0; got -1/],
    ['state for an unlisted parameter', (sd) => ({ ...sd, state: { ...sd.state, 7: sd.state['0'] } }), /state for parameter 7, which no param group lists/],
    ['missing buffer', (sd) => ({ ...sd, state: { 0: { step: 1, exp_avg: sd.state['0']!.exp_avg } } }), /state of parameter 0 must hold step, exp_avg, exp_avg_sq; got step, exp_avg/],
    ['wrong buffer shape', (sd) => ({ ...sd, state: { 0: { ...sd.state['0'], exp_avg: tensor([1, 2]) } } }), /state of parameter 0: 'exp_avg' must be \[2, 3\]; got \[2\]/],
    ['bad step count', (sd) => ({ ...sd, state: { 0: { ...sd.state['0'], step: -1 } } }), /state of parameter 0: 'step' must be a count; got -1/],
    ['fractional step count', (sd) => ({ ...sd, state: { 0: { ...sd.state['0'], step: 0.5 } } }), /state of parameter 0: 'step' must be a count; got 0.5/],
    ['state of another optimizer', (sd) => ({ ...sd, state: { 0: { ...sd.state['0'], mu_product: 0.9 } } }), /state of parameter 0 must hold step, exp_avg, exp_avg_sq; got step, exp_avg, exp_avg_sq, mu_product/],
  ];
  it.each(cases)('%s', (_, mutate, message) => {
    const { opt } = trained();
    const { sd } = trained();
    const before = JSON.stringify(opt.stateDict(), (_, v: unknown) => (v instanceof Tensor ? v.toArray() : v));
    expect(() => opt.loadStateDict(mutate(sd) as OptimizerStateDictInput)).toThrow(StateDictError);
    expect(() => opt.loadStateDict(mutate(sd) as OptimizerStateDictInput)).toThrow(message);
    expect(JSON.stringify(opt.stateDict(), (_, v: unknown) => (v instanceof Tensor ? v.toArray() : v))).toBe(before);
  });

  it('state of a parameter with another dtype is converted to the parameter dtype', () => {
    const { sd } = trained();
    const p32 = initialParams('float32');
    const opt = new Adam(p32, { lr: 0.1 });
    opt.loadStateDict(sd);
    const s = opt.stateDict().state['0']!;
    expect((s.exp_avg as Tensor).dtype).toBe('float32');
    expect((s.exp_avg as Tensor).values()[0]).toBe(Math.fround((sd.state['0']!.exp_avg as Tensor).values()[0]!));
  });

  it('a Parameter created with a different order of parameters is caught by shape', () => {
    const { sd } = trained();
    const [a, b] = initialParams();
    const swapped = new Adam([b!, a!] as Parameter[], { lr: 0.1 });
    expect(() => swapped.loadStateDict(sd)).toThrow(/state of parameter 0: 'exp_avg' must be \[4\]; got \[2, 3\]/);
  });
});

describe('NAdam.loadStateDict checks its running product', () => {
  const trained = () => {
    const params = initialParams();
    const opt = new NAdam(params);
    setGrads(params, 0);
    opt.step();
    return opt;
  };
  it('refuses a non-finite or missing mu_product and an unknown key, changing nothing', () => {
    const opt = trained();
    const sd = opt.stateDict();
    const before = opt.stateDict().state['0']!.mu_product;
    const bad = (entry: Record<string, unknown>) => ({ ...sd, state: { ...sd.state, 0: entry } }) as unknown as OptimizerStateDictInput;
    const { mu_product: _, ...withoutMu } = sd.state['0']!;
    expect(() => opt.loadStateDict(bad({ ...sd.state['0'], mu_product: NaN }))).toThrow(/^NAdam\.loadStateDict refused \(nothing was changed\): state of parameter 0: 'mu_product' must be a finite number; got NaN$/);
    expect(() => opt.loadStateDict(bad({ ...sd.state['0'], mu_product: 'x' }))).toThrow(/'mu_product' must be a finite number; got 'x'/);
    expect(() => opt.loadStateDict(bad(withoutMu))).toThrow(/state of parameter 0 must hold step, mu_product, exp_avg, exp_avg_sq; got step, exp_avg, exp_avg_sq/);
    expect(() => opt.loadStateDict(bad({ ...sd.state['0'], max_exp_avg_sq: sd.state['0']!.exp_avg }))).toThrow(StateDictError);
    expect(opt.stateDict().state['0']!.mu_product).toBe(before);
    // A fractional mu_product (it always is) loads.
    const fresh = new NAdam(initialParams());
    fresh.loadStateDict(sd);
    expect(fresh.stateDict().state['0']!.mu_product).toBe(before);
  });
});

describe('through a safetensors checkpoint', () => {
  it('NAdam with OneCycleLR, and RAdam with ReduceLROnPlateau, resume exactly', () => {
    for (const kind of ['nadam', 'radam'] as const) {
      const build = () => {
        const params = initialParams();
        const opt = kind === 'nadam' ? new NAdam(params, { lr: 0.01 }) : new RAdam(params, { lr: 0.01 });
        const sched = kind === 'nadam' ? new OneCycleLR(opt, { maxLr: 0.05, totalSteps: 20 }) : new ReduceLROnPlateau(opt, { patience: 0 });
        const tick = (t: number) => {
          setGrads(params, t);
          opt.step();
          if (sched instanceof ReduceLROnPlateau) sched.step(1 + (t % 2)); else sched.step();
        };
        return { params, opt, sched, tick };
      };
      const a = build();
      for (let t = 0; t < 4; t++) a.tick(t);
      const bytes = checkpointBytes({ optimizer: a.opt, extra: { schedule: a.sched.stateDict() as unknown as Record<string, number> } });
      const values = a.params.map((p) => p.values().slice());
      for (let t = 4; t < 9; t++) a.tick(t);

      const ckpt = readCheckpoint(bytes);
      const b = build();
      b.params.forEach((p, i) => (p.data.data as Float64Array).set(values[i]!));
      b.opt.loadStateDict(ckpt.optimizer as unknown as OptimizerStateDictInput);
      const schedule = (ckpt.extra as { schedule: unknown }).schedule;
      if (b.sched instanceof ReduceLROnPlateau) b.sched.loadStateDict(schedule as ReduceLROnPlateauState);
      else b.sched.loadStateDict(schedule as LRSchedulerState);
      for (let t = 4; t < 9; t++) b.tick(t);
      b.params.forEach((p, i) => expect([...p.values()], `${kind} parameter ${i}`).toEqual([...a.params[i]!.values()]));
    }
  });
});
