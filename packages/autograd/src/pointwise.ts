// Elementwise ops from their scalar rule: the forward and backward kernels derived from one copy
// of the math (PointwiseRule), which code generators (compileCell) read too.
import * as K from '@unroll/core';
import type { NdArray, TypedArray } from '@unroll/core';
import type { BackwardContext, Named } from './define-op.js';

/**
 * The scalar form of an elementwise op: `forward(x0, x1, …)` is y, and `partials[i](x0, x1, …, y)`
 * is ∂y/∂xᵢ at that point. It is the one copy of the op's math: the op's kernels are derived from
 * it. A partial that takes no arguments is a constant (1 passes the gradient through untouched).
 */
export interface PointwiseRule {
  readonly forward: (...xs: number[]) => number;
  readonly partials: readonly ((...xsAndY: number[]) => number)[];
}

/** y = rule.forward over the broadcast inputs, in the dtype of the first differentiable one. */
export function pointwiseForward(op: string, rule: PointwiseRule, xs: Named<string, NdArray>, nondiff: ReadonlySet<number>): NdArray {
  const f = rule.forward;
  const like = xs.find((_, i) => !nondiff.has(i)) ?? xs[0]!;
  const dtype = K.dtypeOf(like.data);
  if (xs.length === 1) return K.map(xs[0]!, f, dtype);
  if (xs.length === 2) return K.zip(op, xs[0]!, xs[1]!, f, dtype);
  if (xs.length === 3) return K.zip3(op, xs[0]!, xs[1]!, xs[2]!, f, dtype);
  throw new RangeError(`${op}: pointwise rules of up to 3 inputs are supported; got ${xs.length}`);
}

/**
 * dxᵢ = dy · ∂y/∂xᵢ for every input but the nondifferentiable ones. Values the op did not save
 * reach the partials as NaN, so a rule that reads one gives NaN gradients (caught by gradcheck)
 * rather than silently wrong ones. A partial of 0 gives 0 even where dy is infinite (as a select would).
 */
export function pointwiseBackward(
  rule: PointwiseRule, ctx: BackwardContext<unknown, string, string, unknown>,
  plan: { readonly inputs: readonly number[]; readonly output: boolean }, nondiff: ReadonlySet<number>,
): (() => NdArray)[] {
  const { dy } = ctx;
  const arity = rule.partials.length;
  return rule.partials.map((partial, i) => {
    if (nondiff.has(i)) return () => dy; // never called: the input takes no gradient
    if (partial.length === 0) {
      const c = partial();
      return () => (c === 1 ? dy : c === -1 ? K.neg(dy) : K.scale(dy, c));
    }
    return () => {
      const xs: (NdArray | null)[] = [];
      for (let j = 0; j < arity; j++) xs.push(plan.inputs.includes(j) ? ctx.inputs[j]! : null);
      return derivative(partial, arity, dy, xs, plan.output ? ctx.output : null);
    };
  });
}

/** A one-element NaN source with stride 0 stands in for a value the op did not save. */
const NOT_SAVED = Float64Array.of(NaN);

/** The values of `v` to read at k·stride(v): itself, or spread to dy's shape, or NOT_SAVED. */
function source(v: NdArray | null | undefined, dy: NdArray): TypedArray {
  if (!v) return NOT_SAVED;
  return v.size === dy.size || v.size === 1 ? K.contiguous(v) : K.contiguous(K.broadcastTo('pointwise', v, dy.shape));
}
function stride(v: NdArray | null | undefined): number {
  return !v || v.size === 1 ? 0 : 1;
}

/** out[k] = g[k] · partial(x0[k], …, y[k]), with NaN for the values not given. */
function derivative(partial: (...v: number[]) => number, arity: number, dy: NdArray, xs: (NdArray | null)[],
  y: NdArray | null): NdArray {
  const out = K.zeros(dy.shape, { dtype: K.dtypeOf(dy.data) });
  const o = out.data as TypedArray, g = K.contiguous(dy);
  const n = o.length;
  // NOTE: each value is read at k·stride: stride 1 when it has the output's shape, 0 for a single
  // element or a value not saved (NOT_SAVED) — no branch per element; a value broadcast any other
  // way is spread to the output's shape first. One loop per arity keeps the call's argument count
  // fixed. This runs as fast as the hand-written kernels it replaced (see elementwise.ts).
  const a = source(xs[0], dy), b = source(xs[1], dy), c = source(xs[2], dy), v = source(y, dy);
  const sa = stride(xs[0]), sb = stride(xs[1]), sc = stride(xs[2]), sv = stride(y);
  if (arity === 1) {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  } else if (arity === 2) {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, b[k * sb]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  } else {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, b[k * sb]!, c[k * sc]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  }
  return out;
}
