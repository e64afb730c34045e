// Test helpers: seeded random tensors, fast-check size arbitraries, gradcheck tolerances and
// closeness checks (gradcheck through a module's parameters is autograd's public gradcheckModule).
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Parameter, Tensor } from '@unroll/autograd';

export const SEED = 20240611;
export const GRAD_TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 } as const;

/** A float64 (by default) tensor with values in U(−scale, scale) from a seeded generator. */
export function rand(shape: number[], g: RandomGenerator, opts: { scale?: number; requiresGrad?: boolean; dtype?: 'float32' | 'float64' } = {}): Tensor {
  const s = opts.scale ?? 1;
  return new Tensor(K.randUniform(shape, -s, s, { dtype: opts.dtype ?? 'float64', generator: g }), { requiresGrad: opts.requiresGrad ?? false });
}

/** Tiny sizes for gradient checks: batch ≤ 2, time ≤ 3, input and hidden ≤ 3, plus a value seed. */
export const tinySizes = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  time: fc.integer({ min: 1, max: 3 }),
  input: fc.integer({ min: 1, max: 3 }),
  hidden: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});
export type TinySizes = { batch: number; time: number; input: number; hidden: number; seed: number };

/** The names of an object's own Parameter-valued properties (e.g. weightIh, biasHh, weightCi). */
export function parameterKeys(obj: object): string[] {
  return Object.keys(obj).filter((k) => (obj as Record<string, unknown>)[k] instanceof Parameter);
}

/** Largest |a − b| over two same-shape tensors (throws on a shape mismatch). */
export function maxDiff(a: Tensor, b: Tensor): number {
  if (!K.sameShape(a.shape, b.shape)) throw new Error(`maxDiff: ${K.fmt(a.shape)} vs ${K.fmt(b.shape)}`);
  const x = a.values(), y = b.values();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** Asserts two tensors agree elementwise to `tol` (shape included), with a useful message. */
export function expectClose(a: Tensor, b: Tensor, tol = 1e-12, what = 'tensors'): void {
  const d = maxDiff(a, b);
  if (!(d <= tol)) throw new Error(`${what} differ by ${d} (> ${tol})`);
}
