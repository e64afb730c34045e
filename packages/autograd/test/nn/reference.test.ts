// PyTorch reference values (fixtures/nn-reference.json, made by fixtures/nn-reference.py with torch 1.13):
// losses with every option, LayerNorm and Linear with loaded weights, values and gradients, in
// float64 (to 1e-10) and float32 (to float32 precision).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LayerNorm, Linear, binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss, tensor, type Nested, type Reduction,
} from '@unroll/autograd';
import { expectClose, ids } from './helpers.js';

type N = Nested;
interface Fixture {
  crossEntropy: { logits: N; cases: { reduction: Reduction; labelSmoothing: number; ignoreIndex: number; targets: N; out: N; seed: N; grad: N }[] };
  crossEntropyLarge: { logits: N; targets: N; mean: number; none: N; smoothedMean: number };
  nllLoss: { logProbs: N; targets: N; cases: { reduction: Reduction; out: N }[] };
  mseLoss: { input: N; target: N; cases: { reduction: Reduction; out: N }[] };
  bceWithLogits: { logits: N; targets: N; cases: { reduction: Reduction; posWeight: N | null; out: N; seed: N; gradLogits: N; gradTargets: N }[] };
  layerNorm: { normalizedShape: number[]; eps: number; weight: N; bias: N; x: N; out: N; seed: N; gradX: N; gradWeight: N; gradBias: N };
  linear: { weight: N; bias: N; x: N; out: N; seed: N; gradX: N; gradWeight: N; gradBias: N };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/nn-reference.json', import.meta.url), 'utf8')) as Fixture;

const dtypes = [
  { dtype: 'float64' as const, tol: { atol: 1e-10, rtol: 1e-10 } },
  { dtype: 'float32' as const, tol: { atol: 2e-5, rtol: 2e-5 } },
];
const leafOf = (v: N, dtype: 'float32' | 'float64') => tensor(v, { dtype, requiresGrad: true });

describe.each(dtypes)('PyTorch reference ($dtype)', ({ dtype, tol }) => {
  it('crossEntropy on [B, T, C] with ignoreIndex, label smoothing and every reduction (value and gradient)', () => {
    expect(fx.crossEntropy.cases.length).toBe(12);
    for (const c of fx.crossEntropy.cases) {
      const logits = leafOf(fx.crossEntropy.logits, dtype);
      const out = crossEntropy(logits, ids(c.targets), { reduction: c.reduction, labelSmoothing: c.labelSmoothing, ignoreIndex: c.ignoreIndex });
      expectClose(out, c.out, tol);
      out.backward(tensor(c.seed, { dtype }));
      expectClose(logits.grad!, c.grad, tol);
    }
  });

  it('crossEntropy stays exact for logits of ±1e4', () => {
    const c = fx.crossEntropyLarge;
    const logits = tensor(c.logits, { dtype }), t = ids(c.targets);
    expectClose(crossEntropy(logits, t), [c.mean], tol);
    expectClose(crossEntropy(logits, t, { reduction: 'none' }), c.none, tol);
    expectClose(crossEntropy(logits, t, { labelSmoothing: 0.1 }), [c.smoothedMean], tol);
  });

  it('nllLoss with an ignored target and every reduction', () => {
    for (const c of fx.nllLoss.cases) {
      expectClose(nllLoss(tensor(fx.nllLoss.logProbs, { dtype }), ids(fx.nllLoss.targets), { reduction: c.reduction }), c.out, tol);
    }
  });

  it('mseLoss with every reduction', () => {
    for (const c of fx.mseLoss.cases) {
      expectClose(mseLoss(tensor(fx.mseLoss.input, { dtype }), tensor(fx.mseLoss.target, { dtype }), { reduction: c.reduction }), c.out, tol);
    }
  });

  it('binaryCrossEntropyWithLogits with and without posWeight, logits of ±200 (values and both gradients)', () => {
    for (const c of fx.bceWithLogits.cases) {
      const x = leafOf(fx.bceWithLogits.logits, dtype), y = leafOf(fx.bceWithLogits.targets, dtype);
      const posWeight = c.posWeight === null ? undefined : tensor(c.posWeight, { dtype });
      const out = binaryCrossEntropyWithLogits(x, y, { reduction: c.reduction, posWeight });
      expectClose(out, c.out, tol);
      out.backward(tensor(c.seed, { dtype }));
      expectClose(x.grad!, c.gradLogits, tol);
      expectClose(y.grad!, c.gradTargets, tol);
    }
  });

  it('LayerNorm over the last two axes with loaded weight and bias (output and gradients)', () => {
    const c = fx.layerNorm;
    const ln = new LayerNorm(c.normalizedShape, { eps: c.eps, dtype });
    ln.loadStateDict({ weight: c.weight, bias: c.bias });
    const x = leafOf(c.x, dtype);
    const out = ln.forward(x);
    expectClose(out, c.out, tol);
    out.backward(tensor(c.seed, { dtype }));
    expectClose(x.grad!, c.gradX, { atol: tol.atol * 10, rtol: tol.rtol * 10 });
    expectClose(ln.weight!.grad!, c.gradWeight, tol);
    expectClose(ln.bias!.grad!, c.gradBias, tol);
  });

  it('Linear with weights loaded from torch on [batch, time, in] (output and gradients)', () => {
    const c = fx.linear;
    const lin = new Linear(4, 3, { dtype });
    lin.loadStateDict({ weight: c.weight, bias: c.bias }); // torch's [out, in] layout, no permutation
    const x = leafOf(c.x, dtype);
    const out = lin.forward(x);
    expect(out.shape).toEqual([2, 5, 3]);
    expectClose(out, c.out, tol);
    out.backward(tensor(c.seed, { dtype }));
    expectClose(x.grad!, c.gradX, tol);
    expectClose(lin.weight.grad!, c.gradWeight, tol);
    expectClose(lin.bias!.grad!, c.gradBias, tol);
  });
});
