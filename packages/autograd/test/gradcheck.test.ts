// gradcheck must catch wrong backward rules (scaled, transposed, on one input or one output of
// several) and say where: input index, shape and element, analytic vs numeric.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { defineOp, gradcheck, mul, tanh, tensor, type Tensor } from '@unroll/autograd';

const TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };
const f64 = (v: number[][]) => tensor(v, { dtype: 'float64', requiresGrad: true });

// x² with its gradient scaled by 1.5 (3x instead of 2x).
const scaledSquare = defineOp({
  name: 'scaledSquare',
  inputs: ['x'],
  save: 'inputs',
  forward: ([x]) => K.square(x!),
  backward: ({ dy, inputs: [x] }) => [() => K.mul(dy, K.scale(x!, 3))],
});

// xᵀ whose rule forgets to transpose dy back: invisible to an all-ones seed on a square input.
const lazyTranspose = defineOp({
  name: 'lazyTranspose',
  inputs: ['x'],
  forward: ([x]) => K.transpose(x!),
  backward: ({ dy }) => [() => dy],
});

// a ⊙ b whose gradient for b is wrong (dy ⊙ b instead of dy ⊙ a) while a's is right.
const badSecondInput = defineOp({
  name: 'badSecondInput',
  inputs: ['a', 'b'],
  save: 'inputs',
  forward: ([a, b]) => K.mul(a!, b!),
  backward: ({ dy, inputs: [a, b] }) => [() => K.mul(dy, b!), () => K.mul(dy, b!)],
});

// Two outputs [2x, x²]; `wrongSecond` makes the rule of the second output drop its factor 2.
const twoOutputs = (name: string, wrongSecond: boolean) => defineOp({
  name,
  inputs: ['x'],
  save: 'inputs',
  forward: ([x]) => ({ outputs: [K.scale(x!, 2), K.square(x!)] }),
  backward: ({ dys: [d0, d1], inputs: [x] }) => [
    () => K.add(K.scale(d0!, 2), K.mul(d1!, K.scale(x!, wrongSecond ? 1 : 2))),
  ],
});
const goodPair = twoOutputs('goodPair', false);
const badPair = twoOutputs('badPair', true);

describe('gradcheck', () => {
  it('passes a correct op and reports its largest error', () => {
    const r = gradcheck((x) => tanh(x), [f64([[0.1, -0.7, 1.2]])], TOL);
    expect(r.ok, r.report).toBe(true);
    expect(r.report).toMatch(/^gradcheck passed \(max abs error /);
    expect(r.maxAbsError).toBeLessThan(1e-8);
  });

  it('catches a scaled gradient and names input, shape, element, analytic and numeric values', () => {
    const r = gradcheck((x) => scaledSquare.apply([x], undefined), [f64([[1, 2, 3], [4, 5, 6]])], TOL);
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/^gradcheck failed at 6 element\(s\):/);
    // The first line is element [0, 0]: analytic 3·1·w, numeric 2·1·w for the same weight w.
    const first = r.report.split('\n')[1]!;
    const m = /^input 0 \[2, 3\] element \[0, 0\]: analytic (\S+), numeric (\S+)$/.exec(first);
    expect(m, r.report).not.toBeNull();
    expect(Number(m![1]) / Number(m![2])).toBeCloseTo(1.5, 6);
  });

  it('catches a transposed gradient that an all-ones seed would miss, off the diagonal only', () => {
    const x = f64([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    // With a ones seed the wrong rule looks right: every element's gradient is 1 either way.
    const y = lazyTranspose.apply([x], undefined);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 1]]);

    const r = gradcheck((t) => lazyTranspose.apply([t], undefined), [x], { ...TOL, maxReported: 10 });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/^gradcheck failed at 6 element\(s\):/);
    const elements = [...r.report.matchAll(/element \[(\d), (\d)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(elements).toEqual([[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]);
  });

  it('points at the input whose gradient is wrong', () => {
    const a = f64([[1, 2]]), b = f64([[3, 4]]);
    const r = gradcheck((p, q) => badSecondInput.apply([p, q], undefined), [a, b], TOL);
    expect(r.ok).toBe(false);
    expect(r.report).toContain('input 1 [1, 2] element [0, 0]');
    expect(r.report).not.toContain('input 0');
  });

  it('skips inputs that do not require a gradient and refuses when none does', () => {
    const a = f64([[1, 2]]), c = tensor([[3, 4]], { dtype: 'float64' });
    expect(gradcheck((p, q) => mul(p, q), [a, c], TOL).ok).toBe(true);
    expect(() => gradcheck((q) => tanh(q), [c], TOL)).toThrow('gradcheck: no input has requiresGrad: true');
  });

  it('checks every output of a function that returns several (an array)', () => {
    const x = f64([[0.5, -1.5, 2]]);
    const good = gradcheck((t) => goodPair.applyMulti([t], undefined), [x], TOL);
    expect(good.ok, good.report).toBe(true);
    // Only the second output's rule is wrong; each output alone shows it.
    const bad = gradcheck((t) => badPair.applyMulti([t], undefined), [x], TOL);
    expect(bad.ok).toBe(false);
    expect(bad.report).toContain('input 0 [1, 3] element [0, 0]');
    expect(gradcheck((t) => badPair.applyMulti([t], undefined)[0]!, [x], TOL).ok).toBe(true);
    expect(gradcheck((t) => badPair.applyMulti([t], undefined)[1]!, [x], TOL).ok).toBe(false);
    // A plain array of ordinary ops works too.
    const list = gradcheck((t) => [tanh(t), mul(t, t)], [x], TOL);
    expect(list.ok, list.report).toBe(true);
  });

  it('works from float32 inputs (it checks in float64) and leaves the inputs untouched', () => {
    const x = tensor([[0.25, -0.5]], { requiresGrad: true });
    const r = gradcheck((t: Tensor) => mul(tanh(t), t), [x], TOL);
    expect(r.ok, r.report).toBe(true);
    expect(x.dtype).toBe('float32');
    expect(x.grad).toBeNull();
    expect(x.toArray()).toEqual([[0.25, -0.5]]);
  });

  it('limits the listed elements with maxReported', () => {
    const r = gradcheck((x) => scaledSquare.apply([x], undefined), [f64([[1, 2, 3], [4, 5, 6]])], { ...TOL, maxReported: 2 });
    expect(r.report.split('\n')).toHaveLength(3);
    expect(r.report).toMatch(/^gradcheck failed at 6 element\(s\):/);
  });
});
