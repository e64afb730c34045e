// defineOp's named form: inputs by name, save by name, optional inputs, attrs, the recording flag,
// rules derived from a pointwise rule, and the errors a wrong spec or a wrong call gets.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { Tensor, defineOp, gradcheck, opSpec, tensor, trace, type TracedOp } from '@unroll/autograd';

const TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };
const f64 = (v: number[] | number[][]) => tensor(v, { dtype: 'float64', requiresGrad: true });

// The README's example, verbatim.
/** y = x³; dx = 3x² · dy. */
const cubeOp = defineOp({
  name: 'cube',
  inputs: ['x'] as const,
  save: ['x'],
  forward: ({ x }) => K.map(x, (v) => v * v * v),
  backward: ({ dy, saved: { x } }) => ({ x: () => K.zip('cube', dy, x, (g, v) => 3 * v * v * g) }),
});
const cube = (x: Tensor) => cubeOp.apply({ x });

// y = (x + bias) · scale, bias optional; attrs carry the scale; forward reports whether it records.
const seen: boolean[] = [];
const affine = defineOp({
  name: 'testAffine',
  inputs: ['x', 'bias'] as const,
  optional: ['bias'],
  forward: ({ x, bias }, { scale }: { scale: number }, { recording }) => {
    seen.push(recording);
    return K.scale(bias ? K.add(x, bias) : x, scale);
  },
  backward: ({ dy, attrs: { scale }, shapes }) => ({
    x: () => K.scale(dy, scale),
    bias: () => (shapes.bias === null ? dy : K.scale(dy, scale)),
  }),
});

describe('defineOp (named form)', () => {
  it("the README's cube passes gradcheck, applied by name or by position", () => {
    expect(gradcheck((x) => cube(x!), [f64([[0.5, -1.5], [2, 0.1]])], TOL).ok).toBe(true);
    expect(cubeOp.apply([f64([2])]).toArray()).toEqual([8]);
  });

  it('an optional input may be null or left out; it gets no node input and no gradient', () => {
    const x = f64([[1, 2]]), b = f64([10, 20]);
    expect(affine.apply({ x }, { scale: 2 }).toArray()).toEqual([[2, 4]]);
    expect(affine.apply([x, null], { scale: 2 }).node!.inputNames).toEqual(['x']);
    const y = affine.apply({ x, bias: b }, { scale: 3 });
    expect(y.node!.inputNames).toEqual(['x', 'bias']);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[3, 3]]);
    expect(b.grad!.toArray()).toEqual([3, 3]);
    expect(gradcheck((xx, bb) => affine.apply({ x: xx!, bias: bb! }, { scale: 0.5 }), [f64([[1, 2]]), f64([3, 4])], TOL).ok).toBe(true);
  });

  it('tells forward whether the call is recorded', () => {
    seen.length = 0;
    affine.apply({ x: tensor([1]) }, { scale: 1 });
    affine.apply({ x: f64([1]) }, { scale: 1 });
    expect(seen).toEqual([false, true]);
  });

  it('trace names the inputs given and leaves absent optional ones out', () => {
    const ops: TracedOp[] = [];
    const x = tensor([1, 2]);
    trace(() => affine.apply({ x }, { scale: 1 }), (o) => ops.push(o));
    expect(ops[0]!.inputs).toEqual([x]);
    expect(ops[0]!.inputNames).toEqual(['x']);
  });

  it('a pointwise rule alone gives forward and backward; a value it did not save reaches the partials as NaN', () => {
    const square = defineOp({ name: 'testSquare', inputs: ['x'] as const, save: ['x'], pointwise: () => ({ forward: (x) => x * x, partials: [(x) => 2 * x] }) });
    expect(gradcheck((x) => square.apply([x!]), [f64([[0.3, -2]])], TOL).ok).toBe(true);
    const forgot = defineOp({ name: 'testForgot', inputs: ['x'] as const, pointwise: () => ({ forward: (x) => x * x, partials: [(x) => 2 * x] }) });
    const x = f64([1, 2]);
    forgot.apply([x]).sum().backward();
    expect([...x.grad!.values()].every(Number.isNaN)).toBe(true);
    expect(opSpec('testSquare')!.pointwise!(undefined).forward(3)).toBe(9);
  });

  it('refuses a wrong spec and a wrong call, naming the op', () => {
    expect(() => defineOp({ name: 'testBadSave', inputs: ['x'] as const, save: ['y' as 'x'], forward: ({ x }) => x, backward: () => ({}) }))
      .toThrow("defineOp: testBadSave: 'y' is not an input (inputs: x)");
    expect(() => defineOp({ name: 'testReserved', inputs: ['length'] as const, forward: ({ length }) => length, backward: () => ({}) }))
      .toThrow("defineOp: testReserved: input name 'length' is reserved");
    expect(() => defineOp({ name: 'testNoRule', inputs: ['x'] as const }))
      .toThrow('defineOp: testNoRule: give forward and backward, or a pointwise rule to derive them from');
    expect(() => affine.apply({ x: f64([1]), bais: f64([1]) } as never, { scale: 1 }))
      .toThrow("testAffine: unknown input 'bais' (inputs: x, bias)");
    expect(() => affine.apply({ bias: f64([1]) } as never, { scale: 1 })).toThrow("testAffine: input 'x' must be a Tensor; got undefined");
    const wrongName = defineOp({ name: 'testWrongGrad', inputs: ['x'] as const, forward: ({ x }) => K.clone(x), backward: ({ dy }) => ({ y: () => dy }) as never });
    expect(() => wrongName.apply([f64([1])]).sum().backward())
      .toThrow("defineOp: testWrongGrad: backward returned a gradient for 'y', which is not an input (x)");
  });
});
