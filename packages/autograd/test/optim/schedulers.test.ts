// Learning-rate schedules against PyTorch 1.13's lr sequences (fixtures/schedulers.py), state and bad input.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  Adagrad, Adam, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, OneCycleLR,
  Parameter, ReduceLROnPlateau, SGD, StateDictError, StepLR, type LRScheduler, type OneCycleLROptions,
  type ReduceLROnPlateauOptions,
} from '@unroll/autograd';
import { readFixture } from './helpers.js';

interface SchedulerCase {
  scheduler: string;
  options: Record<string, unknown>;
  /** 'Adam' where the case says so, else SGD. */
  optimizer?: 'Adam';
  lrs: number[][];
  /** OneCycleLR: each group's momentum (SGD) or β₁ (Adam) after k steps. */
  momentums?: number[][];
  /** ReduceLROnPlateau: the metric given to step k + 1. */
  metrics?: number[];
  /** CosineAnnealingWarmRestarts per batch: the epoch given to step k + 1 (null: step()). */
  epochs?: (number | null)[];
}
interface SchedulerFixture {
  baseLrs: number[];
  cases: SchedulerCase[];
}
const f = readFixture<SchedulerFixture>('schedulers');

// The Python lambdas of fixtures/schedulers.py, keyed by their source text there.
const LAMBDAS: Record<string, (e: number) => number> = {
  '0.95 ** epoch': (e) => 0.95 ** e,
  'min(1, (epoch + 1) / 5)': (e) => Math.min(1, (e + 1) / 5),
  '1 / (1 + epoch)': (e) => 1 / (1 + e),
};

type Optim = SGD | Adam;
type Schedule = LRScheduler | ReduceLROnPlateau;

/** SGD (or Adam) with two groups (lr 0.1 and 0.02), as in the fixture script. */
function optimizer(kind: 'SGD' | 'Adam' = 'SGD'): Optim {
  const a = new Parameter(K.zeros([2]));
  const b = new Parameter(K.zeros([3]));
  const groups = [{ params: [a] }, { params: [b], lr: 0.02 }];
  return kind === 'Adam' ? new Adam(groups, { lr: 0.1 }) : new SGD(groups, { lr: 0.1 });
}

/** Each group's momentum: SGD's `momentum`, Adam's β₁. */
const momenta = (opt: Optim) => opt.paramGroups.map((g) => ('betas' in g ? g.betas[0] : g.momentum));

/** Step k (from 1) of a case: ReduceLROnPlateau reads the case's metric. */
function advance(s: Schedule, c: SchedulerCase, k: number): void {
  if (s instanceof ReduceLROnPlateau) s.step(c.metrics![k - 1]!);
  else if (s instanceof CosineAnnealingWarmRestarts && c.epochs) s.step(c.epochs[k - 1] ?? undefined);
  else s.step();
}

function schedule(name: string, opt: Optim, options: Record<string, unknown>): Schedule {
  switch (name) {
    case 'MultiStepLR': return new MultiStepLR(opt, options as { milestones: number[] });
    case 'CosineAnnealingWarmRestarts': return new CosineAnnealingWarmRestarts(opt, options as { t0: number });
    case 'OneCycleLR': return new OneCycleLR(opt, options as unknown as OneCycleLROptions);
    case 'ReduceLROnPlateau': return new ReduceLROnPlateau(opt, options as ReduceLROnPlateauOptions);
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
  it('gives PyTorch\'s lr sequence (and OneCycleLR\'s momentum), and sets it on the optimizer', () => {
    const opt = optimizer(c.optimizer);
    const s = schedule(c.scheduler, opt, c.options);
    c.lrs.forEach((expected, k) => {
      if (k > 0) {
        opt.step();
        advance(s, c, k);
      }
      const got = s.getLastLr();
      expect(got.every((lr, i) => close(lr, expected[i]!)), `epoch ${k}: ${got} vs ${expected}`).toBe(true);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(got);
      if (c.momentums) {
        const m = momenta(opt);
        expect(m.every((x, i) => close(x, c.momentums![k]![i]!)), `epoch ${k}: momentum ${m} vs ${c.momentums[k]}`).toBe(true);
      }
    });
    if (c.scheduler === 'OneCycleLR') {
      // The cycle ends at lastEpoch = totalSteps, as PyTorch's; one more step is an error.
      expect(() => s.step(0)).toThrow(/^OneCycleLR\.step: stepped past the end of the cycle: lastEpoch \d+ > totalSteps \d+$/);
    }
    // The sequence is not constant (a scheduler that never changes lr cannot pass).
    expect(new Set(c.lrs.map((l) => l[0])).size).toBeGreaterThan(1);
  });

  it('resumes from its state dict (through JSON)', () => {
    const opt = optimizer(c.optimizer);
    const s = schedule(c.scheduler, opt, c.options);
    for (let k = 1; k <= 7; k++) advance(s, c, k);
    const saved = JSON.parse(JSON.stringify({ optim: opt.stateDict(), sched: s.stateDict() }));
    expect(saved.sched.lastEpoch).toBe(c.epochs ? (s as LRScheduler).lastEpoch : 7);
    expect(saved.sched.lastEpoch).toBeGreaterThan(1);
    const opt2 = optimizer(c.optimizer);
    const s2 = schedule(c.scheduler, opt2, c.options);
    opt2.loadStateDict(saved.optim);
    s2.loadStateDict(saved.sched);
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    expect(s2.stateDict()).toEqual(s.stateDict());
    for (let k = 8; k < 13; k++) {
      advance(s, c, k);
      advance(s2, c, k);
      expect(opt2.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
      expect(momenta(opt2)).toEqual(momenta(opt));
    }
    // The resumed run matches the fixture too (a state dict that restored nothing would not).
    expect(s2.getLastLr().every((lr, i) => close(lr, c.lrs[12]![i]!))).toBe(true);
  });

  it('refuses a state dict with a key it does not know, changing nothing', () => {
    const s = schedule(c.scheduler, optimizer(c.optimizer), c.options);
    const before = s.stateDict();
    expect(() => s.loadStateDict({ ...before, last_epoch: 3 } as never)).toThrow(StateDictError);
    expect(() => s.loadStateDict({ ...before, last_epoch: 3 } as never)).toThrow(/^\w+\.loadStateDict refused \(nothing was changed\): unknown key 'last_epoch' \(did you mean 'lastEpoch'\?\)/);
    expect(s.stateDict()).toEqual(before);
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

describe('MultiStepLR, CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau: behaviour and bad input', () => {
  it('MultiStepLR sorts its milestones and counts a repeated one twice', () => {
    const s = new MultiStepLR(optimizer(), { milestones: [4, 2, 2], gamma: 0.5 });
    expect(s.milestones).toEqual([2, 2, 4]);
    const lrs = [s.getLastLr()[0]];
    for (let k = 0; k < 5; k++) {
      s.step();
      lrs.push(s.getLastLr()[0]);
    }
    expect(lrs).toEqual([0.1, 0.1, 0.025, 0.025, 0.0125, 0.0125]);
  });

  it('CosineAnnealingWarmRestarts.step(epoch) takes fractional epochs (saved and restored as such) and refuses negative ones', () => {
    const s = new CosineAnnealingWarmRestarts(optimizer(), { t0: 2 });
    s.step(0.5);
    s.step();
    expect(s.lastEpoch).toBe(1.5);
    const s2 = new CosineAnnealingWarmRestarts(optimizer(), { t0: 2 });
    s2.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    s.step();
    s2.step();
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    expect(() => s.step(-1)).toThrow(/^CosineAnnealingWarmRestarts\.step: epoch must be a number >= 0; got -1$/);
    expect(() => s.step(NaN)).toThrow(/epoch must be a number >= 0; got NaN$/);
    // The other schedules count whole epochs only.
    const step = new StepLR(optimizer(), { stepSize: 2 });
    expect(() => step.loadStateDict({ ...step.stateDict(), lastEpoch: 1.5 })).toThrow(/lastEpoch must be an integer >= 0; got 1.5/);
  });

  it('CosineAnnealingWarmRestarts restarts exactly at t0·(1 + m + … + m^(i−1)) for long runs', () => {
    const s = new CosineAnnealingWarmRestarts(optimizer(), { t0: 3, tMult: 2 });
    const restarts = new Set([3, 9, 21, 45, 93, 189, 381, 765]);
    for (let e = 1; e <= 800; e++) {
      s.step();
      if (restarts.has(e)) expect(s.getLastLr(), `epoch ${e}`).toEqual([0.1, 0.02]);
      else expect(s.getLastLr()[0]!, `epoch ${e}`).toBeLessThan(0.1);
    }
  });

  it('OneCycleLR starts at maxLr/divFactor (its base lrs) with maxMomentum, and keeps Adam\'s β₂', () => {
    const opt = optimizer('Adam');
    opt.paramGroups[1]!.betas = [0.5, 0.98];
    const s = new OneCycleLR(opt, { maxLr: [1, 0.5], totalSteps: 10 });
    expect(s.baseLrs).toEqual([0.04, 0.02]);
    s.getLastLr().forEach((lr, i) => expect(lr).toBeCloseTo([0.04, 0.02][i]!, 15)); // the cosine at 0, rounded as PyTorch's
    expect(opt.paramGroups.map((g) => g.betas)).toEqual([[0.95, 0.999], [0.95, 0.98]]);
    s.step();
    expect(opt.paramGroups[1]!.betas[1]).toBe(0.98);
    expect(opt.paramGroups[1]!.betas[0]).toBeLessThan(0.95);
  });

  it('ReduceLROnPlateau scales the current lr (so it composes with an lr set by hand) and respects minLr', () => {
    const opt = optimizer();
    const s = new ReduceLROnPlateau(opt, { patience: 0, minLr: 0.015 });
    s.step(1);
    opt.paramGroups[0]!.lr = 0.5;
    s.step(2);
    expect(s.getLastLr()).toEqual([0.05, 0.015]);
    expect(s.stateDict()).toEqual({ lastEpoch: 2, best: 1, numBadEpochs: 0, cooldownCounter: 0, lastLr: [0.05, 0.015] });
  });

  it('ReduceLROnPlateau saves "no metric yet" as best: null (JSON-safe) and restores it', () => {
    const s = new ReduceLROnPlateau(optimizer(), { mode: 'max' });
    const saved = JSON.parse(JSON.stringify(s.stateDict()));
    expect(saved.best).toBeNull();
    const s2 = new ReduceLROnPlateau(optimizer(), { mode: 'max' });
    s2.loadStateDict(saved);
    expect(s2.best).toBe(-Infinity);
    s2.step(-1e300);
    expect(s2.best).toBe(-1e300);
  });

  it('bad options give clear errors', () => {
    const opt = optimizer();
    expect(() => new MultiStepLR(opt, { milestones: 3 } as never)).toThrow(/^MultiStepLR: milestones must be an array of epochs; got 3$/);
    expect(() => new MultiStepLR(opt, { milestones: [2, 1.5] })).toThrow(/^MultiStepLR: milestones\[1\] must be an integer >= 0; got 1.5$/);
    expect(() => new MultiStepLR(opt, { milestones: [2], gamma: 0 })).toThrow(/^MultiStepLR: gamma must be a number > 0; got 0$/);
    expect(() => new CosineAnnealingWarmRestarts(opt, { t0: 0 })).toThrow(/^CosineAnnealingWarmRestarts: t0 must be an integer >= 1; got 0$/);
    expect(() => new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 1.5 })).toThrow(/^CosineAnnealingWarmRestarts: tMult must be an integer >= 1; got 1.5$/);
    expect(() => new CosineAnnealingWarmRestarts(opt, { t0: 2, etaMin: -1 })).toThrow(/^CosineAnnealingWarmRestarts: etaMin must be a number >= 0; got -1$/);
    expect(() => new CosineAnnealingWarmRestarts(opt, { T_0: 2 } as never)).toThrow(/^CosineAnnealingWarmRestarts: unknown option 'T_0'; options are t0, tMult, etaMin$/);

    const one = (o: Record<string, unknown>, on: Optim | Adagrad = optimizer()) => () => new OneCycleLR(on, o as unknown as OneCycleLROptions);
    expect(one({ maxLr: 1 })).toThrow(/^OneCycleLR: totalSteps \(or epochs and stepsPerEpoch\) is required$/);
    expect(one({ maxLr: 1, totalSteps: 10, epochs: 2 })).toThrow(/^OneCycleLR: give totalSteps or epochs and stepsPerEpoch, not both$/);
    expect(one({ maxLr: 1, epochs: 2 })).toThrow(/^OneCycleLR: stepsPerEpoch must be an integer >= 1; got undefined$/);
    expect(one({ maxLr: 1, totalSteps: 0 })).toThrow(/^OneCycleLR: totalSteps must be an integer >= 1; got 0$/);
    expect(one({ maxLr: [1], totalSteps: 10 })).toThrow(/^OneCycleLR: maxLr must be a number or one per param group \(2\); got \[1\]$/);
    expect(one({ maxLr: -1, totalSteps: 10 })).toThrow(/^OneCycleLR: maxLr must be a number > 0; got -1$/);
    expect(one({ maxLr: 1, totalSteps: 10, pctStart: 1.5 })).toThrow(/^OneCycleLR: pctStart must be a number in \[0, 1\]; got 1.5$/);
    expect(one({ maxLr: 1, totalSteps: 10, pctStart: 0.1 })).toThrow(/^OneCycleLR: pctStart 0.1 with totalSteps 10 leaves phase 1 of 2 with no steps; choose another pctStart$/);
    expect(one({ maxLr: 1, totalSteps: 10, annealStrategy: 'exp' })).toThrow(/^OneCycleLR: annealStrategy must be 'cos' or 'linear'; got 'exp'$/);
    expect(one({ maxLr: 1, totalSteps: 10, maxMomentum: 1 })).toThrow(/^OneCycleLR: maxMomentum must be a number in \[0, 1\); got 1$/);
    expect(one({ maxLr: 1, totalSteps: 10, cycleMomentum: false, baseMomentum: 0.8 })).toThrow(/^OneCycleLR: baseMomentum needs cycleMomentum: true$/);
    expect(one({ maxLr: 1, totalSteps: 10, divFactor: 0 })).toThrow(/^OneCycleLR: divFactor must be a number > 0; got 0$/);
    expect(one({ maxLr: 1, totalSteps: 10, three_phase: true })).toThrow(/^OneCycleLR: unknown option 'three_phase' \(did you mean 'threePhase'\?\)/);
    const adagrad = new Adagrad([new Parameter(K.zeros([2]))]);
    expect(one({ maxLr: 1, totalSteps: 10 }, adagrad)).toThrow(/^OneCycleLR: cycleMomentum needs an optimizer with momentum or betas \(SGD, RMSprop, Adam, …\); got Adagrad \(set cycleMomentum: false\)$/);
    expect(() => new OneCycleLR(adagrad, { maxLr: 1, totalSteps: 10, cycleMomentum: false })).not.toThrow();

    const plateau = (o: Record<string, unknown>) => () => new ReduceLROnPlateau(opt, o as ReduceLROnPlateauOptions);
    expect(plateau({ mode: 'minimum' })).toThrow(/^ReduceLROnPlateau: mode must be 'min' or 'max'; got 'minimum'$/);
    expect(plateau({ factor: 1 })).toThrow(/^ReduceLROnPlateau: factor must be a number in \[0, 1\); got 1$/);
    expect(plateau({ patience: -1 })).toThrow(/^ReduceLROnPlateau: patience must be an integer >= 0; got -1$/);
    expect(plateau({ threshold: -0.1 })).toThrow(/^ReduceLROnPlateau: threshold must be a number >= 0; got -0.1$/);
    expect(plateau({ thresholdMode: 'relative' })).toThrow(/^ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs'; got 'relative'$/);
    expect(plateau({ cooldown: 0.5 })).toThrow(/^ReduceLROnPlateau: cooldown must be an integer >= 0; got 0.5$/);
    expect(plateau({ minLr: [0.1] })).toThrow(/^ReduceLROnPlateau: minLr must be a number or one per param group \(2\); got \[0.1\]$/);
    expect(plateau({ minLr: [0.1, -1] })).toThrow(/^ReduceLROnPlateau: minLr\[1\] must be a number >= 0; got -1$/);
    expect(plateau({ eps: NaN })).toThrow(/^ReduceLROnPlateau: eps must be a number >= 0; got NaN$/);
    expect(plateau({ min_lr: 0.1 })).toThrow(/^ReduceLROnPlateau: unknown option 'min_lr' \(did you mean 'minLr'\?\)/);
    expect(() => new ReduceLROnPlateau({} as never)).toThrow(/^ReduceLROnPlateau: optimizer must be an optimizer/);
  });

  it('ReduceLROnPlateau.step refuses a metric that is not a finite number', () => {
    const s = new ReduceLROnPlateau(optimizer());
    expect(() => s.step(NaN)).toThrow(/^ReduceLROnPlateau\.step: metric must be a finite number; got NaN$/);
    expect(() => s.step(Infinity)).toThrow(/got Infinity$/);
    expect(() => s.step('0.5' as never)).toThrow(/got '0.5'$/);
    expect(s.lastEpoch).toBe(0);
  });

  it('loadStateDict refuses states that do not fit, changing nothing', () => {
    const p = new ReduceLROnPlateau(optimizer());
    p.step(1);
    const before = p.stateDict();
    expect(() => p.loadStateDict({ ...before, numBadEpochs: -1 })).toThrow(/^ReduceLROnPlateau\.loadStateDict refused \(nothing was changed\): numBadEpochs must be an integer >= 0; got -1$/);
    expect(() => p.loadStateDict({ ...before, best: NaN })).toThrow(/best must be a number; got NaN/);
    expect(() => p.loadStateDict({ ...before, lastLr: [0.1] })).toThrow(/lastLr must list 2 learning rates \(one per param group\); got \[0.1\]/);
    expect(() => p.loadStateDict({ lastEpoch: 1 } as never)).toThrow(/numBadEpochs must be an integer >= 0; got undefined/);
    expect(p.stateDict()).toEqual(before);
    const one = new OneCycleLR(optimizer(), { maxLr: 1, totalSteps: 10 });
    expect(() => one.loadStateDict({ ...one.stateDict(), lastEpoch: 11 })).toThrow(/^OneCycleLR\.loadStateDict refused \(nothing was changed\): stepped past the end of the cycle: lastEpoch 11 > totalSteps 10$/);
    expect(one.lastEpoch).toBe(0);
  });
});
