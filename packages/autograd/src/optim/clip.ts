// Gradient clipping: rescale all gradients to a maximum total norm, or clamp each element.
import * as K from '@unroll/core';
import type { NdArray, TypedArray } from '@unroll/core';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkKeys, checkNumber, checkOptionsObject, describe } from './options.js';

/** Options of `clipGradNorm` (PyTorch's norm_type and error_if_nonfinite). */
export interface ClipGradNormOptions {
  /** Order p of the norm: any p > 0, or Infinity for the largest absolute value (default 2). */
  normType?: number;
  /** Throw instead of scaling when the total norm is NaN or ±Infinity (default false, as PyTorch 1.13). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` in place so that their total p-norm — the norm of all of them
 * laid end to end — is at most `maxNorm`, as PyTorch's `clip_grad_norm_`: every gradient is
 * multiplied by min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are skipped.
 * Returns the total norm before clipping (0 when no parameter has a gradient).
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const where = 'clipGradNorm';
  const options = checkOptionsObject(where, opts);
  checkKeys(where, options, ['normType', 'errorIfNonfinite']);
  checkNumber(where, 'maxNorm', maxNorm, { min: 0, infinite: true });
  const p = checkNumber(where, 'normType', options.normType ?? 2, { min: 0, minExclusive: true, infinite: true });
  const errorIfNonfinite = checkBoolean(where, 'errorIfNonfinite', options.errorIfNonfinite ?? false);
  const grads = gradsOf(where, params);
  if (grads.length === 0) return 0;

  // As PyTorch: the norm of each gradient first, then the norm of those norms.
  let total = 0;
  for (const g of grads) {
    let acc = 0;
    eachRun(where, g, (data, start, n, step) => {
      for (let k = 0, j = start; k < n; k++, j += step) {
        const a = Math.abs(data[j]!);
        if (p === Infinity) acc = a > acc || Number.isNaN(a) ? a : acc;
        else acc += p === 2 ? a * a : p === 1 ? a : a ** p;
      }
    });
    const norm = p === Infinity ? acc : p === 2 ? Math.sqrt(acc) : p === 1 ? acc : acc ** (1 / p);
    if (p === Infinity) total = norm > total || Number.isNaN(norm) ? norm : total;
    else total += p === 2 ? norm * norm : p === 1 ? norm : norm ** p;
  }
  if (p !== Infinity) total = p === 2 ? Math.sqrt(total) : p === 1 ? total : total ** (1 / p);

  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(`${where}: the total norm of order ${p} of the gradients is ${total}, so they cannot be clipped; pass errorIfNonfinite: false to scale by it anyway`);
  }
  // NOTE: a NaN or infinite total gives a NaN or zero coefficient, which is applied (PyTorch does the same).
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  if (coef !== 1) {
    for (const g of grads) {
      eachRun(where, g, (data, start, n, step) => {
        for (let k = 0, j = start; k < n; k++, j += step) data[j] = data[j]! * coef;
      });
    }
  }
  return total;
}

/** Clamps every gradient element of `params` to [−clipValue, clipValue] in place, as PyTorch's `clip_grad_value_`. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const where = 'clipGradValue';
  const c = checkNumber(where, 'clipValue', clipValue, { min: 0, infinite: true });
  for (const g of gradsOf(where, params)) {
    eachRun(where, g, (data, start, n, step) => {
      for (let k = 0, j = start; k < n; k++, j += step) {
        const x = data[j]!;
        // NaN stays NaN, as in torch.clamp.
        if (x > c) data[j] = c;
        else if (x < -c) data[j] = -c;
      }
    });
  }
}

/** The gradients of `params` that exist. */
function gradsOf(where: string, params: Tensor | Iterable<Tensor>): NdArray[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== 'object' || typeof (list as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${where}: params must be a Tensor or an iterable of Tensors (e.g. model.parameters()); got ${describe(list)}`);
  }
  const out: NdArray[] = [];
  let i = 0;
  for (const t of list) {
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: params[${i}] must be a Tensor; got ${describe(t)}`);
    if (t.grad !== null) out.push(t.grad.data);
    i++;
  }
  return out;
}

/**
 * Visits `a`'s elements as runs `data[start + k·step]`, k < n, so gradients that are strided views
 * are read and written in place. A broadcast view (stride 0) cannot be written element by element.
 */
function eachRun(where: string, a: NdArray, visit: (data: TypedArray, start: number, n: number, step: number) => void): void {
  if (a.shape.some((d, i) => d > 1 && a.stride[i] === 0)) {
    throw new Error(`${where}: a gradient ${K.fmt(a.shape)} is a broadcast view (stride 0), so it cannot be changed in place`);
  }
  if (K.isContiguous(a)) {
    visit(a.data, a.offset, a.size, 1);
    return;
  }
  K.forEachRun(a.shape, [a.stride], (offsets, n, steps) => visit(a.data, a.offset + offsets[0]!, n, steps[0]!));
}
