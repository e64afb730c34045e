// Binary cross entropy on logits, in the form that never overflows.
import * as K from '@unroll/core';
import { add, mul, neg, softplus, sub } from '../../ops/elementwise.js';
import { Tensor } from '../../tensor.js';
import { checkFloatTensor, checkMatchingTarget, checkReduction, reduce, type Reduction } from './reduction.js';

export interface BCEWithLogitsOptions {
  /** 'mean' (default, over every element), 'sum' or 'none'. */
  reduction?: Reduction;
  /**
   * Weight of the positive term (torch's pos_weight), a number or a tensor that broadcasts to the
   * logits (usually [classes] for logits [..., classes]); > 1 raises recall.
   */
  posWeight?: Tensor | number;
}

/**
 * −[w·y·log σ(x) + (1 − y)·log(1 − σ(x))] as torch.nn.functional.binary_cross_entropy_with_logits,
 * computed as (1 − y)·x + (1 + (w − 1)·y)·softplus(−x). Without posWeight (w = 1) that is the stable
 * max(x, 0) − x·y + log(1 + e^{−|x|}), written with softplus so the gradient σ(x) − y is smooth at x = 0.
 * Shapes: logits [...], targets [...] (same shape, float, usually 0/1) → a scalar, or [...] with 'none'.
 */
const BCE_OPTIONS = K.optionKeys<BCEWithLogitsOptions>({ reduction: true, posWeight: true });

export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const where = 'binaryCrossEntropyWithLogits';
  checkFloatTensor(where, 'logits', logits);
  checkMatchingTarget(where, 'logits', logits, 'targets', targets);
  K.checkOptions(where, opts, BCE_OPTIONS);
  const reduction = checkReduction(where, opts.reduction ?? 'mean');
  const negativePart = mul(sub(1, targets), logits); // (1 − y)·x
  const logTerm = softplus(neg(logits)); // −log σ(x)
  if (opts.posWeight === undefined) return reduce(add(negativePart, logTerm), reduction);
  const w = checkPosWeight(where, opts.posWeight, logits);
  // 1 + (w − 1)·y: the positive term weighted by w, the negative one by 1.
  const logWeight = add(mul(targets, typeof w === 'number' ? w - 1 : sub(w, 1)), 1);
  return reduce(add(negativePart, mul(logWeight, logTerm)), reduction);
}

function checkPosWeight(where: string, posWeight: Tensor | number, logits: Tensor): Tensor | number {
  if (typeof posWeight === 'number') {
    if (!Number.isFinite(posWeight)) throw new RangeError(`${where}: posWeight must be finite; got ${posWeight}`);
    return posWeight;
  }
  checkFloatTensor(where, 'posWeight', posWeight);
  if (posWeight.dtype !== logits.dtype) {
    throw new K.DTypeError(`${where}: posWeight is ${posWeight.dtype} but logits are ${logits.dtype}; convert one with .to()`);
  }
  let ok = posWeight.rank <= logits.rank;
  if (ok) {
    try {
      ok = K.sameShape(K.broadcastShapes(where, posWeight.shape, logits.shape), logits.shape);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new K.ShapeError(`${where}: posWeight ${K.fmt(posWeight.shape)} must broadcast to logits ${K.fmt(logits.shape)}`);
  }
  return posWeight;
}
