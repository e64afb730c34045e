// Argument checks shared by the nn layers and losses, so their errors read alike.
import * as K from '@unroll/core';
import type { FloatDType } from '@unroll/core';
import { Tensor } from '../tensor.js';

/** A layer size must be a non-negative integer (torch allows 0). */
export function checkFeatureCount(where: string, name: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${where}: ${name} must be a non-negative integer; got ${String(n)}`);
  }
}

/** Parameters are float32 or float64. */
export function checkFloatDType(where: string, dtype: unknown): FloatDType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new K.DTypeError(`${where}: dtype must be 'float32' or 'float64'; got '${String(dtype)}'`);
  }
  return dtype;
}

/** `x` is a float Tensor; with `like`, of like's dtype (a layer's input must match its parameters). */
export function checkInput(where: string, x: unknown, like?: Tensor, name = 'x'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: ${name} must be a Tensor; got ${describe(x)}`);
  if (x.dtype === 'int32') throw new K.DTypeError(`${where}: ${name} must be float32 or float64; got int32`);
  if (like && x.dtype !== like.dtype) {
    throw new K.DTypeError(
      `${where}: ${name} is ${x.dtype} but the parameters are ${like.dtype}; convert one (x.to('${like.dtype}') or module.to('${x.dtype}'))`);
  }
}

/** A short name for a value of the wrong kind, for error messages. */
export const describe = (v: unknown): string =>
  v === null ? 'null' : v instanceof Tensor ? `a ${v.dtype} Tensor` : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;

/** The multi-index of flat position k in a row-major array of `shape`. */
export function unravel(k: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = k % shape[d]!;
    k = Math.floor(k / shape[d]!);
  }
  return index;
}
