// gruSequence: a whole GRU layer over a sequence as ONE recorded op, reset-after (PyTorch/cuDNN) or
// reset-before (Cho et al. 2014): the input projection in one gemm, the recurrence one gemm per step
// (two for reset-before), the pointwise step fused, and backward through time with gemms.
import * as K from '@unroll/core';
import { paddingBounds } from '../padding.js';
import { defineOp } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { HiddenState } from '../cell.js';
import {
  columnSums, copyOf, dtypeOfArray, flat, inputGrad, newArray, outputsOf, prepareSequence, readSlot, simdKernels, swapBatchTime, wrap,
} from './common.js';
import type { FusedSequenceOptions, LayerWeights } from './common.js';
import { oneHotRows, weightIhGrad } from './one-hot.js';
import { forwardJs, forwardWasm, throughTimeJs, throughTimeWasm } from './gru-loops.js';
import type { ForwardArgs, Saved } from './gru-loops.js';
import { giveBack } from './pool.js';
import { freeKept, keepRegion } from './wasm/runtime.js';
import { wasmRuntime } from '@unroll/core/internal';

interface Attrs {
  readonly reverse: boolean;
  readonly lengths: Int32Array | null;
  readonly resetAfter: boolean;
}

const gruSequenceOp = defineOp({
  name: 'gruSequence',
  inputs: ['x', 'h0', 'weightIh', 'weightHh', 'biasIh', 'biasHh'] as const,
  optional: ['biasIh', 'biasHh'],
  // Backward reads x and the weights through `saved` (flat views): declared so an in-place change is caught.
  save: ['x', 'weightIh', 'weightHh'],
  forward: ({ x, h0, weightIh, weightHh, biasIh, biasHh }, a: Attrs, { recording }) => {
    const [T, B, I] = x.shape as [number, number, number];
    const H = h0.shape[1], BH = B * H;
    const X = flat(x), Wih = flat(weightIh), Whh = flat(weightHh);
    const dtype = dtypeOfArray(X);
    const bi = biasIh && flat(biasIh), bh = biasHh && flat(biasHh);
    const { reverse, lengths, resetAfter } = a;
    const { maxLen } = paddingBounds(lengths, T);
    const args: ForwardArgs = {
      T, B, I, H, dtype, X, Wih, Whh, hot: oneHotRows(X, T * B, I), bi, bh, h0: flat(h0), reverse, lengths, maxLen, record: recording,
    };
    // float32 reset-after runs the WebAssembly SIMD step when the engine has it (H a multiple of 4 lanes).
    const wasm = simdKernels(dtype, resetAfter, H);
    const { hs, save, rh, kept, hsKept } = (wasm && forwardWasm(wasm, args)) ?? forwardJs(args, resetAfter);

    const ys = outputsOf(hs, T, B, H, reverse, lengths, dtype);
    const last = (reverse ? 0 : T) * BH;
    const saved: Saved | undefined = recording ? { T, B, I, H, dtype, maxLen, X, Wih, Whh, hot: args.hot, hs, save, rh, kept, hsKept } : undefined;
    if (saved && kept) keepRegion(saved, wasm!.rt, kept);
    return { outputs: [wrap(ys, [T, B, H]), wrap(hs.subarray(last, last + BH), [B, H])], saved };
  },

  // save and rh were only ever read by backward (hs backs the outputs and X is the input's).
  release: (s) => {
    if (s.kept) freeKept(s, wasmRuntime()!, s.kept);
    else giveBack(s.save, s.rh);
  },

  backward: ({ dys, saved: s, attrs: a }) => {
    const { T, B, H, dtype } = s;
    // The kept copy of hs lives in the kernel memory: the weight gradients' gemms read it without a copy.
    const hs = s.hsKept ?? s.hs;
    const G = 3 * H, BH = B * H, TB = T * B;
    const [DY, dhT] = dys.map((d) => flat(d));
    // float32 reset-after runs the WebAssembly SIMD step backward when the engine has it.
    const wasm = simdKernels(dtype, a.resetAfter, H);
    const { dXg, xAt, dHg, hAt, dh, dhAt } = (wasm && throughTimeWasm(wasm, s, a.reverse, a.lengths, DY, dhT))
      ?? throughTimeJs(s, a.reverse, a.lengths, a.resetAfter, DY, dhT);
    return {
      x: () => inputGrad(s, dXg, xAt, G),
      h0: () => wrap(copyOf(dh, dhAt, BH), [B, H]),
      weightIh: () => weightIhGrad(s, dXg, xAt, G, wasm),
      weightHh: () => {
        const dw = newArray(dtype, G * H);
        const hPrev = readSlot(0, a.reverse) * BH;
        if (a.resetAfter || s.rh === null) {
          K.gemm(true, false, G, H, TB, 1, dHg, hAt, G, hs, hPrev, H, 0, dw, 0, H);
        } else {
          // Rows r|z of W_hh multiply h_{t−1}; rows n multiply r ⊙ h_{t−1}.
          K.gemm(true, false, 2 * H, H, TB, 1, dHg, hAt, G, hs, hPrev, H, 0, dw, 0, H);
          K.gemm(true, false, H, H, TB, 1, dHg, hAt + 2 * H, G, s.rh, 0, H, 0, dw, 2 * H * H, H);
        }
        return wrap(dw, [G, H]);
      },
      biasIh: () => wrap(columnSums(dXg, xAt, TB, G, G, dtype, wasm), [G]),
      biasHh: () => wrap(columnSums(dHg, hAt, TB, G, G, dtype, wasm), [G]),
    };
  },
});

/**
 * The weights of one GRU layer, in PyTorch's layout (gate order r|z|n): weightIh [3H, I], weightHh [3H, H],
 * biasIh and biasHh [3H] each, both or neither.
 */
export interface GRUSequenceWeights extends LayerWeights {}

/** Options of `gruSequence`: the runner's, and the GRU form. */
export interface GRUSequenceOptions extends FusedSequenceOptions {
  /** true (default, PyTorch/cuDNN): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); false: Cho et al. 2014. */
  resetAfter?: boolean;
}

/**
 * A whole GRU layer over a sequence as one fused op — what `unroll` runs for a `GRUCell`. Same
 * equations as `GRUCell`:
 *
 *     r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))          (resetAfter: true)
 *     n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)          (resetAfter: false)
 *     h' = (1 − z) ⊙ n + z ⊙ h
 *
 * x·W_ihᵀ for all steps is one gemm; each step is one gemm h·W_hhᵀ (reset-before: two, the second
 * on r ⊙ h) and the fused pointwise step; backward runs through time with one gemm per step for dh
 * (two for reset-before) and gives dW_ih, dW_hh and dx as whole-sequence gemms.
 *
 * Shapes: x [T, B, I] (or [B, T, I] with batchFirst), state.h [B, H] → outputs [T, B, H]
 * (or batch-first), state { h } [B, H].
 */
export function gruSequence(x: Tensor, state: HiddenState, weights: GRUSequenceWeights,
  opts: GRUSequenceOptions = {}): { outputs: Tensor; state: HiddenState } {
  const resetAfter = opts.resetAfter ?? true;
  const { resetAfter: _, ...common } = opts;
  const { xs, lengths, reverse, batchFirst } = prepareSequence('gruSequence', 3, x, { h: state?.h }, weights, common);
  const w = weights;
  const [ys, h] = gruSequenceOp.applyMulti({
    x: xs, h0: state.h, weightIh: w.weightIh, weightHh: w.weightHh, biasIh: w.biasIh, biasHh: w.biasHh,
  }, { reverse, lengths, resetAfter });
  return { outputs: swapBatchTime(ys, batchFirst), state: { h } };
}
