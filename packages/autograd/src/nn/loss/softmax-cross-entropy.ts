// crossEntropy's fused primitive: log-softmax, the target pick, label smoothing, the ignore mask and
// the reduction in one pass per row, and one pass back. Composed, the same loss is seven recorded ops
// (logSoftmax, gather, neg, sum, mul, …) whose backward scatters into a zero [rows, C] gradient and walks
// it three more times; on a char model's [2048, 65] logits that was ~5% of a training step.
import * as K from '@unroll/core';
import { defineOp } from '../../define-op.js';
import type { Tensor } from '../../tensor.js';
import { expFloat32 } from './fast-exp.js';

/** What the fused op needs besides the logits [rows, C] (checked by crossEntropy before it gets here). */
export interface SoftmaxCrossEntropyAttrs {
  /** The target class of each row (an ignored row reads class 0; its `keep` is 0). */
  readonly ids: Int32Array;
  /** 1 for a counted row, 0 for an ignored one. */
  readonly keep: Int32Array;
  /** Label smoothing ε in [0, 1]. */
  readonly smoothing: number;
  /** null: per-row losses [rows]; else the scalar scale · Σ rows (1 for 'sum', 1/kept for 'mean'). */
  readonly scale: number | null;
}

/** softmax(logits), row-major [rows, C], in the logits' dtype: all that backward reads. */
interface Saved { readonly probs: Float32Array | Float64Array }

/**
 * Per row i, with lse = log Σ_c exp(x_c) (shifted by the row's max) and t the target:
 *   ℓᵢ = keepᵢ · (lse − (1 − ε)·x_t − (ε/C)·Σ_c x_c)
 * which is −(1 − ε)·log p_t − (ε/C)·Σ_c log p_c, p = softmax(x), written to `probs`. Sums run in
 * float64; each output is rounded once. float32 logits take eˣ from `expFloat32` (relative error < 1e-8,
 * so probabilities and losses within a float32 ulp of Math.exp's; ~3× faster); float64 from Math.exp.
 */
function forwardRows(
  x: ArrayLike<number>, rows: number, classes: number, a: SoftmaxCrossEntropyAttrs, probs: Float32Array | Float64Array, out: Float64Array,
): void {
  const { ids, keep, smoothing } = a;
  const onTarget = 1 - smoothing, spread = smoothing / classes;
  const fast = probs instanceof Float32Array;
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (x[o + c]! > max) max = x[o + c]!;
    // An all −∞ row (or one holding +∞) shifts by 0, so its lse is what the unshifted sum gives.
    const shift = Number.isFinite(max) ? max : 0;
    let s = 0, total = 0;
    for (let c = 0; c < classes; c++) {
      const v = x[o + c]!;
      const e = fast ? expFloat32(v - shift) : Math.exp(v - shift);
      probs[o + c] = e;
      s += e;
      total += v;
    }
    const l = shift + Math.log(s);
    // exp(x − lse) = e / s: one division per element instead of a second exp in backward.
    for (let c = 0; c < classes; c++) probs[o + c] = probs[o + c]! / s;
    if (keep[i] === 0) { out[i] = 0; continue; }
    const picked = x[o + ids[i]!]!;
    out[i] = smoothing === 0 ? l - picked : l - onTarget * picked - spread * total;
  }
}

const op = defineOp<SoftmaxCrossEntropyAttrs, 'logits', never, Saved>({
  name: 'softmaxCrossEntropy',
  inputs: ['logits'] as const,
  forward: ({ logits }, a) => {
    const [rows, classes] = logits.shape as [number, number];
    const x = K.contiguous(logits);
    const dtype = K.dtypeOf(logits.data);
    const probs = dtype === 'float64' ? new Float64Array(rows * classes) : new Float32Array(rows * classes);
    const per = new Float64Array(rows);
    forwardRows(x, rows, classes, a, probs, per);
    if (a.scale === null) return { outputs: [K.cast(K.fromData(per, [rows]), dtype)], saved: { probs } };
    let total = 0;
    for (let i = 0; i < rows; i++) total += per[i]!;
    return { outputs: [K.full([], total * a.scale, { dtype })], saved: { probs } };
  },
  // dx[i, c] = gᵢ · keepᵢ · (softmax(x)[c] − (1 − ε)·[c = t] − ε/C), with gᵢ = dy·scale or dy[i].
  backward: ({ dy, saved: { probs }, shapes, attrs: a }) => ({
    logits: () => {
      const [rows, classes] = shapes.logits as [number, number];
      const g = K.contiguous(dy);
      const dx = K.empty([rows, classes], K.dtypeOf(dy.data));
      const out = dx.data;
      const { ids, keep, smoothing, scale } = a;
      const onTarget = 1 - smoothing, spread = smoothing / classes;
      for (let i = 0, o = 0; i < rows; i++, o += classes) {
        if (keep[i] === 0) { out.fill(0, o, o + classes); continue; }
        const gi = scale === null ? g[i]! : g[0]! * scale;
        for (let c = 0; c < classes; c++) out[o + c] = gi * (probs[o + c]! - spread);
        out[o + ids[i]!] = gi * (probs[o + ids[i]!]! - spread - onTarget);
      }
      return dx;
    },
  }),
});

/**
 * The fused loss on logits [rows, C] (float32 or float64): per-row losses [rows] when `scale` is null,
 * else their sum times `scale`. Targets, mask and smoothing come checked from crossEntropy.
 */
export const softmaxCrossEntropy = (logits: Tensor, attrs: SoftmaxCrossEntropyAttrs): Tensor => op.apply([logits], attrs);
