// gradcheckModule: gradcheck with respect to a module's own parameters, run on the module itself
// (in float64), so a layer or a cell is checked through its real forward or step.
import * as K from '@unroll/core';
import { checkLeaves } from './gradcheck.js';
import type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
import { Module } from './nn/module.js';
import { Tensor } from './tensor.js';

export interface GradcheckModuleOptions extends GradcheckOptions {
  /** Tensors handed to `fn` (in this order); those with requiresGrad are checked too. */
  inputs?: readonly Tensor[];
}

const OPTIONS = K.optionKeys<GradcheckModuleOptions>({ inputs: true, eps: true, atol: true, rtol: true, seed: true, maxReported: true });

/**
 * Checks the gradients of `fn`'s outputs with respect to every trainable parameter of `module`
 * (and every input in `opts.inputs` that requires a gradient) against central differences, as
 * `gradcheck` does. `module` is a `Module`, or a list of tensors (the weights a plain-object cell
 * keeps). `fn` receives float64 copies of `opts.inputs` and uses the module as it is.
 *
 * For the check, every parameter (and float buffer) of the module holds a float64 copy of its value,
 * which is perturbed in place, so the module computes in float64 whatever its dtype; values, dtypes,
 * `requiresGrad` and gradients are restored afterwards, also when `fn` throws. Parameters with
 * `requiresGrad: false` are converted but not checked. The report names parameters by their
 * dotted names (`cell.weight_ih [12, 3] element [4, 1]: analytic …, numeric …`).
 *
 * @example
 * const lin = new Linear(3, 2, { dtype: 'float64' });
 * const x = randn([4, 3], { dtype: 'float64', requiresGrad: true });
 * const r = gradcheckModule(lin, (x) => lin.forward(x), { inputs: [x] });
 * if (!r.ok) throw new Error(r.report);
 */
export function gradcheckModule(
  module: Module | readonly Tensor[],
  fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[],
  opts: GradcheckModuleOptions = {},
): GradcheckResult {
  const { inputs = [], ...checkOpts } = K.checkOptions('gradcheckModule', opts, OPTIONS);
  if (!Array.isArray(inputs)) throw new TypeError(`gradcheckModule: inputs must be an array of Tensors; got ${typeof inputs}`);
  const named: [string, Tensor][] = module instanceof Module ? module.namedParameters()
    : Array.isArray(module) ? module.map((t, i) => [`parameter ${i}`, t] as [string, Tensor]).filter(([, t], i) => module.indexOf(t) === i)
    : invalid(module);
  named.forEach(([name, t]) => {
    if (!(t instanceof Tensor)) throw new TypeError(`gradcheckModule: ${name} must be a Tensor; got ${typeof t}`);
    if (t.dtype === 'int32') throw new K.DTypeError(`gradcheckModule: ${name} is int32; only float parameters can be checked`);
  });
  const buffers = module instanceof Module ? module.namedBuffers().map(([, t]) => t).filter((t) => t.dtype !== 'int32') : [];
  const xs = inputs.map((t) => (t.dtype === 'int32' ? t : new Tensor(K.cast(t.data, 'float64'), { requiresGrad: t.requiresGrad })));
  if (!named.some(([, t]) => t.requiresGrad) && !xs.some((t) => t.requiresGrad)) {
    throw new Error('gradcheckModule: nothing to check (no parameter or input requires a gradient)');
  }

  // Swap float64 copies into the live tensors (each once), remembering what to restore.
  const swapped = [...new Set([...named.map(([, t]) => t), ...buffers])];
  const saved = swapped.map((t) => ({ t, data: t.data, grad: t.grad }));
  try {
    for (const t of swapped) t.data = K.cast(t.data, 'float64');
    const leaves = [...xs, ...named.map(([, t]) => t)];
    const labels = [...xs.map((_, i) => `input ${i}`), ...named.map(([name]) => name)];
    return checkLeaves(() => fn(...xs), leaves, labels, checkOpts);
  } finally {
    for (const { t, data, grad } of saved) {
      t.data = data;
      t.grad = grad;
    }
  }
}

function invalid(module: unknown): never {
  throw new TypeError(`gradcheckModule: module must be a Module or an array of Tensors; got ${module === null ? 'null' : typeof module}`);
}
