// Bad options and bad parameters give clear errors naming the optimizer, the option and the value.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  Adagrad, Adam, Adamax, AdamW, Module, NAdam, Parameter, RAdam, RMSprop, SGD, Tensor, tensor, zeros,
} from '@unroll/autograd';

const p = () => new Parameter(K.zeros([2, 3], { dtype: 'float64' }));
type Make = (params: unknown, options?: unknown) => unknown;
const make: Record<string, Make> = {
  SGD: (ps, o) => new SGD(ps as Parameter[], o as { lr: number }),
  Adam: (ps, o) => new Adam(ps as Parameter[], o as object),
  AdamW: (ps, o) => new AdamW(ps as Parameter[], o as object),
  Adagrad: (ps, o) => new Adagrad(ps as Parameter[], o as object),
  RMSprop: (ps, o) => new RMSprop(ps as Parameter[], o as object),
  NAdam: (ps, o) => new NAdam(ps as Parameter[], o as object),
  RAdam: (ps, o) => new RAdam(ps as Parameter[], o as object),
  Adamax: (ps, o) => new Adamax(ps as Parameter[], o as object),
};

describe('bad options', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['SGD', {}, /^SGD: lr is required \(give it in the options or in every param group\)$/],
    ['SGD', { lr: -0.1 }, /^SGD: lr must be a number >= 0; got -0.1$/],
    ['SGD', { lr: NaN }, /^SGD: lr must be a number >= 0; got NaN$/],
    ['SGD', { lr: '0.1' }, /^SGD: lr must be a number >= 0; got '0.1'$/],
    ['SGD', { lr: 0.1, momentum: -0.5 }, /^SGD: momentum must be a number >= 0; got -0.5$/],
    ['SGD', { lr: 0.1, weightDecay: -1 }, /^SGD: weightDecay must be a number >= 0; got -1$/],
    ['SGD', { lr: 0.1, nesterov: true }, /^SGD: nesterov momentum requires momentum > 0 and dampening 0; got momentum 0, dampening 0$/],
    ['SGD', { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }, /nesterov momentum requires momentum > 0 and dampening 0; got momentum 0.9, dampening 0.1/],
    ['SGD', { lr: 0.1, nesterov: 1 }, /^SGD: nesterov must be true or false; got 1$/],
    ['SGD', { lr: 0.1, weight_decay: 0.1 }, /^SGD: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\); options are lr, momentum/],
    ['Adam', { lr: -1 }, /^Adam: lr must be a number >= 0; got -1$/],
    ['Adam', { eps: -1e-8 }, /^Adam: eps must be a number >= 0; got -1e-8$/],
    ['Adam', { betas: [1, 0.999] }, /^Adam: betas\[0\] must be a number in \[0, 1\); got 1$/],
    ['Adam', { betas: [0.9, -0.1] }, /^Adam: betas\[1\] must be a number in \[0, 1\); got -0.1$/],
    ['Adam', { betas: 0.9 }, /^Adam: betas must be \[beta1, beta2\]; got 0.9$/],
    ['Adam', { weightDecay: -1 }, /^Adam: weightDecay must be a number >= 0; got -1$/],
    ['Adam', { amsgrad: 'yes' }, /^Adam: amsgrad must be true or false; got 'yes'$/],
    ['AdamW', { weightDecay: -0.01 }, /^AdamW: weightDecay must be a number >= 0; got -0.01$/],
    ['AdamW', { momentum: 0.9 }, /^AdamW: unknown option 'momentum'; options are lr, betas, eps, weightDecay, amsgrad, maximize$/],
    ['Adagrad', { lrDecay: -1 }, /^Adagrad: lrDecay must be a number >= 0; got -1$/],
    ['Adagrad', { initialAccumulatorValue: -1 }, /^Adagrad: initialAccumulatorValue must be a number >= 0; got -1$/],
    ['Adagrad', { lr_decay: 0.1 }, /did you mean 'lrDecay'/],
    ['RMSprop', { alpha: -0.9 }, /^RMSprop: alpha must be a number >= 0; got -0.9$/],
    ['RMSprop', { momentum: -1 }, /^RMSprop: momentum must be a number >= 0; got -1$/],
    ['RMSprop', { eps: Infinity }, /^RMSprop: eps must be a number >= 0; got Infinity$/],
    ['RMSprop', { centered: 0 }, /^RMSprop: centered must be true or false; got 0$/],
    ['NAdam', { lr: -1 }, /^NAdam: lr must be a number >= 0; got -1$/],
    ['NAdam', { momentumDecay: -0.004 }, /^NAdam: momentumDecay must be a number >= 0; got -0.004$/],
    ['NAdam', { betas: [0.9, 1] }, /^NAdam: betas\[1\] must be a number in \[0, 1\); got 1$/],
    ['NAdam', { momentum_decay: 0.01 }, /^NAdam: unknown option 'momentum_decay' \(did you mean 'momentumDecay'\?\)/],
    ['NAdam', { maximize: true }, /^NAdam: unknown option 'maximize'; options are lr, betas, eps, weightDecay, momentumDecay$/],
    ['RAdam', { eps: -1 }, /^RAdam: eps must be a number >= 0; got -1$/],
    ['RAdam', { betas: [0.9] }, /^RAdam: betas must be \[beta1, beta2\]; got \[0.9\]$/],
    ['RAdam', { weightDecay: -0.1 }, /^RAdam: weightDecay must be a number >= 0; got -0.1$/],
    ['RAdam', { amsgrad: true }, /^RAdam: unknown option 'amsgrad'; options are lr, betas, eps, weightDecay$/],
    ['Adamax', { lr: Infinity }, /^Adamax: lr must be a number >= 0; got Infinity$/],
    ['Adamax', { betas: [-0.1, 0.999] }, /^Adamax: betas\[0\] must be a number in \[0, 1\); got -0.1$/],
    ['Adamax', { maximize: 'no' }, /^Adamax: maximize must be true or false; got 'no'$/],
  ];
  it.each(cases)('%s %j', (name, options, message) => {
    expect(() => make[name]!([p()], options)).toThrow(message);
  });

  it('checks every param group, naming it', () => {
    expect(() => new SGD([{ params: [p()], lr: 0.1 }, { params: [p()], lr: -1 }])).toThrow(/^SGD: param group 1: lr must be a number >= 0; got -1$/);
    expect(() => new SGD([{ params: [p()] }], {})).toThrow(/^SGD: param group 0: lr is required/);
    expect(() => new Adam([{ params: [p()], beta: 0.9 } as never])).toThrow(/^Adam: param group 0: unknown option 'beta'; options are params, lr/);
    expect(() => new Adam([{ params: [p()] }], 'fast' as never)).toThrow(/^Adam: options must be an object; got 'fast'$/);
    expect(() => new Adam([{ params: [p()], lr: 0.1 }], { lr: -1 })).toThrow(/^Adam: lr must be a number >= 0; got -1$/);
  });
});

describe('bad parameters', () => {
  it('refuses an empty list, a Module, a single Tensor and non-tensors', () => {
    expect(() => new Adam([])).toThrow(/^Adam: got an empty parameter list$/);
    expect(() => new Adam(new Module() as never)).toThrow(/^Adam: params must be an iterable of Tensors \(e\.g\. model\.parameters\(\)\) or of param groups; got Module$/);
    expect(() => new Adam(p() as never)).toThrow(/^Adam: params must be .*; got a single Tensor \(wrap it: \[t\]\)$/);
    expect(() => new Adam([p(), 3] as never)).toThrow(/^Adam: params must be all Tensors or all param groups \(\{ params, \.\.\.options \}\); got 3$/);
    expect(() => new Adam([{ params: [p()] }, p()] as never)).toThrow(/got a mix of both/);
    expect(() => new Adam([{ params: [1] }] as never)).toThrow(/^Adam: param group 0: params\[0\] must be a Tensor; got 1$/);
  });

  it('refuses non-leaf tensors, int32 tensors and duplicates', () => {
    const w = zeros([2], { dtype: 'float64', requiresGrad: true });
    expect(() => new SGD([w.mul(2)], { lr: 1 })).toThrow(/^SGD: params\[0\] is not a leaf tensor \(it was computed by 'mul'\)/);
    expect(() => new SGD([tensor([1, 2], { dtype: 'int32' })], { lr: 1 })).toThrow(/^SGD: params\[0\] must be float32 or float64; got int32$/);
    const q = p();
    expect(() => new SGD([q, q], { lr: 1 })).toThrow(/^SGD: params\[1\] appears more than once among the optimizer's parameters$/);
    expect(() => new SGD([{ params: [q] }, { params: [q] }], { lr: 1 })).toThrow(/^SGD: param group 1: params\[0\] appears more than once/);
  });

  it('step refuses a gradient of the wrong shape, naming the parameter and both shapes', () => {
    const a = p();
    const b = p();
    const opt = new Adam([a, b]);
    b.grad = tensor([1, 2, 3], { dtype: 'float64' });
    expect(() => opt.step()).toThrow(/^Adam\.step: the gradient of parameter 1 must be \[2, 3\]; got \[3\]$/);
  });

  it('step refuses a parameter that is a view of other storage (it could not be updated in place)', () => {
    const view = new Tensor(K.zeros([2, 3], { dtype: 'float64' }).transpose(1, 0), { requiresGrad: true });
    const opt = new SGD([view], { lr: 1 });
    view.grad = tensor([[1, 1], [1, 1], [1, 1]], { dtype: 'float64' });
    expect(() => opt.step()).toThrow(/^SGD\.step: parameter 0 \[3, 2\] must own dense float storage \(a Parameter does\); got a float64 view$/);
  });

  it('zeroGrad refuses unknown options', () => {
    expect(() => new Adam([p()]).zeroGrad({ set_to_none: false } as never)).toThrow(/Adam\.zeroGrad: unknown option 'set_to_none' \(did you mean 'setToNone'\?\)/);
  });
});
