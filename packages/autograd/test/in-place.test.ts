// Saved tensors changed in place between forward and backward: backward refuses with the op, the
// input, its shape and both versions (as PyTorch does), instead of a silently wrong gradient.
import { describe, expect, it } from 'vitest';
import * as A from '@unroll/autograd';
import {
  InPlaceModificationError, Linear, Optimizer, Parameter, SGD, Adam, mul, mseLoss, tanh, tensor, sum, matmul,
} from '@unroll/autograd';

const f64 = (v: number[][]) => tensor(v, { dtype: 'float64', requiresGrad: true });

describe('saved-tensor version check', () => {
  it('optimizer.step() between forward and backward throws, naming the op and the input', () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const w = new Parameter(tensor([[0.5, -1, 2], [1, 1, 1]], { dtype: 'float64' }).data);
    const loss = sum(mul(x, w));
    const opt = new SGD([w], { lr: 10 });
    w.grad = tensor([[1, 1, 1], [1, 1, 1]], { dtype: 'float64' });
    opt.step();
    expect(w._version).toBe(1);
    expect(() => loss.backward()).toThrow(InPlaceModificationError);
    expect(() => sum(mul(x, w)).backward()).not.toThrow();
  });

  it('the message names the op, the input, its shape and both versions', () => {
    const a = f64([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    b.bumpVersion().bumpVersion();
    const y = sum(mul(a, b));
    b.bumpVersion();
    expect(() => y.backward()).toThrow(
      "backward: input 'b' of op 'mul' [2, 3] was modified in place (version 3, saved at 2) after it was saved for backward; ");
  });

  it('loadStateDict between forward and backward throws', () => {
    const model = new Linear(3, 2, { dtype: 'float64' });
    const x = f64([[1, 2, 3]]);
    const loss = sum(model.forward(x));
    model.loadStateDict(model.stateDict());
    // Version 1 is the initialisation's write; loadStateDict makes it 2.
    expect(() => loss.backward()).toThrow(/input 'b' of op 'matmul' \[2, 3\] was modified in place \(version 2, saved at 1\)/);
  });

  it('a saved output changed in place is caught too (tanh saves its output)', () => {
    const x = f64([[0.1, 0.2]]);
    const y = tanh(x);
    const loss = sum(y);
    y.bumpVersion();
    expect(() => loss.backward()).toThrow("backward: output 0 of op 'tanh' [1, 2] was modified in place (version 1, saved at 0)");
  });

  it('detach() shares the version counter with the tensor it came from', () => {
    const w = new Parameter(tensor([[1, 2], [3, 4]], { dtype: 'float64' }).data);
    const x = f64([[1, 1]]);
    const loss = sum(matmul(x, w.detach()));
    w.grad = tensor([[1, 1], [1, 1]], { dtype: 'float64' });
    new SGD([w], { lr: 0.1 }).step();
    expect(() => loss.backward()).toThrow(InPlaceModificationError);
  });

  it('a retained graph is checked again on the second backward', () => {
    const w = new Parameter(tensor([[1, 2]], { dtype: 'float64' }).data);
    const loss = sum(mul(f64([[3, 4]]), w));
    loss.backward(undefined, { retainGraph: true });
    new SGD([w], { lr: 0.1 }).step();
    expect(() => loss.backward()).toThrow(/input 'b' of op 'mul' \[1, 2\] was modified in place \(version 1, saved at 0\)/);
  });

  it('ops that do not save a tensor do not care when it changes (add reads no values)', () => {
    const w = new Parameter(tensor([[1, 2]], { dtype: 'float64' }).data);
    const loss = sum(mul(tanh(f64([[3, 4]])), 2)).add(sum(w));
    w.bumpVersion();
    expect(() => loss.backward()).not.toThrow();
    expect(w.grad!.toArray()).toEqual([[1, 1]]);
  });

  // Every optimizer the package exports (new ones too): the version bump lives in Optimizer.step.
  const optimizers = Object.entries(A).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Optimizer);
  it.each(optimizers)('%s.step() bumps the version, so a stale graph cannot go backward', (_, Ctor) => {
    const w = new Parameter(tensor([[1, 2]], { dtype: 'float64' }).data);
    const loss = sum(mul(f64([[3, 4]]), w));
    w.grad = tensor([[1, 1]], { dtype: 'float64' });
    new (Ctor as new (p: A.Tensor[], o: { lr: number }) => Optimizer)([w], { lr: 0.1 }).step();
    expect(w._version).toBe(1);
    expect(() => loss.backward()).toThrow(InPlaceModificationError);
  });

  it('the normal loop (forward, backward, step) runs and trains', () => {
    const model = new Linear(2, 1, { dtype: 'float64' });
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const x = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' });
    const t = tensor([[1], [2], [3]], { dtype: 'float64' });
    const losses: number[] = [];
    for (let i = 0; i < 50; i++) {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(x), t);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[49]).toBeLessThan(losses[0]! / 2);
    expect(model.parameters()[0]!._version).toBe(51); // its initialisation, then 50 steps
  });
});
