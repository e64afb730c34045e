// Learning-rate schedules against PyTorch 1.13's lr sequences (fixtures/schedulers.py), state and bad input.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, Parameter, SGD, StateDictError, StepLR, type LRScheduler,
} from '@unroll/autograd';
import { readFixture } from './helpers.js';

interface SchedulerFixture {
  baseLrs: number[];
  cases: { scheduler: string; options: Record<string, unknown>; lrs: number[][] }[];
}
const f = readFixture<SchedulerFixture>('schedulers');

// The Python lambdas of fixtures/schedulers.py, keyed by their source text there.
const LAMBDAS: Record<string, (e: number) => number> = {
  '0.95 ** epoch': (e) => 0.95 ** e,
  'min(1, (epoch + 1) / 5)': (e) => Math.min(1, (e + 1) / 5),
  '1 / (1 + epoch)': (e) => 1 / (1 + e),
};

/** SGD with two groups (lr 0.1 and 0.02), as in the fixture script. */
function optimizer(): SGD {
  const a = new Parameter(K.zeros([2]));
  const b = new Parameter(K.zeros([3]));
  return new SGD([{ params: [a] }, { params: [b], lr: 0.02 }], { lr: 0.1 });
}

function schedule(name: string, opt: SGD, options: Record<string, unknown>): LRScheduler {
  switch (name) {
    case 'StepLR': return new StepLR(opt, options as { stepSize: number });
    case 'ExponentialLR': return new ExponentialLR(opt, options as { gamma: number });
    case 'CosineAnnealingLR': return new CosineAnnealingLR(opt, options as { tMax: number });
    case 'LinearLR': return new LinearLR(opt, options);
    case 'LambdaLR': {
      const l = options.lrLambda as string | string[];
      return new LambdaLR(opt, { lrLambda: Array.isArray(l) ? l.map((s) => LAMBDAS[s]!) : LAMBDAS[l]! });
    }
    default: throw new Error(`unknown scheduler ${name}`);
  }
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.abs(b) + 1e-15;

describe.each(f.cases)('$scheduler $options', (c) => {
  it('gives PyTorch\'s lr sequence, and sets it on the optimizer', () => {
    const opt = optimizer();
    const s = schedule(c.scheduler, opt, c.options);
    c.lrs.forEach((expected, k) => {
      if (k > 0) {
        opt.step();
        s.step();
      }
      const got = s.getLastLr();
      expect(got.every((lr, i) => close(lr, expected[i]!)), `epoch ${k}: ${got} vs ${expected}`).toBe(true);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(got);
    });
    // The sequence is not constant (a scheduler that never changes lr cannot pass).
    expect(new Set(c.lrs.map((l) => l[0])).size).toBeGreaterThan(1);
  });

  it('resumes from its state dict', () => {
    const opt = optimizer();
    const s = schedule(c.scheduler, opt, c.options);
    for (let k = 0; k < 7; k++) s.step();
    const saved = JSON.parse(JSON.stringify({ optim: opt.stateDict(), sched: s.stateDict() }));
    expect(saved.sched.lastEpoch).toBe(7);
    const opt2 = optimizer();
    const s2 = schedule(c.scheduler, opt2, c.options);
    opt2.loadStateDict(saved.optim);
    s2.loadStateDict(saved.sched);
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    for (let k = 0; k < 5; k++) {
      s.step();
      s2.step();
      expect(opt2.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
    }
  });
});

describe('schedule edge cases and bad input', () => {
  it('base lrs are the lrs at construction; a hand-set lr is overwritten by the closed form at the next step', () => {
    const opt = optimizer();
    const s = new StepLR(opt, { stepSize: 2 });
    expect(s.baseLrs).toEqual([0.1, 0.02]);
    opt.paramGroups[0]!.lr = 5;
    s.step();
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });

  it('bad options give clear errors', () => {
    const opt = optimizer();
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/^StepLR: stepSize must be an integer >= 1; got 0$/);
    expect(() => new StepLR(opt, { stepSize: 1.5 })).toThrow(/^StepLR: stepSize must be an integer >= 1; got 1.5$/);
    expect(() => new StepLR(opt, { stepSize: 2, gamma: -0.1 })).toThrow(/^StepLR: gamma must be a number > 0; got -0.1$/);
    expect(() => new StepLR(opt, { step_size: 2 } as never)).toThrow(/^StepLR: unknown option 'step_size' \(did you mean 'stepSize'\?\)/);
    expect(() => new ExponentialLR(opt, {} as never)).toThrow(/^ExponentialLR: gamma must be a number > 0; got undefined$/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 0 })).toThrow(/^CosineAnnealingLR: tMax must be an integer >= 1; got 0$/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 5, etaMin: -1 })).toThrow(/^CosineAnnealingLR: etaMin must be a number >= 0; got -1$/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/^LinearLR: startFactor must be a number in \(0, 1\]; got 0$/);
    expect(() => new LinearLR(opt, { endFactor: 1.5 })).toThrow(/^LinearLR: endFactor must be a number in \[0, 1\]; got 1.5$/);
    expect(() => new LinearLR(opt, { totalIters: 0 })).toThrow(/^LinearLR: totalIters must be an integer >= 1; got 0$/);
    expect(() => new LambdaLR(opt, { lrLambda: 0.5 } as never)).toThrow(/^LambdaLR: lrLambda must be a function or an array of functions; got 0.5$/);
    expect(() => new LambdaLR(opt, { lrLambda: [() => 1] })).toThrow(/^LambdaLR: lrLambda must be one function per param group \(2\); got \[a function\]$/);
    expect(() => new StepLR({} as never, { stepSize: 1 })).toThrow(/^StepLR: optimizer must be an optimizer \(param groups with a numeric lr\); got Object$/);
  });

  it('a lambda that returns a non-finite factor is an error naming the epoch', () => {
    const s = new LambdaLR(optimizer(), { lrLambda: (e) => (e === 2 ? NaN : 1) });
    s.step();
    expect(() => s.step()).toThrow(/^LambdaLR: lrLambda must return a finite number; got NaN at epoch 2 for param group 0$/);
  });

  it('loadStateDict refuses a state that does not fit, changing nothing', () => {
    const s = new StepLR(optimizer(), { stepSize: 2 });
    s.step();
    expect(() => s.loadStateDict({ lastEpoch: -1, baseLrs: [1, 1], lastLr: [1, 1] })).toThrow(/^StepLR\.loadStateDict refused \(nothing was changed\): lastEpoch must be an integer >= 0; got -1$/);
    expect(() => s.loadStateDict({ lastEpoch: 3, baseLrs: [1], lastLr: [1, 1] })).toThrow(StateDictError);
    expect(() => s.loadStateDict({ lastEpoch: 3, baseLrs: [1], lastLr: [1, 1] })).toThrow(/baseLrs must list 2 learning rates \(one per param group\); got \[1\]/);
    expect(s.stateDict()).toEqual({ lastEpoch: 1, baseLrs: [0.1, 0.02], lastLr: [0.1, 0.02] });
  });
});
