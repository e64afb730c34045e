// End to end: a 2-8-1 MLP built from Linear layers learns XOR with Adam (with gradient clipping and a schedule).
import { describe, expect, it } from 'vitest';
import {
  Adam, CosineAnnealingLR, RandomGenerator, Linear, Module, SGD, Tensor, clipGradNorm, mseLoss, tensor,
} from '@unroll/autograd';

/** h = tanh(x W₁ᵀ + b₁), y = σ(h W₂ᵀ + b₂). Shapes: x [batch, 2] → y [batch, 1]. */
class XorNet extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(generator: RandomGenerator, hidden = 8) {
    super();
    this.hidden = this.registerModule('hidden', new Linear(2, hidden, { generator }));
    this.out = this.registerModule('out', new Linear(hidden, 1, { generator }));
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(this.hidden.forward(x).tanh()).sigmoid();
  }
}

const X = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const Y = tensor([[0], [1], [1], [0]]);

function train(model: XorNet, step: () => void, zeroGrad: () => void, epochs: number): number[] {
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    zeroGrad();
    const loss = mseLoss(model.forward(X), Y);
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    step();
    losses.push(loss.item());
  }
  return losses;
}

describe('XOR', () => {
  it('a tiny MLP trained with Adam reaches a loss below 0.01 and classifies all four points', () => {
    const model = new XorNet(new RandomGenerator(7));
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const schedule = new CosineAnnealingLR(opt, { tMax: 600, etaMin: 0.005 });
    const losses = train(model, () => { opt.step(); schedule.step(); }, () => opt.zeroGrad(), 600);

    expect(losses[0]).toBeGreaterThan(0.1); // it starts unsolved
    const loss = mseLoss(model.forward(X), Y).item();
    expect(loss).toBeLessThan(0.01);
    const predictions = (model.forward(X).toArray() as number[][]).map(([p]) => (p! > 0.5 ? 1 : 0));
    expect(predictions).toEqual([0, 1, 1, 0]);
    expect(model.parameters().every((p) => p.dtype === 'float32')).toBe(true);
  });

  it('with lr 0 nothing is learnt (the result above comes from the optimizer)', () => {
    const model = new XorNet(new RandomGenerator(7));
    const before = model.stateDict();
    const opt = new SGD(model.parameters(), { lr: 0 });
    train(model, () => opt.step(), () => opt.zeroGrad(), 20);
    for (const [name, p] of model.namedParameters()) expect([...p.values()], name).toEqual([...before[name]!.values()]);
  });
});
