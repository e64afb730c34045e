// Test helpers: seeded random tensors, fast-check size arbitraries, and gradcheck through a
// module's parameters (the checked copies are swapped in for the parameters while fn runs).
import fc from 'fast-check';
import * as K from '@unroll/core';
import { Generator, Parameter, Tensor, gradcheck } from '@unroll/autograd';
import type { GradcheckResult } from '@unroll/autograd';

export const SEED = 20240611;
export const GRAD_TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 } as const;

/** A float64 (by default) tensor with values in U(−scale, scale) from a seeded generator. */
export function rand(shape: number[], g: Generator, opts: { scale?: number; requiresGrad?: boolean; dtype?: 'float32' | 'float64' } = {}): Tensor {
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

/**
 * gradcheck of `fn(...inputs, ...params)` with respect to the inputs AND the parameters `keys`
 * of `owner`: while fn runs, gradcheck's float64 copies of the parameters replace them.
 */
export function gradcheckWithParams(
  owner: object, inputs: Tensor[], fn: (...inputs: Tensor[]) => Tensor | Tensor[], keys = parameterKeys(owner),
): GradcheckResult {
  const target = owner as Record<string, unknown>;
  const params = keys.map((k) => target[k] as Tensor);
  return gradcheck((...all: Tensor[]) => {
    const saved = keys.map((k) => target[k]);
    keys.forEach((k, i) => { target[k] = all[inputs.length + i]; });
    try {
      return fn(...all.slice(0, inputs.length));
    } finally {
      keys.forEach((k, i) => { target[k] = saved[i]; });
    }
  }, [...inputs, ...params], GRAD_TOL);
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
