// Turning plain numbers into tensors beside the tensor they meet.
import * as K from '@unroll/core';
import { Tensor } from '../tensor.js';

/** A tensor, or a number that takes the dtype of the tensor it is combined with. */
export type TensorLike = Tensor | number;

/** `x` as a tensor; a number becomes a rank-0 constant with `like`'s dtype. */
export function lift(x: TensorLike, like: TensorLike): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new TypeError(`expected a Tensor or a number; got ${typeof x}`);
  const dtype = like instanceof Tensor && like.dtype !== 'int32' ? like.dtype : 'float32';
  return new Tensor(K.full([], x, { dtype }));
}

/** Both operands as tensors (at least one of them must be a Tensor to fix the dtype). */
export const liftPair = (a: TensorLike, b: TensorLike): [Tensor, Tensor] => [lift(a, b), lift(b, a)];
