// crossEntropy's fused primitive: log-softmax, the target pick, label smoothing, the ignore mask and
// the reduction in one pass per row, and one pass back. Composed, the same loss is seven recorded ops
// (logSoftmax, gather, neg, sum, mul, …) whose backward scatters into a zero [rows, C] gradient and walks
// it three more times; on a char model's [2048, 65] logits that was ~5% of a training step.
//
// Speed (W1's [2048, 65] float32 logits; interleaved A/B in the commit messages): the row loops come in
// one copy per dtype so every array access is monomorphic, an ignored row costs nothing, float32's sweep
// over the elements runs on core's WebAssembly runtime where it can (softmax-exp-wasm.ts), and what
// backward reads (softmax) lives in a buffer recycled from the previous step's released node: a fresh
// half-megabyte array costs more in page faults and zeroing than the loop that fills it. Results are bit
// for bit those of the plain per-row formula (test/nn/cross-entropy-kernel.test.ts).
import * as K from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { defineOp } from '../../define-op.js';
import type { Tensor } from '../../tensor.js';
import { expFloat32 } from '@unroll/core/internal';
import { expRowsWasm } from './softmax-exp-wasm.js';

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

/**
 * The forward's working memory: softmax(x) of every kept row in the logits' dtype (ignored rows are not
 * written; all that backward reads), and per row the shift and Σ_c exp(x_c − shift) in float64. Its arrays
 * may be longer than the call needs.
 */
interface Scratch<A extends FloatArray = FloatArray> { readonly probs: A; readonly sums: Float64Array; readonly shifts: Float64Array }

// One spare Scratch per dtype, handed back by `release` after backward and taken by the next forward.
// NOTE: a node that is never released (retainGraph, a graph dropped unwalked) leaves its Scratch to the
// garbage collector, and a second loss alive at once gets a fresh one: the spare is never shared.
const spare: { float32: Scratch<Float32Array> | null; float64: Scratch<Float64Array> | null } = { float32: null, float64: null };
// Larger buffers are not kept: a huge vocabulary's [rows, C] would otherwise stay pinned for good.
const MAX_SPARE_ELEMENTS = 1 << 22;

function takeScratch(dtype: 'float32', size: number, rows: number): Scratch<Float32Array>;
function takeScratch(dtype: 'float64', size: number, rows: number): Scratch<Float64Array>;
function takeScratch(dtype: K.FloatDType, size: number, rows: number): Scratch {
  const s = spare[dtype];
  if (s !== null && s.probs.length >= size && s.sums.length >= rows) {
    spare[dtype] = null;
    return s;
  }
  return { probs: dtype === 'float32' ? new Float32Array(size) : new Float64Array(size), sums: new Float64Array(rows), shifts: new Float64Array(rows) };
}

function giveBack(s: Scratch): void {
  if (s.probs.length > MAX_SPARE_ELEMENTS) return;
  if (s.probs instanceof Float32Array) {
    if (spare.float32 === null || spare.float32.probs.length < s.probs.length) spare.float32 = s as Scratch<Float32Array>;
  } else if (spare.float64 === null || spare.float64.probs.length < s.probs.length) {
    spare.float64 = s as Scratch<Float64Array>;
  }
}

/*
 * Forward, per row i with t its target, lse = shift + log Σ_c exp(x_c − shift) (shift: the row's max):
 *   ℓᵢ = keepᵢ · (lse − (1 − ε)·x_t − (ε/C)·Σ_c x_c)
 * which is −(1 − ε)·log p_t − (ε/C)·Σ_c log p_c, p = softmax(x). Sums run in float64; each output is
 * rounded once. First the sweep over every element of the kept rows (`expRows*`: the shift, Σ e and
 * p = e / Σ, rounded to the dtype as it is stored), then `lossRows` per row. float32 logits take eˣ from
 * `expFloat32` (relative error < 1e-8, within a float32 ulp of Math.exp once rounded; ~3× faster), on the
 * WebAssembly runtime where it runs (softmax-exp-wasm.ts, the same bits), float64 from Math.exp. The two
 * JS copies differ only in their types and that exp: keep them in step.
 */
function expRows32(
  x: Float32Array, rows: number, classes: number, keep: Int32Array, probs: Float32Array, sums: Float64Array, shifts: Float64Array,
): void {
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    // An ignored row adds 0 and gets no gradient: nothing of it is read.
    if (keep[i] === 0) continue;
    const end = o + classes;
    let max = -Infinity;
    for (let c = o; c < end; c++) if (x[c]! > max) max = x[c]!;
    // An all −∞ row (or one holding +∞) shifts by 0, so its lse is what the unshifted sum gives.
    const shift = Number.isFinite(max) ? max : 0;
    let s = 0;
    for (let c = o; c < end; c++) {
      const e = expFloat32(x[c]! - shift);
      probs[c] = e;
      s += e;
    }
    // exp(x − lse) = e / Σ: one division, not a second exp.
    for (let c = o; c < end; c++) probs[c] = probs[c]! / s;
    sums[i] = s;
    shifts[i] = shift;
  }
}

function expRows64(
  x: Float64Array, rows: number, classes: number, keep: Int32Array, probs: Float64Array, sums: Float64Array, shifts: Float64Array,
): void {
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    if (keep[i] === 0) continue;
    const end = o + classes;
    let max = -Infinity;
    for (let c = o; c < end; c++) if (x[c]! > max) max = x[c]!;
    const shift = Number.isFinite(max) ? max : 0;
    let s = 0;
    for (let c = o; c < end; c++) {
      const e = Math.exp(x[c]! - shift);
      probs[c] = e;
      s += e;
    }
    // exp(x − lse) = e / Σ: one division, not a second exp.
    for (let c = o; c < end; c++) probs[c] = probs[c]! / s;
    sums[i] = s;
    shifts[i] = shift;
  }
}

/** ℓᵢ from each row's shift and Σ e into `per` (when given, 0 for an ignored row); returns Σᵢ ℓᵢ in row order. */
function lossRows(
  x: FloatArray, rows: number, classes: number, a: SoftmaxCrossEntropyAttrs, sums: Float64Array, shifts: Float64Array, per: FloatArray | null,
): number {
  const { ids, keep, smoothing } = a;
  const onTarget = 1 - smoothing, spread = smoothing / classes;
  let loss = 0;
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    if (keep[i] === 0) { if (per !== null) per[i] = 0; continue; }
    const l = shifts[i]! + Math.log(sums[i]!), picked = x[o + ids[i]!]!;
    let li = l - picked;
    if (smoothing !== 0) {
      let total = 0;
      for (let c = o, end = o + classes; c < end; c++) total += x[c]!;
      li = l - onTarget * picked - spread * total;
    }
    if (per !== null) per[i] = li;
    loss += li;
  }
  return loss;
}

/*
 * Backward: dx[i, c] = gᵢ · keepᵢ · (p_c − (1 − ε)·[c = t] − ε/C), p the saved softmax, gᵢ = dy·scale
 * or dy[i]. `out` is fresh (it becomes the gradient) and so starts zeroed: ignored rows stay 0.
 */
function backward32(
  probs: Float32Array, rows: number, classes: number, a: SoftmaxCrossEntropyAttrs, g: FloatArray, out: Float32Array,
): void {
  const { ids, keep, smoothing, scale } = a;
  const onTarget = 1 - smoothing, spread = smoothing / classes;
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    if (keep[i] === 0) continue;
    const gi = scale === null ? g[i]! : g[0]! * scale, end = o + classes;
    if (spread === 0) for (let c = o; c < end; c++) out[c] = gi * probs[c]!;
    else for (let c = o; c < end; c++) out[c] = gi * (probs[c]! - spread);
    const t = o + ids[i]!;
    out[t] = gi * (probs[t]! - spread - onTarget);
  }
}

function backward64(
  probs: Float64Array, rows: number, classes: number, a: SoftmaxCrossEntropyAttrs, g: FloatArray, out: Float64Array,
): void {
  const { ids, keep, smoothing, scale } = a;
  const onTarget = 1 - smoothing, spread = smoothing / classes;
  for (let i = 0, o = 0; i < rows; i++, o += classes) {
    if (keep[i] === 0) continue;
    const gi = scale === null ? g[i]! : g[0]! * scale, end = o + classes;
    if (spread === 0) for (let c = o; c < end; c++) out[c] = gi * probs[c]!;
    else for (let c = o; c < end; c++) out[c] = gi * (probs[c]! - spread);
    const t = o + ids[i]!;
    out[t] = gi * (probs[t]! - spread - onTarget);
  }
}

const op = defineOp<SoftmaxCrossEntropyAttrs, 'logits', never, Scratch>({
  name: 'softmaxCrossEntropy',
  inputs: ['logits'] as const,
  forward: ({ logits }, a, { recording }) => {
    const [rows, classes] = logits.shape as [number, number];
    const x = K.contiguous(logits) as FloatArray;
    const per = a.scale === null ? (x instanceof Float32Array ? new Float32Array(rows) : new Float64Array(rows)) : null;
    let scratch: Scratch;
    if (x instanceof Float32Array) {
      const s = (scratch = takeScratch('float32', rows * classes, rows));
      if (!expRowsWasm(x, rows, classes, a.keep, s.probs, s.sums, s.shifts)) expRows32(x, rows, classes, a.keep, s.probs, s.sums, s.shifts);
    } else {
      const s = (scratch = takeScratch('float64', rows * classes, rows));
      expRows64(x as Float64Array, rows, classes, a.keep, s.probs, s.sums, s.shifts);
    }
    const loss = lossRows(x, rows, classes, a, scratch.sums, scratch.shifts, per);
    // Not recorded: nothing will read the scratch, so the next call may have it at once.
    if (!recording) giveBack(scratch);
    const saved = recording ? scratch : undefined;
    if (per !== null) return { outputs: [K.fromData(per, [rows])], saved };
    return { outputs: [K.full([], loss * a.scale!, { dtype: K.dtypeOf(x) })], saved };
  },
  backward: ({ dy, saved, shapes, attrs: a }) => ({
    logits: () => {
      const [rows, classes] = shapes.logits as [number, number];
      const g = K.contiguous(dy) as FloatArray;
      if (saved.probs instanceof Float32Array) {
        const out = new Float32Array(rows * classes);
        backward32(saved.probs, rows, classes, a, g, out);
        return K.fromData(out, [rows, classes]);
      }
      const out = new Float64Array(rows * classes);
      backward64(saved.probs as Float64Array, rows, classes, a, g, out);
      return K.fromData(out, [rows, classes]);
    },
  }),
  release: giveBack,
});

/**
 * The fused loss on logits [rows, C] (float32 or float64): per-row losses [rows] when `scale` is null,
 * else their sum times `scale`. Targets, mask and smoothing come checked from crossEntropy.
 */
export const softmaxCrossEntropy = (logits: Tensor, attrs: SoftmaxCrossEntropyAttrs): Tensor => op.apply([logits], attrs);
