// lstmSequence: a whole LSTM layer over a sequence as ONE recorded op (cuDNN-style): the input
// projection of every step in one gemm, one gemm per step for the recurrence, the pointwise step
// fused, and a hand-written backward through time whose weight gradients are single gemms.
import * as K from '@unroll/core';
import { paddingBounds } from '../padding.js';
import { defineOp } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { FloatArray, NdArray } from '@unroll/core';
import type { LSTMState } from '../cell.js';
import {
  checkShape, columnSums, copyOf, dtypeOfArray, flat, inputGrad, newArray, outputsOf, prepareSequence, readSlot, simdKernels, swapBatchTime, wrap,
} from './common.js';
import type { FusedSequenceOptions, LayerWeights } from './common.js';
import { oneHotRows, weightIhGrad } from './one-hot.js';

export type { FusedSequenceOptions } from './common.js';
import { forwardJs, forwardWasm, throughTimeJs, throughTimeWasm } from './lstm-loops.js';
import type { ForwardArgs, Saved } from './lstm-loops.js';
import { giveBack } from './pool.js';
import { scratch } from './scratch.js';
import { freeKept, keepRegion } from './wasm/runtime.js';
import { wasmRuntime } from '@unroll/core/internal';

interface Attrs {
  readonly reverse: boolean;
  /** Real length of each sequence, or null (all `time`). */
  readonly lengths: Int32Array | null;
}

const lstmSequenceOp = defineOp({
  name: 'lstmSequence',
  inputs: ['x', 'h0', 'c0', 'weightIh', 'weightHh', 'biasIh', 'biasHh', 'weightCi', 'weightCf', 'weightCo'] as const,
  optional: ['biasIh', 'biasHh', 'weightCi', 'weightCf', 'weightCo'],
  // Backward reads x and the weights through `saved` (flat views): declared so an in-place change is caught.
  save: ['x', 'weightIh', 'weightHh', 'weightCi', 'weightCf', 'weightCo'],
  forward: ({ x, h0, c0, weightIh, weightHh, biasIh, biasHh, weightCi, weightCf, weightCo }, a: Attrs, { recording }) => {
    const [T, B, I] = x.shape as [number, number, number];
    const H = h0.shape[1], G = 4 * H, BH = B * H;
    const X = flat(x), Wih = flat(weightIh), Whh = flat(weightHh);
    const dtype = dtypeOfArray(X);
    let bias: FloatArray | null = null;
    if (biasIh && biasHh) {
      // b_ih + b_hh once, in the dtype, as the composed cell adds them.
      bias = scratch('lstm.bias', dtype, G);
      const bi = flat(biasIh), bh = flat(biasHh);
      for (let j = 0; j < G; j++) bias[j] = bi[j] + bh[j];
    }
    const peep = weightCi && weightCf && weightCo ? { ci: flat(weightCi), cf: flat(weightCf), co: flat(weightCo) } : null;
    const { reverse, lengths } = a;
    const { maxLen } = paddingBounds(lengths, T);
    const args: ForwardArgs = {
      T, B, I, H, dtype, X, Wih, Whh, hot: oneHotRows(X, T * B, I), bias, peep, h0: flat(h0), c0: flat(c0), reverse, lengths, maxLen, record: recording,
    };
    // float32 without peepholes runs the WebAssembly SIMD step when the engine has it (H a multiple of 4 lanes).
    const wasm = simdKernels(dtype, peep === null, H);
    const { act, hs, cs, tc, kept, hsKept } = (wasm && forwardWasm(wasm, args)) ?? forwardJs(args);

    const ys = outputsOf(hs, T, B, H, reverse, lengths, dtype);
    const last = (reverse ? 0 : T) * BH;
    const hT = hs.subarray(last, last + BH);
    // A copy even when recording: cs goes back to the pool after backward.
    const cT = copyOf(cs, last, BH);
    const saved: Saved | undefined = recording ? { T, B, I, H, dtype, maxLen, X, Wih, Whh, hot: args.hot, act, hs, cs, tc, peep, kept, hsKept } : undefined;
    if (saved && kept) keepRegion(saved, wasm!.rt, kept);
    return { outputs: [wrap(ys, [T, B, H]), wrap(hT, [B, H]), wrap(cT, [B, H])], saved };
  },

  // act, cs and tc were only ever read by backward (hs backs the outputs and X is the input's).
  release: (s) => {
    if (s.kept) freeKept(s, wasmRuntime()!, s.kept);
    else giveBack(s.act, s.cs, s.tc);
  },

  backward: ({ dys, saved: s, attrs: a, needs }) => {
    const { T, B, H, dtype, hs } = s;
    const G = 4 * H, BH = B * H, TB = T * B;
    const [DY, dhT, dcT] = dys.map((d) => flat(d));
    // float32 without peepholes runs the WebAssembly SIMD step backward when the engine has it.
    const wasm = simdKernels(dtype, s.peep === null, H);
    const { dG, dGAt, dh, dhAt, dc, dcAt, acc } = (wasm && throughTimeWasm(wasm, s, a.reverse, a.lengths, DY, dhT, dcT))
      ?? throughTimeJs(s, a.reverse, a.lengths, DY, dhT, dcT);
    // One column sum serves both biases (their gradients are equal).
    let db: FloatArray | null = null;
    const biasGrad = () => (db ??= columnSums(dG, dGAt, TB, G, G, dtype, wasm));
    const peephole = (v: Float64Array) => () => { const o = newArray(dtype, H); o.set(v); return wrap(o, [H]); };
    return {
      x: () => inputGrad(s, dG, dGAt, G),
      h0: () => wrap(copyOf(dh, dhAt, BH), [B, H]),
      c0: () => wrap(copyOf(dc, dcAt, BH), [B, H]),
      weightIh: () => weightIhGrad(s, dG, dGAt, G, wasm),
      weightHh: () => {
        // Σ_t dG_tᵀ · h_{t−1} over all steps at once: [4H, T·B] · [T·B, H].
        const dw = newArray(dtype, G * H);
        // hs's kept copy lives in the kernel memory: read there without a copy.
        K.gemm(true, false, G, H, TB, 1, dG, dGAt, G, s.hsKept ?? hs, readSlot(0, a.reverse) * BH, H, 0, dw, 0, H);
        return wrap(dw, [G, H]);
      },
      biasIh: () => wrap(biasGrad(), [G]),
      biasHh: () => wrap(needs.biasIh ? biasGrad().slice() : biasGrad(), [G]),
      ...(acc && { weightCi: peephole(acc.ci), weightCf: peephole(acc.cf), weightCo: peephole(acc.co) }),
    };
  },
});

/**
 * The weights of one LSTM layer, in PyTorch's layout (gate order i|f|g|o): weightIh [4H, I], weightHh [4H, H],
 * biasIh and biasHh [4H] each, both or neither.
 */
export interface LSTMSequenceWeights extends LayerWeights {
  /** Peephole diagonals [H], all three or none. */
  readonly weightCi?: Tensor | null;
  readonly weightCf?: Tensor | null;
  readonly weightCo?: Tensor | null;
}

/**
 * A whole LSTM layer over a sequence as one fused op — what `unroll` runs for a standard `LSTMCell`
 * (sigmoid/tanh, forget gate, optionally peepholes). Same equations as `LSTMCell`:
 *
 *     [a_i, a_f, a_g, a_o] = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh
 *     i = σ(a_i + w_ci ⊙ c)   f = σ(a_f + w_cf ⊙ c)   g = tanh(a_g)
 *     c_t = f ⊙ c_{t−1} + i ⊙ g   o = σ(a_o + w_co ⊙ c_t)   h_t = o ⊙ tanh(c_t)
 *
 * Forward: x·W_ihᵀ for all T steps in ONE gemm [T·B, I]·[I, 4H], then per step one gemm
 * h·W_hhᵀ [B, H]·[H, 4H] and the fused pointwise step. Backward: per step the fused pointwise
 * backward and one gemm for dh; then dW_hh = dGᵀ·H_prev [4H, T·B]·[T·B, H], dW_ih and dx each one
 * gemm, db one column sum. Scratch buffers are reused between calls; only what is returned or kept
 * for backward is allocated.
 *
 * Shapes: x [T, B, I] (or [B, T, I] with batchFirst), state.h, state.c [B, H] →
 * outputs [T, B, H] (or batch-first), state { h, c } [B, H] (each sequence's after its last real step).
 */
export function lstmSequence(x: Tensor, state: LSTMState, weights: LSTMSequenceWeights,
  opts: FusedSequenceOptions = {}): { outputs: Tensor; state: LSTMState } {
  const who = 'lstmSequence';
  const w = weights;
  const peeps = [w.weightCi, w.weightCf, w.weightCo];
  const { xs, lengths, reverse, batchFirst } = prepareSequence(who, 4, x, { h: state?.h, c: state?.c }, w, opts, (H) => {
    const peephole = peeps.some((p) => p);
    if (peephole && !peeps.every((p) => p)) throw new TypeError(`${who}: give all three peepholes (weightCi, weightCf, weightCo), or none`);
    if (peephole) (['weightCi', 'weightCf', 'weightCo'] as const).forEach((n) => checkShape(who, n, w[n], [H], '[hidden]'));
  }, [['weightCi', w.weightCi], ['weightCf', w.weightCf], ['weightCo', w.weightCo]]);
  const [ys, h, c] = lstmSequenceOp.applyMulti({
    x: xs, h0: state.h, c0: state.c, weightIh: w.weightIh, weightHh: w.weightHh,
    biasIh: w.biasIh, biasHh: w.biasHh, weightCi: w.weightCi, weightCf: w.weightCf, weightCo: w.weightCo,
  }, { reverse, lengths });
  return { outputs: swapBatchTime(ys, batchFirst), state: { h, c } };
}
