// clipGradNorm and clipGradValue against PyTorch 1.13 (fixtures/clip.py), plus edge cases and bad input.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { clipGradNorm, clipGradValue, Module, Parameter, Tensor, tensor } from '@unroll/autograd';
import { maxAbsDiff, readFixture } from './helpers.js';

interface ClipFixture {
  shapes: number[][];
  grads: (number[] | null)[];
  clipGradNorm: { maxNorm: number; normType: number | 'inf'; totalNorm: number; grads: (number[] | null)[] }[];
  clipGradValue: { clipValue: number; grads: (number[] | null)[] }[];
}
const f = readFixture<ClipFixture>('clip');

function params(dtype: 'float32' | 'float64' = 'float64'): Parameter[] {
  return f.shapes.map((shape, i) => {
    const p = new Parameter(K.zeros(shape, { dtype }));
    const g = f.grads[i];
    p.grad = g ? new Tensor(K.cast(K.fromData(Float64Array.from(g), shape), dtype)) : null;
    return p;
  });
}

function expectGrads(ps: Parameter[], expected: (number[] | null)[], tol: number): void {
  ps.forEach((p, i) => {
    const e = expected[i];
    if (e === null || e === undefined) expect(p.grad, `parameter ${i} has no gradient`).toBeNull();
    else expect(maxAbsDiff(p.grad!.values(), e), `parameter ${i}`).toBeLessThanOrEqual(tol);
  });
}

describe('clipGradNorm matches torch.nn.utils.clip_grad_norm_', () => {
  it.each(f.clipGradNorm)('maxNorm $maxNorm, normType $normType', (c) => {
    const normType = c.normType === 'inf' ? Infinity : c.normType;
    const ps = params();
    const total = clipGradNorm(ps, c.maxNorm, { normType });
    expect(typeof total).toBe('number');
    expect(Math.abs(total - c.totalNorm)).toBeLessThanOrEqual(1e-12 * c.totalNorm);
    expectGrads(ps, c.grads, 1e-12);
  });

  it('float32 gradients are clipped in float32 to float32 precision', () => {
    const c = f.clipGradNorm[0]!;
    const ps = params('float32');
    expect(Math.abs(clipGradNorm(ps, c.maxNorm) - c.totalNorm)).toBeLessThan(1e-5);
    expectGrads(ps, c.grads, 1e-6);
    expect(ps[0]!.grad!.dtype).toBe('float32');
  });

  it('the fixture clips in some cases and not in others', () => {
    const scaled = f.clipGradNorm.filter((c) => c.maxNorm < c.totalNorm).length;
    expect(scaled).toBeGreaterThan(0);
    expect(scaled).toBeLessThan(f.clipGradNorm.length);
  });

  it('takes a single Tensor, scales a strided gradient view in place, and returns 0 without gradients', () => {
    const p = new Parameter(K.zeros([2, 2], { dtype: 'float64' }));
    const storage = K.fromData(new Float64Array([3, 0, 0, 4]), [2, 2]);
    p.grad = new Tensor(storage.transpose(1, 0));
    expect(clipGradNorm(p, 1)).toBe(5);
    expect(maxAbsDiff(storage.data, [3 / (5 + 1e-6), 0, 0, 4 / (5 + 1e-6)])).toBeLessThan(1e-15);
    p.grad = null;
    expect(clipGradNorm([p], 1)).toBe(0);
    expect(clipGradNorm([], 1)).toBe(0);
  });

  it('a non-finite norm scales to NaN by default, or throws with errorIfNonfinite', () => {
    const p = new Parameter(K.zeros([2], { dtype: 'float64' }));
    p.grad = tensor([Infinity, 1], { dtype: 'float64' });
    expect(() => clipGradNorm([p], 1, { errorIfNonfinite: true })).toThrow(/^clipGradNorm: the total norm of order 2 of the gradients is Infinity, so they cannot be clipped/);
    expect([...p.grad.values()]).toEqual([Infinity, 1]); // unchanged when it throws
    expect(clipGradNorm([p], 1)).toBe(Infinity);
    expect(Number.isNaN(p.grad.values()[0])).toBe(true); // Infinity · 0, as torch
    expect(p.grad.values()[1]).toBe(0);
  });

  it('bad arguments give clear errors', () => {
    const ps = params();
    expect(() => clipGradNorm(ps, -1)).toThrow(/^clipGradNorm: maxNorm must be a number >= 0 \(or Infinity\); got -1$/);
    expect(() => clipGradNorm(ps, NaN)).toThrow(/maxNorm must be a number >= 0 \(or Infinity\); got NaN/);
    expect(() => clipGradNorm(ps, 1, { normType: 0 })).toThrow(/^clipGradNorm: normType must be a number > 0 \(or Infinity\); got 0$/);
    expect(() => clipGradNorm(ps, 1, { norm_type: 2 } as never)).toThrow(/unknown option 'norm_type' \(did you mean 'normType'\?\)/);
    expect(() => clipGradNorm(new Module() as never, 1)).toThrow(/^clipGradNorm: params must be a Tensor or an iterable of Tensors \(e\.g\. model\.parameters\(\)\); got Module$/);
    expect(() => clipGradNorm([ps[0]!, 'w'] as never, 1)).toThrow(/^clipGradNorm: params\[1\] must be a Tensor; got 'w'$/);
    const p = new Parameter(K.zeros([3], { dtype: 'float64' }));
    // A broadcast view (one element seen three times), as an expand-style view would be.
    p.grad = new Tensor(Object.assign(K.fromData(new Float64Array([1, 0, 0]), [3]), { stride: [0] }));
    expect(() => clipGradNorm([p], 0.1)).toThrow(/^clipGradNorm: a gradient \[3\] is a broadcast view \(stride 0\), so it cannot be changed in place$/);
  });
});

describe('clipGradValue matches torch.nn.utils.clip_grad_value_', () => {
  it.each(f.clipGradValue)('clipValue $clipValue', (c) => {
    const ps = params();
    expect(clipGradValue(ps, c.clipValue)).toBeUndefined();
    expectGrads(ps, c.grads, 0);
  });

  it('leaves NaN as NaN and refuses a negative or NaN clipValue', () => {
    const p = new Parameter(K.zeros([3], { dtype: 'float64' }));
    p.grad = tensor([NaN, -5, 5], { dtype: 'float64' });
    clipGradValue(p, 1);
    expect([...p.grad.values()]).toEqual([NaN, -1, 1]);
    expect(() => clipGradValue([p], -1)).toThrow(/^clipGradValue: clipValue must be a number >= 0 \(or Infinity\); got -1$/);
    expect(() => clipGradValue([p], NaN)).toThrow(/clipValue must be a number >= 0 \(or Infinity\); got NaN/);
  });
});
