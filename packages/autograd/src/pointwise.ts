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
      // Every saved value spread to dy's (the output's) shape, so one flat loop serves all.
      const spread = (a: NdArray | undefined): TypedArray | null =>
        a === undefined ? null : K.contiguous(K.sameShape(a.shape, dy.shape) ? a : K.broadcastTo('pointwise', a, dy.shape));
      const xs = Array.from({ length: arity }, (_, j) => (plan.inputs.includes(j) ? spread(ctx.inputs[j]) : null));
      const y = plan.output ? spread(ctx.output) : null;
      return derivative(partial, arity, K.contiguous(dy), xs, y, dy.shape, K.dtypeOf(dy.data));
    };
  });
}

/** A one-element NaN source with stride 0 stands in for a value the op did not save. */
const NOT_SAVED = Float64Array.of(NaN);

/** out[k] = g[k] · partial(x0[k], …, y[k]), with NaN for the values not given. */
function derivative(partial: (...v: number[]) => number, arity: number, g: TypedArray, xs: (TypedArray | null)[],
  y: TypedArray | null, shape: readonly number[], dtype: K.DType): NdArray {
  const out = K.zeros(shape, { dtype });
  const o = out.data as TypedArray;
  const n = o.length;
  // NOTE: stride 0 into NOT_SAVED instead of a branch per element, and one loop per arity so the
  // call keeps one argument count: this runs as fast as the hand-written kernels it replaced.
  const src = (v: TypedArray | null | undefined): [TypedArray, number] => (v ? [v, 1] : [NOT_SAVED, 0]);
  const [a, sa] = src(xs[0]), [b, sb] = src(xs[1]), [c, sc] = src(xs[2]), [v, sv] = src(y);
  if (arity === 1) {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  } else if (arity === 2) {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, b[k * sb]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  } else {
    for (let k = 0; k < n; k++) { const p = partial(a[k * sa]!, b[k * sb]!, c[k * sc]!, v[k * sv]!); o[k] = p === 0 ? 0 : g[k]! * p; }
  }
  return out;
}
