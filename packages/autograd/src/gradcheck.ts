// gradcheck: analytic gradients against central differences, in float64.
import * as K from '@unroll/core';
import { backward } from './engine.js';
import { noGrad } from './mode.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric value (default 1e-3). */
  rtol?: number;
  /** Seed of the random weight the outputs are contracted with (default 0). */
  seed?: number;
  /** How many disagreeing elements the report lists (default 5). */
  maxReported?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Human-readable: each disagreeing input element with analytic vs numeric values. */
  report: string;
  /** Largest |analytic − numeric| seen. */
  maxAbsError: number;
}

type Outputs = Tensor | readonly Tensor[];

const GRADCHECK_OPTIONS = K.optionKeys<GradcheckOptions>({ eps: true, atol: true, rtol: true, seed: true, maxReported: true });

/**
 * Checks `fn`'s gradients with respect to every input that requires a gradient.
 * Inputs are copied to float64; the outputs are contracted with a fixed random weight
 * (so a transposed or misplaced gradient cannot hide behind an all-ones seed), and each
 * input element's analytic gradient is compared with (L(x+ε) − L(x−ε)) / 2ε.
 * Passes when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Outputs, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  K.checkOptions('gradcheck', opts, GRADCHECK_OPTIONS);
  const xs = inputs.map((t) =>
    t.dtype === 'int32' ? t : new Tensor(K.cast(t.data, 'float64'), { requiresGrad: t.requiresGrad }));
  if (!xs.some((t) => t.requiresGrad)) throw new Error('gradcheck: no input has requiresGrad: true');
  return checkLeaves(() => fn(...xs), xs, xs.map((_, i) => `input ${i}`), opts);
}

/**
 * The check itself, on float64 leaves that `run` reads: each leaf that requires a gradient is
 * perturbed in place, element by element. `labels` name the leaves in the report. Shared by
 * `gradcheck` (leaves: copies of its inputs) and `gradcheckModule` (leaves: a module's parameters).
 */
export function checkLeaves(run: () => Outputs, xs: readonly Tensor[], labels: readonly string[], opts: GradcheckOptions): GradcheckResult {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const checked = xs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);

  const generator = new K.RandomGenerator(opts.seed ?? 0);
  let weights: K.NdArray[] | null = null;
  const contract = (outs: Outputs): Tensor[] => {
    const list = Array.isArray(outs) ? [...outs] : [outs as Tensor];
    weights ??= list.map((o) => K.randUniform(o.shape, -1, 1, { dtype: 'float64', generator }));
    return list;
  };
  const loss = (): number =>
    noGrad(() => {
      const outs = contract(run());
      return outs.reduce((s, o, j) => s + K.sum(K.mul(K.cast(o.data, 'float64'), weights![j]!)).data[0]!, 0);
    });

  // Analytic: backward of each output seeded with its weight (= gradient of Σ w ⊙ y).
  const outs = contract(run());
  for (const i of checked) xs[i]!.grad = null;
  outs.forEach((o, j) => {
    if (o.requiresGrad) backward(o, K.cast(weights![j]!, o.dtype), { retainGraph: j < outs.length - 1 });
  });

  const lines: string[] = [];
  let bad = 0, maxAbsError = 0;
  for (const i of checked) {
    const x = xs[i]!;
    const values = x.data.data as Float64Array;
    const analytic = x.grad ? K.contiguous(x.grad.data) : new Float64Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const keep = values[k]!;
      values[k] = keep + eps;
      const up = loss();
      values[k] = keep - eps;
      const down = loss();
      values[k] = keep;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(analytic[k]! - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        if (bad++ < (opts.maxReported ?? 5)) {
          lines.push(`${labels[i]} ${K.fmt(x.shape)} element ${K.fmt(unravel(k, x.shape))}: analytic ${analytic[k]}, numeric ${numeric}`);
        }
      }
    }
  }
  const report = bad === 0 ? `gradcheck passed (max abs error ${maxAbsError.toExponential(2)})`
    : `gradcheck failed at ${bad} element(s):\n${lines.join('\n')}`;
  return { ok: bad === 0, report, maxAbsError };
}

function unravel(k: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = k % shape[d]!;
    k = Math.floor(k / shape[d]!);
  }
  return index;
}
