// Elementwise differentiable ops. Each backward rule sits beside its forward; the engine
// sums gradients over broadcast axes, so rules return output-shaped arrays.
import * as K from '@unroll/core';
import { defineOp } from '../define-op.js';
import { Tensor } from '../tensor.js';
import { liftPair, type TensorLike } from './lift.js';

const addOp = defineOp({
  name: 'add',
  inputs: ['a', 'b'],
  pointwise: () => ({ forward: (a, b) => a + b, partials: [() => 1, () => 1] }),
  forward: ([a, b]) => K.add(a!, b!),
  backward: ({ dy }) => [() => dy, () => dy],
});
/** a + b with broadcasting. */
export const add = (a: TensorLike, b: TensorLike): Tensor => addOp.apply(liftPair(a, b), undefined);

const subOp = defineOp({
  name: 'sub',
  inputs: ['a', 'b'],
  pointwise: () => ({ forward: (a, b) => a - b, partials: [() => 1, () => -1] }),
  forward: ([a, b]) => K.sub(a!, b!),
  backward: ({ dy }) => [() => dy, () => K.neg(dy)],
});
/** a − b with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => subOp.apply(liftPair(a, b), undefined);

const mulOp = defineOp({
  name: 'mul',
  inputs: ['a', 'b'],
  pointwise: () => ({ forward: (a, b) => a * b, partials: [(_, b) => b, (a) => a] }),
  save: 'inputs',
  forward: ([a, b]) => K.mul(a!, b!),
  backward: ({ dy, inputs: [a, b] }) => [() => K.mul(dy, b!), () => K.mul(dy, a!)],
});
/** a ⊙ b (elementwise) with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => mulOp.apply(liftPair(a, b), undefined);

const divOp = defineOp({
  name: 'div',
  inputs: ['a', 'b'],
  pointwise: () => ({ forward: (a, b) => a / b, partials: [(_, b) => 1 / b, (_, b, y) => -y / b] }),
  save: 'both',
  forward: ([a, b]) => K.div(a!, b!),
  // d(a/b)/da = 1/b; d(a/b)/db = −(a/b)/b = −y/b.
  backward: ({ dy, inputs: [, b], outputs: [y] }) => [
    () => K.div(dy, b!),
    () => K.zip3('div', dy, y!, b!, (g, q, d) => (-g * q) / d, K.dtypeOf(dy.data)),
  ],
});
/** a / b with broadcasting. */
export const div = (a: TensorLike, b: TensorLike): Tensor => divOp.apply(liftPair(a, b), undefined);

const powOp = defineOp({
  name: 'pow',
  inputs: ['a', 'b'],
  pointwise: () => ({
    forward: Math.pow,
    partials: [(a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)), (a, _, y) => y * Math.log(a)],
  }),
  save: 'both',
  forward: ([a, b]) => K.pow(a!, b!),
  // d(aᵇ)/da = b·aᵇ⁻¹; d(aᵇ)/db = aᵇ·ln a (only asked for when the exponent is a tensor needing it).
  backward: ({ dy, inputs: [a, b], outputs: [y] }) => [
    () => K.zip3('pow', dy, a!, b!, (g, x, e) => (e === 0 ? 0 : g * e * Math.pow(x, e - 1)), K.dtypeOf(dy.data)),
    () => K.zip3('pow', dy, y!, a!, (g, p, x) => g * p * Math.log(x), K.dtypeOf(dy.data)),
  ],
});
/** aᵇ with broadcasting (b may be a number). */
export const pow = (a: TensorLike, b: TensorLike): Tensor => powOp.apply(liftPair(a, b), undefined);

/** Defines a one-input op from its scalar rule: y = f(x), dx = dy · f'(x, y). */
function unary(name: string, f: (x: number) => number, derivative: (x: number, y: number) => number) {
  const op = defineOp({
    name,
    inputs: ['x'],
    save: 'both',
    pointwise: () => ({ forward: f, partials: [derivative] }),
    forward: ([x]) => K.map(x!, f),
    backward: ({ dy, inputs: [x], outputs: [y] }) => [
      () => K.zip3(name, dy, x!, y!, (g, xv, yv) => g * derivative(xv, yv), K.dtypeOf(dy.data)),
    ],
  });
  return (x: Tensor): Tensor => op.apply([x], undefined);
}

/** −x. */
export const neg = unary('neg', (x) => -x, () => -1);
/** eˣ; the gradient reuses the output. */
export const exp = unary('exp', Math.exp, (_, y) => y);
/** Natural log. */
export const log = unary('log', Math.log, (x) => 1 / x);
/** √x; the gradient 1/(2√x) reuses the output. */
export const sqrt = unary('sqrt', Math.sqrt, (_, y) => 0.5 / y);
/** |x|; the gradient at 0 is taken as 0 (as PyTorch). */
export const abs = unary('abs', Math.abs, (x) => Math.sign(x));
/** tanh x; dx = dy · (1 − y²). */
export const tanh = unary('tanh', Math.tanh, (_, y) => 1 - y * y);
/** σ(x) = 1/(1+e⁻ˣ), computed without overflow; dx = dy · y(1 − y). */
export const sigmoid = unary('sigmoid', K.sigmoidScalar, (_, y) => y * (1 - y));
/** max(x, 0); the gradient at 0 is 0. */
export const relu = unary('relu', (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
/** log(1 + eˣ), stable for large |x|; dx = dy · σ(x). */
export const softplus = unary('softplus', K.softplusScalar, (x) => K.sigmoidScalar(x));

const clampOp = defineOp<{ min: number; max: number }>({
  name: 'clamp',
  inputs: ['x'],
  save: 'inputs',
  pointwise: ({ min, max }) => ({
    forward: (x) => (x < min ? min : x > max ? max : x),
    partials: [(x) => (x >= min && x <= max ? 1 : 0)],
  }),
  forward: ([x], { min, max }) => K.clamp(x!, min, max),
  // Gradient flows where the value was not clipped (ties at a bound pass it, as in PyTorch).
  backward: ({ dy, inputs: [x], attrs: { min, max } }) => [
    () => K.zip('clamp', dy, x!, (g, v) => (v >= min && v <= max ? g : 0)),
  ],
});
/** Clips values into [min, max] (either bound may be omitted). */
export function clamp(x: Tensor, bounds: { min?: number; max?: number }): Tensor {
  const min = bounds.min ?? -Infinity, max = bounds.max ?? Infinity;
  if (min > max) throw new RangeError(`clamp: min (${min}) is greater than max (${max})`);
  return clampOp.apply([x], { min, max });
}

const whereOp = defineOp({
  name: 'where',
  inputs: ['condition', 'a', 'b'],
  nondifferentiable: [0],
  save: 'inputs',
  pointwise: () => ({ forward: (m, a, b) => (m ? a : b), partials: [() => 0, (m) => (m ? 1 : 0), (m) => (m ? 0 : 1)] }),
  forward: ([c, a, b]) => K.zip3('where', c!, a!, b!, (m, x, y) => (m ? x : y), K.dtypeOf(a!.data)),
  backward: ({ dy, inputs: [c] }) => [
    undefined,
    () => K.zip('where', dy, c!, (g, m) => (m ? g : 0)),
    () => K.zip('where', dy, c!, (g, m) => (m ? 0 : g)),
  ],
});
/** Picks a where `condition` is nonzero, else b; all three broadcast. The condition gets no gradient. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = liftPair(a, b);
  return whereOp.apply([condition, x, y], undefined);
}
