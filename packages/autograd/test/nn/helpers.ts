// Shared helpers for the nn tests: seeded float64 leaves, closeness checks, and gradcheck of a
// function or a module (through the public gradcheckModule) that first proves every input is used.
import fc from 'fast-check';
import { expect } from 'vitest';
import * as K from '@unroll/core';
import { Module, Tensor, gradcheck, gradcheckModule, type Nested } from '@unroll/autograd';

/** The one seed every property test here uses, so failures replay. */
export const SEED = 42;

export const TOL = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 } as const;

/** Doubles in [min, max]. */
export const values = (n: number, min = -2, max = 2): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** A float64 leaf with requiresGrad from row-major values. */
export const leaf = (v: readonly number[], shape: readonly number[]): Tensor =>
  new Tensor(K.fromData(Float64Array.from(v), shape), { requiresGrad: true });

/** An int32 tensor from row-major values or nested arrays. */
export function ids(v: Nested, shape?: readonly number[]): Tensor {
  if (shape) return new Tensor(K.fromData(Int32Array.from(v as number[]), shape));
  return new Tensor(K.fromNested(v, { dtype: 'int32' }));
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Flattens nested numbers (or a tensor) row-major. */
export function flat(x: Tensor | Nested): number[] {
  if (x instanceof Tensor) return Array.from(x.values());
  return Array.isArray(x) ? (x as Nested[]).flatMap((v) => flat(v)) : [x as number];
}

/** Every element within atol + rtol·|expected|, with the first offender named. */
export function expectClose(actual: Tensor | Nested, expected: Tensor | Nested, tol: { atol?: number; rtol?: number } = {}): void {
  const a = flat(actual), e = flat(expected);
  expect(a.length, 'element count').toBe(e.length);
  const atol = tol.atol ?? 1e-10, rtol = tol.rtol ?? 1e-10;
  const bad = a.findIndex((v, i) => !(Math.abs(v - e[i]!) <= atol + rtol * Math.abs(e[i]!)));
  expect(bad, bad >= 0 ? `element ${bad}: got ${a[bad]}, expected ${e[bad]}` : '').toBe(-1);
}

/**
 * gradcheck of `fn` over `inputs` (and, given a module, over its parameters through its own forward,
 * with the public `gradcheckModule`), after first proving that every input and parameter reaches the
 * output (each gets a gradient from backward): one that `fn` ignored would pass a finite-difference
 * check trivially (0 vs 0).
 */
export function checkGrads(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], module?: Module): void {
  const copies = inputs.map((t) => (t.requiresGrad ? new Tensor(K.clone(t.data), { requiresGrad: true }) : t));
  const params = module?.namedParameters() ?? [];
  module?.zeroGrad();
  const out = fn(...copies);
  out.mul(out).sum().backward(); // squared, so a gradient that happens to sum to zero still shows up
  copies.forEach((t, i) => {
    if (t.requiresGrad) expect(t.grad, `input ${i} gets no gradient: fn does not use it`).not.toBeNull();
  });
  for (const [name, p] of params) expect(p.grad, `parameter ${name} gets no gradient: fn does not use it`).not.toBeNull();
  module?.zeroGrad();
  const r = module ? gradcheckModule(module, fn, { inputs, ...TOL }) : gradcheck(fn, inputs, TOL);
  expect(r.ok, r.report).toBe(true);
}
