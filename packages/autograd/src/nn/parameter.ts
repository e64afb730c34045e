// Parameter: a leaf tensor that a Module owns and an optimizer updates.
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';
import { Tensor } from '../tensor.js';

/** A trainable leaf tensor (requiresGrad true unless `requiresGrad: false` is passed). */
export class Parameter extends Tensor {
  constructor(value: NdArray | Tensor, opts: { requiresGrad?: boolean } = {}) {
    const data = value instanceof Tensor ? value.data : value;
    // A parameter owns its storage: optimizers write to it in place.
    super(K.clone(data), { requiresGrad: opts.requiresGrad ?? true });
  }

  /** As PyTorch: `Parameter containing:` above the tensor. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
