// Elementwise differentiable ops, each defined by its scalar rule: y and ∂y/∂xᵢ per element. The
// kernels forward and backward are derived from that one copy (pointwise.ts); the engine sums
// gradients over broadcast axes.
import * as K from '@unroll/core';
import { defineOp } from '../define-op.js';
import type { PointwiseRule } from '../define-op.js';
import type { Tensor } from '../tensor.js';
import { liftPair, type TensorLike } from './lift.js';

// NOTE: derived kernels cost no speed against the hand-written ones they replaced (256×256 float32,
// CPU ms forward+backward, before → after: add 0.42–0.89 → 0.43–0.49, mul 3.5–4.6 → 3.3–3.6,
// tanh 2.4–2.7 → 1.9–2.3; packages/autograd/bench/pointwise.bench.ts, two runs each, loaded machine).

/** A two-input op broadcasting a and b (numbers become constants of the other's dtype). */
function binary(name: string, save: readonly ('a' | 'b' | 'output')[], rule: PointwiseRule) {
  const op = defineOp({ name, inputs: ['a', 'b'] as const, save, pointwise: () => rule });
  return (a: TensorLike, b: TensorLike): Tensor => op.apply(liftPair(a, b));
}

/** a + b with broadcasting. */
export const add = binary('add', [], { forward: (a, b) => a + b, partials: [() => 1, () => 1] });
/** a − b with broadcasting. */
export const sub = binary('sub', [], { forward: (a, b) => a - b, partials: [() => 1, () => -1] });
/** a ⊙ b (elementwise) with broadcasting. */
export const mul = binary('mul', ['a', 'b'], { forward: (a, b) => a * b, partials: [(_, b) => b, (a) => a] });
/** a / b with broadcasting: ∂/∂a = 1/b, ∂/∂b = −(a/b)/b = −y/b. */
export const div = binary('div', ['b', 'output'], { forward: (a, b) => a / b, partials: [(_, b) => 1 / b, (_, b, y) => -y / b] });
/** aᵇ with broadcasting (b may be a number): ∂/∂a = b·aᵇ⁻¹, ∂/∂b = aᵇ·ln a (asked for only when b needs it). */
export const pow = binary('pow', ['a', 'b', 'output'], {
  forward: Math.pow,
  partials: [(a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)), (a, _, y) => y * Math.log(a)],
});

/**
 * A one-input op y = f(x) whose derivative reads only the input (`dx: { input: … }`), only the
 * output (`{ output: … }`) or nothing (`{ constant: … }`): the op saves exactly that.
 */
function unary(name: string, f: (x: number) => number,
  dx: { input: (x: number) => number } | { output: (y: number) => number } | { constant: number }) {
  // dx.input is itself the partial (y is not read); an output rule is wrapped as (x, y) ↦ g(y) carrying
  // g as `output`, so code generators (compileCell) can read its formula.
  const [save, partial]: ['none' | 'output' | readonly 'x'[], (x: number, y: number) => number] =
    'input' in dx ? [['x'], dx.input] : 'output' in dx ? ['output', ofOutput(dx.output)] : ['none', () => dx.constant];
  // A constant partial is declared with no parameters, so the kernel scales dy without a loop.
  const partials = 'constant' in dx ? [() => dx.constant] : [partial];
  const op = defineOp({ name, inputs: ['x'] as const, save, pointwise: () => ({ forward: f, partials }) });
  return (x: Tensor): Tensor => op.apply([x]);
}

function ofOutput(g: (y: number) => number): (x: number, y: number) => number {
  return Object.assign((_: number, y: number) => g(y), { output: g });
}

/** −x. */
export const neg = unary('neg', (x) => -x, { constant: -1 });
/** eˣ; the gradient reuses the output. */
export const exp = unary('exp', Math.exp, { output: (y) => y });
/** Natural log. */
export const log = unary('log', Math.log, { input: (x) => 1 / x });
/** √x; the gradient 1/(2√x) reuses the output. */
export const sqrt = unary('sqrt', Math.sqrt, { output: (y) => 0.5 / y });
/** |x|; the gradient at 0 is taken as 0 (as PyTorch). */
export const abs = unary('abs', Math.abs, { input: (x) => Math.sign(x) });
/** tanh x; dx = dy · (1 − y²). */
export const tanh = unary('tanh', Math.tanh, { output: (y) => 1 - y * y });
/** σ(x) = 1/(1+e⁻ˣ), computed without overflow; dx = dy · y(1 − y). */
export const sigmoid = unary('sigmoid', K.sigmoidScalar, { output: (y) => y * (1 - y) });
/** max(x, 0); the gradient at 0 is 0. */
export const relu = unary('relu', (x) => (x > 0 ? x : 0), { output: (y) => (y > 0 ? 1 : 0) });
/** log(1 + eˣ), stable for large |x|; dx = dy · σ(x). */
export const softplus = unary('softplus', K.softplusScalar, { input: (x) => K.sigmoidScalar(x) });

const clampOp = defineOp({
  name: 'clamp',
  inputs: ['x'] as const,
  save: ['x'],
  // Gradient flows where the value was not clipped (ties at a bound pass it, as in PyTorch).
  pointwise: ({ min, max }: { min: number; max: number }) => ({
    forward: (x) => (x < min ? min : x > max ? max : x),
    partials: [(x) => (x >= min && x <= max ? 1 : 0)],
  }),
});
/** Clips values into [min, max] (either bound may be omitted). */
export function clamp(x: Tensor, bounds: { min?: number; max?: number }): Tensor {
  const min = bounds.min ?? -Infinity, max = bounds.max ?? Infinity;
  if (min > max) throw new RangeError(`clamp: min (${min}) is greater than max (${max})`);
  return clampOp.apply([x], { min, max });
}

const whereOp = defineOp({
  name: 'where',
  inputs: ['condition', 'a', 'b'] as const,
  nondifferentiable: ['condition'],
  save: ['condition'],
  pointwise: () => ({ forward: (m, a, b) => (m ? a : b), partials: [() => 0, (m) => (m ? 1 : 0), (m) => (m ? 0 : 1)] }),
});
/** Picks a where `condition` is nonzero, else b; all three broadcast. The condition gets no gradient. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = liftPair(a, b);
  return whereOp.apply([condition, x, y]);
}
