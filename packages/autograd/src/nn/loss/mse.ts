// Mean squared error between a prediction and a target of the same shape.
import * as K from '@unroll/core';
import { mul, sub } from '../../ops/elementwise.js';
import type { Tensor } from '../../tensor.js';
import { checkFloatTensor, checkMatchingTarget, checkReduction, reduce, type Reduction } from './reduction.js';

/**
 * (input − target)², reduced as torch.nn.functional.mse_loss. Shapes: input [...], target [...] (the
 * same shape: torch's silent broadcasting of a mismatched target is refused here) → a scalar, or
 * [...] with reduction 'none'. The target may require a gradient too.
 */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkFloatTensor('mseLoss', 'input', input);
  checkMatchingTarget('mseLoss', 'input', input, 'target', target);
  K.checkOptions('mseLoss', opts, ['reduction']);
  const reduction = checkReduction('mseLoss', opts.reduction ?? 'mean');
  const diff = sub(input, target);
  return reduce(mul(diff, diff), reduction);
}
