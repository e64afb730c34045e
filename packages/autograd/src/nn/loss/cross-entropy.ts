// Classification losses over class ids: nllLoss on log-probabilities and crossEntropy on logits.
import * as K from '@unroll/core';
import { add, mul, neg } from '../../ops/elementwise.js';
import { gather, reshape } from '../../ops/movement.js';
import { sum } from '../../ops/reduce.js';
import { Tensor } from '../../tensor.js';
import { describe, unravel } from '../checks.js';
import { checkFloatTensor, checkReduction, type Reduction } from './reduction.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';

export interface NLLLossOptions {
  /** Targets equal to this id add nothing and are not counted by 'mean' (default −100, as torch). */
  ignoreIndex?: number;
  /** 'mean' (default: over the non-ignored targets), 'sum' or 'none' (shape of targets, 0 where ignored). */
  reduction?: Reduction;
}
export interface CrossEntropyOptions extends NLLLossOptions {
  /**
   * ε in [0, 1]: the target distribution becomes (1 − ε)·onehot + ε/C, as torch's label_smoothing
   * (default 0).
   */
  labelSmoothing?: number;
}

/**
 * Negative log-likelihood of class ids, as torch.nn.functional.nll_loss: loss = −logProbs[..., target].
 * Shapes: logProbs [..., C] (classes on the LAST axis: [N, C], or [B, T, C] straight from a sequence
 * model; torch puts them on axis 1), targets int32 [...] (i.e. [N] or [B, T]) → a scalar, or
 * targets' shape with reduction 'none'.
 */
const NLL_OPTIONS = K.optionKeys<NLLLossOptions>({ ignoreIndex: true, reduction: true });
const CROSS_ENTROPY_OPTIONS = K.optionKeys<CrossEntropyOptions>({ ignoreIndex: true, reduction: true, labelSmoothing: true });

export function nllLoss(logProbs: Tensor, targets: Tensor, opts: NLLLossOptions = {}): Tensor {
  checkFloatTensor('nllLoss', 'logProbs', logProbs);
  K.checkOptions('nllLoss', opts, NLL_OPTIONS);
  return classLoss('nllLoss', 'logProbs', logProbs, targets, opts, 0);
}

/**
 * Cross entropy of logits against class ids, as torch.nn.functional.cross_entropy, computed as one
 * fused op (log-softmax shifted by each row's max, so stable for logits of any size; sums in float64):
 *   lossᵢ = −(1 − ε)·log pᵢ[tᵢ] − (ε / C)·Σ_c log pᵢ[c],  p = softmax(logitsᵢ).
 * Shapes: logits [..., C] (classes on the LAST axis: [N, C] or [B, T, C]; torch would need [B, C, T]),
 * targets int32 [...] → a scalar, or targets' shape with reduction 'none'. 'mean' divides by the
 * number of non-ignored targets (NaN when every target is ignored, as torch).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  K.checkOptions('crossEntropy', opts, CROSS_ENTROPY_OPTIONS);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1]; got ${String(eps)}`);
  }
  checkFloatTensor('crossEntropy', 'logits', logits);
  if (logits.rank === 0) throw new K.ShapeError('crossEntropy: logits must be [..., classes]; got a scalar []');
  const { reduction, classes, ids, keep, kept } = checkClassLoss('crossEntropy', 'logits', logits, targets, opts);
  // One fused op (see softmax-cross-entropy.ts): equal to nllLoss(logSoftmax(logits)) with smoothing, to rounding.
  const flat = logits.rank === 2 ? logits : reshape(logits, [ids.length, classes]);
  const scale = reduction === 'none' ? null : reduction === 'sum' ? 1 : 1 / kept;
  const loss = softmaxCrossEntropy(flat, { ids, keep, smoothing: eps, scale });
  return reduction === 'none' ? reshape(loss, targets.shape) : loss;
}

/** The shared checks (reduction, ignoreIndex, input rank, targets); the targets as ids, keep mask and count. */
function checkClassLoss(where: string, inputName: string, input: Tensor, targets: Tensor, opts: NLLLossOptions) {
  const reduction = checkReduction(where, opts.reduction ?? 'mean');
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new TypeError(`${where}: ignoreIndex must be an integer; got ${String(ignoreIndex)}`);
  if (input.rank === 0) throw new K.ShapeError(`${where}: ${inputName} must be [..., classes]; got a scalar []`);
  const classes = input.shape[input.rank - 1]!;
  return { reduction, classes, ...checkTargets(where, inputName, input.shape, targets, ignoreIndex) };
}

/** nllLoss's body on float log-probabilities: pick −log p at each target, mask ignored ones, smooth, reduce. */
function classLoss(where: string, inputName: string, logProbs: Tensor, targets: Tensor, opts: NLLLossOptions, smoothing: number): Tensor {
  const { reduction, classes, ids, keep, kept } = checkClassLoss(where, inputName, logProbs, targets, opts);
  const m = ids.length;
  const lp = reshape(logProbs, [m, classes]);
  // Ignored targets read class 0 and are then multiplied by 0 (gather needs an in-range index).
  const picked = reshape(gather(lp, 1, new Tensor(K.fromData(ids, [m, 1]))), [m]);
  const mask = kept < m ? new Tensor(K.cast(K.fromData(keep, [m]), logProbs.dtype)) : null;
  let loss = neg(picked);
  if (smoothing > 0) {
    // The uniform part of the smoothed target, −Σ_c log p[c], weighted ε/C (ignored rows are masked below).
    const uniform = neg(sum(lp, { axes: 1 }));
    loss = add(mul(loss, 1 - smoothing), mul(uniform, smoothing / classes));
  }
  if (mask) loss = mul(loss, mask);
  if (reduction === 'none') return reshape(loss, targets.shape);
  const total = sum(loss);
  // NOTE: 0 kept targets gives 0 · (1/0) = NaN, which is what torch returns.
  return reduction === 'sum' ? total : mul(total, 1 / kept);
}

/** Checks dtype, shape and every id; returns the ids (ignored → 0), the 0/1 keep mask and its count. */
function checkTargets(where: string, inputName: string, inputShape: readonly number[], targets: unknown, ignoreIndex: number) {
  if (!(targets instanceof Tensor)) throw new TypeError(`${where}: targets must be an int32 Tensor of class ids; got ${describe(targets)}`);
  if (targets.dtype !== 'int32') {
    throw new K.DTypeError(
      `${where}: targets must be an int32 tensor of class ids; got ${targets.dtype} (class-probability targets are not supported; convert ids with .to('int32'))`);
  }
  const expected = inputShape.slice(0, -1);
  if (!K.sameShape(targets.shape, expected)) {
    throw new K.ShapeError(`${where}: targets must be ${K.fmt(expected)} for ${inputName} ${K.fmt(inputShape)}; got ${K.fmt(targets.shape)}`);
  }
  const classes = inputShape[inputShape.length - 1]!;
  const raw = K.contiguous(targets.data);
  const ids = new Int32Array(raw.length), keep = new Int32Array(raw.length);
  let kept = 0;
  for (let k = 0; k < raw.length; k++) {
    const t = raw[k]!;
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= classes) {
      throw new RangeError(
        `${where}: target ${t} is out of range for ${classes} classes (at ${K.fmt(unravel(k, targets.shape))}; ignoreIndex is ${ignoreIndex})`);
    }
    ids[k] = t;
    keep[k] = 1;
    kept++;
  }
  return { ids, keep, kept };
}
