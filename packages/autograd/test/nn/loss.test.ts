// Losses: gradcheck of every loss and option, torch's semantics for ignored targets and smoothing,
// stability for huge logits, and an error for each kind of bad argument.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import {
  Tensor, binaryCrossEntropyWithLogits, crossEntropy, logSoftmax, mseLoss, nllLoss, tensor, zeros, type Reduction,
} from '@unroll/autograd';
import { SEED, checkGrads, expectClose, flat, ids, leaf, sizeOf, values } from './helpers.js';

const reductions: Reduction[] = ['mean', 'sum', 'none'];

/** Logits [...lead, C] and class ids [...lead], some set to the ignore id. */
const classProblem = fc.record({
  lead: fc.oneof(fc.tuple(fc.integer({ min: 1, max: 4 })), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))),
  classes: fc.integer({ min: 1, max: 4 }),
  reduction: fc.constantFrom(...reductions),
  ignoreIndex: fc.constantFrom(-100, 0, 2),
  labelSmoothing: fc.constantFrom(0, 0.1, 0.35, 1),
}).chain((p) => fc.record({
  p: fc.constant(p),
  logits: values(sizeOf(p.lead) * p.classes, -3, 3),
  // −100 appears as a target; when it is not the ignore id it is remapped to a valid class below.
  targets: fc.array(fc.oneof(fc.integer({ min: 0, max: p.classes - 1 }), fc.constant(-100)), { minLength: sizeOf(p.lead), maxLength: sizeOf(p.lead) }),
}));

/** Keeps at least one target that is not ignored, so 'mean' is defined (and the logits get a gradient). */
function usableTargets(targets: number[], classes: number, ignoreIndex: number): number[] {
  const t = targets.map((v) => (v === -100 && ignoreIndex !== -100 ? 0 : v));
  if (t.every((v) => v === ignoreIndex)) t[0] = ignoreIndex === 0 ? classes - 1 : 0;
  return t;
}

describe('crossEntropy', () => {
  it('passes gradcheck for [N, C] and [B, T, C] with every reduction, ignoreIndex and label smoothing', () => {
    fc.assert(fc.property(classProblem, ({ p, logits, targets }) => {
      const t = usableTargets(targets, p.classes, p.ignoreIndex);
      if (t.every((v) => v === p.ignoreIndex)) return; // one class that is ignored: nothing to check
      const opts = { reduction: p.reduction, ignoreIndex: p.ignoreIndex, labelSmoothing: p.labelSmoothing };
      const tg = ids(t, p.lead);
      checkGrads((x) => crossEntropy(x!, tg, opts), [leaf(logits, [...p.lead, p.classes])]);
    }), { seed: SEED, numRuns: 60 });
  });

  it('(one fused op) equals its composed definition from logSoftmax, gather and sums, values and gradients, float64 and float32', () => {
    // The composed loss crossEntropy was before it became the 'softmaxCrossEntropy' primitive.
    const composed = (x: Tensor, t: Tensor, o: { reduction: Reduction; ignoreIndex: number; labelSmoothing: number }, classes: number) => {
      const lp = logSoftmax(x, -1);
      const keep = new Tensor(K.cast(K.fromData(Int32Array.from(t.values(), (v) => (v === o.ignoreIndex ? 0 : 1)), t.shape), x.dtype));
      const safe = ids(Array.from(t.values(), (v) => (v === o.ignoreIndex ? 0 : v)), t.shape);
      const nll = nllLoss(lp, safe, { reduction: 'none' });
      const uniform = lp.sum({ axes: -1 }).neg();
      const per = nll.mul(1 - o.labelSmoothing).add(uniform.mul(o.labelSmoothing / classes)).mul(keep);
      const kept = Array.from(keep.values()).reduce((a, b) => a + b, 0);
      return o.reduction === 'none' ? per : o.reduction === 'sum' ? per.sum() : per.sum().mul(1 / kept);
    };
    fc.assert(fc.property(classProblem, fc.constantFrom('float64', 'float32' as const), ({ p, logits, targets }, dtype) => {
      const t = usableTargets(targets, p.classes, p.ignoreIndex);
      if (t.every((v) => v === p.ignoreIndex)) return;
      const opts = { reduction: p.reduction, ignoreIndex: p.ignoreIndex, labelSmoothing: p.labelSmoothing };
      const tg = ids(t, p.lead);
      const run = (f: (x: Tensor) => Tensor) => {
        const x = leaf(logits, [...p.lead, p.classes]).to(dtype).detach().requiresGrad_();
        const y = f(x);
        y.sum().backward();
        return { y, dx: x.grad! };
      };
      const fused = run((x) => crossEntropy(x, tg, opts));
      const ref = run((x) => composed(x, tg, opts, p.classes));
      const tol = dtype === 'float64' ? { atol: 1e-13, rtol: 1e-12 } : { atol: 1e-5, rtol: 1e-5 };
      expect(fused.y.shape).toEqual(ref.y.shape);
      expect(fused.y.dtype).toBe(dtype);
      expectClose(fused.y, ref.y, tol);
      expectClose(fused.dx, ref.dx, tol);
    }), { seed: SEED, numRuns: 80 });
  });

  it('matches −log softmax at the target, and averages over non-ignored targets only', () => {
    const logits = tensor([[2, 0, -1], [0.5, 0.5, 3], [1, 1, 1]], { dtype: 'float64' });
    const lp = logSoftmax(logits).toArray() as number[][];
    const perRow = [-lp[0]![0]!, -lp[1]![2]!, -lp[2]![1]!];
    const all = ids([0, 2, 1]);
    expectClose(crossEntropy(logits, all, { reduction: 'none' }), perRow);
    expectClose(crossEntropy(logits, all, { reduction: 'sum' }), [perRow[0]! + perRow[1]! + perRow[2]!]);
    const some = ids([0, -100, 1]);
    expectClose(crossEntropy(logits, some, { reduction: 'none' }), [perRow[0]!, 0, perRow[2]!]);
    expectClose(crossEntropy(logits, some), [(perRow[0]! + perRow[2]!) / 2]); // divided by 2, not 3
  });

  it('smooths labels as (1 − ε)·onehot + ε/C', () => {
    const logits = tensor([[2, 0, -1]], { dtype: 'float64' });
    const lp = (logSoftmax(logits).toArray() as number[][])[0]!;
    const eps = 0.3;
    const expected = -((1 - eps) * lp[0]! + (eps / 3) * (lp[0]! + lp[1]! + lp[2]!));
    expectClose(crossEntropy(logits, ids([0]), { labelSmoothing: eps }), [expected], { atol: 1e-12 });
  });

  it('takes [B, T, C] with classes last, equal to the flattened [B·T, C]', () => {
    const logits = tensor([[[1, 2, 3], [0, -1, 4]], [[2, 2, 0], [5, 1, 1]]], { dtype: 'float64' });
    const t = ids([[2, 0], [-100, 1]]);
    const flatLoss = crossEntropy(logits.reshape([4, 3]), t.reshape([4]), { labelSmoothing: 0.1 });
    expectClose(crossEntropy(logits, t, { labelSmoothing: 0.1 }), flatLoss, { atol: 1e-14 });
    expect(crossEntropy(logits, t, { reduction: 'none' }).shape).toEqual([2, 2]);
    expect(crossEntropy(tensor([1, 2, 3]), ids(1), { reduction: 'none' }).shape).toEqual([]); // unbatched [C]
  });

  it('stays finite and exact for logits of ±1e4 in float32, gradient included', () => {
    const logits = new Tensor(tensor([[1e4, -1e4, 0], [-1e4, 1e4, 5e3]]).data, { requiresGrad: true });
    const loss = crossEntropy(logits, ids([1, 0]), { reduction: 'none' });
    expectClose(loss, [2e4, 2e4], { rtol: 1e-6 });
    loss.sum().backward();
    expectClose(logits.grad!, [[1, -1, 0], [-1, 1, 0]], { atol: 1e-6 });
  });

  it('returns NaN for mean when every target is ignored, as torch', () => {
    expect(Number.isNaN(crossEntropy(tensor([[1, 2]]), ids([-100])).item())).toBe(true);
    expect(crossEntropy(tensor([[1, 2]]), ids([-100]), { reduction: 'sum' }).item()).toBe(0);
  });

  it('rejects float targets, a wrong target shape, out-of-range ids and bad options', () => {
    const logits = zeros([4, 3]);
    expect(() => crossEntropy(logits, zeros([4]))).toThrow(
      "crossEntropy: targets must be an int32 tensor of class ids; got float32 (class-probability targets are not supported; convert ids with .to('int32'))");
    expect(() => crossEntropy(logits, ids([0, 1, 2]))).toThrow('crossEntropy: targets must be [4] for logits [4, 3]; got [3]');
    expect(() => crossEntropy(zeros([2, 5, 3]), ids([[0, 1, 2, 0, 1]]))).toThrow('crossEntropy: targets must be [2, 5] for logits [2, 5, 3]; got [1, 5]');
    expect(() => crossEntropy(logits, ids([0, 1, 3, 0]))).toThrow('crossEntropy: target 3 is out of range for 3 classes (at [2]; ignoreIndex is -100)');
    expect(() => crossEntropy(logits, ids([0, 1, -100, -1]))).toThrow('crossEntropy: target -1 is out of range for 3 classes (at [3]; ignoreIndex is -100)');
    expect(() => crossEntropy(logits, ids([0, 1, 2, -100]), { ignoreIndex: 1 })).toThrow('crossEntropy: target -100 is out of range for 3 classes (at [3]; ignoreIndex is 1)');
    expect(() => crossEntropy(zeros([4, 3], { dtype: 'int32' }), ids([0, 1, 2, 0]))).toThrow('crossEntropy: logits must be float32 or float64; got int32');
    expect(() => crossEntropy(zeros([]), ids(0))).toThrow('crossEntropy: logits must be [..., classes]; got a scalar []');
    expect(() => crossEntropy(logits, [0, 1, 2, 0] as never)).toThrow('crossEntropy: targets must be an int32 Tensor of class ids; got Array');
    expect(() => crossEntropy(logits, ids([0, 1, 2, 0]), { reduction: 'avg' as Reduction })).toThrow(
      "crossEntropy: reduction must be 'mean', 'sum' or 'none'; got 'avg'");
    expect(() => crossEntropy(logits, ids([0, 1, 2, 0]), { labelSmoothing: 1.5 })).toThrow('crossEntropy: labelSmoothing must be in [0, 1]; got 1.5');
    expect(() => crossEntropy(logits, ids([0, 1, 2, 0]), { ignoreIndex: 0.5 })).toThrow('crossEntropy: ignoreIndex must be an integer; got 0.5');
  });
});

describe('nllLoss', () => {
  it('passes gradcheck with every reduction and ignoreIndex', () => {
    fc.assert(fc.property(classProblem, ({ p, logits, targets }) => {
      const t = usableTargets(targets, p.classes, p.ignoreIndex);
      if (t.every((v) => v === p.ignoreIndex)) return;
      const tg = ids(t, p.lead);
      checkGrads((x) => nllLoss(x!, tg, { reduction: p.reduction, ignoreIndex: p.ignoreIndex }), [leaf(logits, [...p.lead, p.classes])]);
    }), { seed: SEED, numRuns: 40 });
  });

  it('is −logProbs[target] and equals crossEntropy of the logits', () => {
    const lp = tensor([[-0.1, -2.5], [-1.2, -0.4]], { dtype: 'float64' });
    expectClose(nllLoss(lp, ids([1, 0]), { reduction: 'none' }), [2.5, 1.2]);
    expectClose(nllLoss(lp, ids([1, 0])), [1.85]);
    expectClose(nllLoss(lp, ids([1, 5]), { ignoreIndex: 5, reduction: 'sum' }), [2.5]);
    const logits = tensor([[1, 2, 0.5]], { dtype: 'float64' });
    expectClose(nllLoss(logSoftmax(logits), ids([2])), crossEntropy(logits, ids([2])), { atol: 1e-14 });
  });

  it('rejects the same bad arguments with its own name', () => {
    expect(() => nllLoss(zeros([2, 3]), ids([0, 3]))).toThrow('nllLoss: target 3 is out of range for 3 classes (at [1]; ignoreIndex is -100)');
    expect(() => nllLoss(zeros([2, 3]), zeros([2]))).toThrow('nllLoss: targets must be an int32 tensor of class ids; got float32');
    expect(() => nllLoss(zeros([2, 3]), ids([[0, 1]]))).toThrow('nllLoss: targets must be [2] for logProbs [2, 3]; got [1, 2]');
    expect(() => nllLoss(ids([0, 1]), ids(0))).toThrow('nllLoss: logProbs must be float32 or float64; got int32');
    expect(() => nllLoss(zeros([]), ids(0))).toThrow('nllLoss: logProbs must be [..., classes]; got a scalar []');
  });
});

describe('mseLoss', () => {
  it('passes gradcheck for input and target with every reduction', () => {
    const problem = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 })
      .chain((shape) => fc.record({ shape: fc.constant(shape), a: values(sizeOf(shape)), b: values(sizeOf(shape)), reduction: fc.constantFrom(...reductions) }));
    fc.assert(fc.property(problem, ({ shape, a, b, reduction }) => {
      checkGrads((x, y) => mseLoss(x!, y!, { reduction }), [leaf(a, shape), leaf(b, shape)]);
    }), { seed: SEED, numRuns: 40 });
  });

  it('averages, sums or keeps the squared differences', () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'float64' }), b = tensor([[0, 2], [5, 1]], { dtype: 'float64' });
    expectClose(mseLoss(a, b, { reduction: 'none' }), [1, 0, 4, 9]);
    expectClose(mseLoss(a, b, { reduction: 'sum' }), [14]);
    expectClose(mseLoss(a, b), [3.5]);
  });

  it('rejects a target of another shape or dtype, int32 tensors and a bad reduction', () => {
    expect(() => mseLoss(zeros([4, 3]), zeros([3]))).toThrow("mseLoss: target must have input's shape [4, 3]; got [3]");
    expect(() => mseLoss(zeros([3]), zeros([3], { dtype: 'float64' }))).toThrow('mseLoss: target is float64 but input is float32; convert one with .to()');
    expect(() => mseLoss(zeros([3]), zeros([3], { dtype: 'int32' }))).toThrow("mseLoss: target must be a float tensor like input (float32); got int32 (convert with .to('float32'))");
    expect(() => mseLoss(zeros([3], { dtype: 'int32' }), zeros([3]))).toThrow('mseLoss: input must be float32 or float64; got int32');
    expect(() => mseLoss(zeros([3]), 1 as never)).toThrow('mseLoss: target must be a Tensor; got number');
    expect(() => mseLoss(zeros([3]), zeros([3]), { reduction: 'max' as Reduction })).toThrow("mseLoss: reduction must be 'mean', 'sum' or 'none'; got 'max'");
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  const problem = fc.record({
    lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    classes: fc.integer({ min: 1, max: 3 }),
    reduction: fc.constantFrom(...reductions),
    posWeight: fc.constantFrom('none', 'number', 'tensor'),
  }).chain((p) => fc.record({
    p: fc.constant(p),
    x: values(sizeOf(p.lead) * p.classes, -4, 4),
    y: values(sizeOf(p.lead) * p.classes, 0, 1),
    w: values(p.classes, 0.2, 3),
  }));

  it('passes gradcheck for logits, targets and posWeight with every reduction', () => {
    fc.assert(fc.property(problem, ({ p, x, y, w }) => {
      const shape = [...p.lead, p.classes];
      const inputs = [leaf(x, shape), leaf(y, shape), ...(p.posWeight === 'tensor' ? [leaf(w, [p.classes])] : [])];
      checkGrads((xi, yi, wi) => binaryCrossEntropyWithLogits(xi!, yi!, {
        reduction: p.reduction,
        posWeight: p.posWeight === 'none' ? undefined : p.posWeight === 'number' ? w[0]! : wi!,
      }), inputs);
    }), { seed: SEED, numRuns: 60 });
  });

  it('is −[w·y·log σ(x) + (1 − y)·log(1 − σ(x))] and stays finite for |x| = 1e4 in float32', () => {
    const x = [-1.5, 0, 2];
    const y = [0.25, 1, 0];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = x.map((v, i) => -(3 * y[i]! * Math.log(sig(v)) + (1 - y[i]!) * Math.log(1 - sig(v))));
    expectClose(binaryCrossEntropyWithLogits(tensor(x, { dtype: 'float64' }), tensor(y, { dtype: 'float64' }), { posWeight: 3, reduction: 'none' }), expected, { rtol: 1e-12, atol: 1e-15 });
    const big = new Tensor(tensor([1e4, -1e4, 1e4, -1e4]).data, { requiresGrad: true });
    const loss = binaryCrossEntropyWithLogits(big, tensor([1, 0, 0, 1]), { reduction: 'none' });
    expectClose(loss, [0, 0, 1e4, 1e4], { rtol: 1e-6 });
    loss.sum().backward();
    expectClose(big.grad!, [0, 0, 1, -1]); // σ(x) − y
  });

  it('rejects a mismatched target, int32 targets and a posWeight that does not broadcast', () => {
    const f = 'binaryCrossEntropyWithLogits';
    expect(() => binaryCrossEntropyWithLogits(zeros([2, 3]), zeros([3]))).toThrow(`${f}: targets must have logits's shape [2, 3]; got [3]`);
    expect(() => binaryCrossEntropyWithLogits(zeros([2, 3]), ids([[0, 1, 1], [1, 0, 0]]))).toThrow(`${f}: targets must be a float tensor like logits (float32); got int32`);
    expect(() => binaryCrossEntropyWithLogits(zeros([2, 3]), zeros([2, 3]), { posWeight: zeros([2]) })).toThrow(`${f}: posWeight [2] must broadcast to logits [2, 3]`);
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { posWeight: zeros([2, 3]) })).toThrow(`${f}: posWeight [2, 3] must broadcast to logits [3]`);
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { posWeight: zeros([3], { dtype: 'float64' }) })).toThrow(`${f}: posWeight is float64 but logits are float32`);
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { posWeight: Number.NaN })).toThrow(`${f}: posWeight must be finite; got NaN`);
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { reduction: 'avg' as Reduction })).toThrow(`${f}: reduction must be 'mean', 'sum' or 'none'; got 'avg'`);
    expect(flat(binaryCrossEntropyWithLogits(zeros([2, 3]), zeros([2, 3]), { posWeight: zeros([3]) })).length).toBe(1);
  });
});
