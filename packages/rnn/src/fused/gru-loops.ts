// The loops inside gruSequence: forward and backward through time, in JS (either dtype, either form)
// and with the WebAssembly SIMD pointwise steps (float32, reset-after), and what forward keeps for backward.
import * as K from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { gemmCall } from '@unroll/core/internal';
import { HeapLayout, isPadded, newArray, readSlot, writeSlot } from './common.js';
import type { SequenceData } from './common.js';
import { inputProjection } from './one-hot.js';
import {
  gruBackwardCandidateRow, gruBackwardGatesRow, gruBackwardRow, gruCandidateRow, gruForwardRow, gruGatesRow,
} from './gru-kernels.js';
import { takeBuffer } from './pool.js';
import { scratch } from './scratch.js';
import { stepGemm } from './wasm/runtime.js';
import type { PointwiseWasm } from './wasm/runtime.js';
import type { Region } from '@unroll/core/internal';
import { forwardWasmLoop, throughTimeWasmLoop } from './wasm-loops.js';

/** What backward reads. */
export interface Saved extends SequenceData {
  maxLen: number;
  /** [T + 1, B, H] hidden states (slots: see common.ts). */
  hs: FloatArray;
  /** [T, B, 4H]: r|z|n|h_n per step (h_n unused by reset-before). */
  save: FloatArray;
  /** [T, B, H]: r ⊙ h_{t−1} (reset-before only). */
  rh: FloatArray | null;
  /**
   * The region of the runtime's memory where the WebAssembly forward kept `save` and a copy of hs
   * (`hsKept`) for backward (read in place, no copy out and back in), else null (save is a pool buffer).
   */
  kept: Region | null;
  hsKept: FloatArray | null;
}

/** What both forward loops take. */
export interface ForwardArgs extends SequenceData {
  bi: FloatArray | null; bh: FloatArray | null; h0: FloatArray;
  reverse: boolean; lengths: Int32Array | null; maxLen: number; record: boolean;
}

/**
 * hs [T + 1, B, H] (fresh: the outputs view it), save [T, B, 4H] (r|z|n|h_n) and, reset-before,
 * rh [T, B, H] — from the pool when recording (back to it on release), else scratch.
 */
export interface ForwardValues { hs: FloatArray; save: FloatArray; rh: FloatArray | null; kept: Region | null; hsKept: FloatArray | null }

/** The forward loop in JS, either dtype and either form. */
export function forwardJs(s: ForwardArgs, resetAfter: boolean): ForwardValues {
  const { T, B, H, dtype, Whh, bi, bh, reverse, lengths, maxLen, record } = s;
  const G = 3 * H, S = 4 * H, BH = B * H, TB = T * B;
  const fast = dtype === 'float32';
  // x·W_ihᵀ for every step at once; the biases are added inside the pointwise step.
  const xg = scratch('gru.xg', dtype, TB * G);
  inputProjection(s, G, xg, 0);
  const save = record ? takeBuffer(dtype, TB * S) : scratch('gru.save', dtype, TB * S);
  const rh = resetAfter ? null : record ? takeBuffer(dtype, TB * H) : scratch('gru.rh', dtype, TB * H);
  const hs = newArray(dtype, (T + 1) * BH);
  const gh = scratch('gru.gh', dtype, B * G);
  const hn = resetAfter ? null : scratch('gru.hn', dtype, BH);
  hs.set(s.h0, (reverse ? T : 0) * BH);

  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const prev = readSlot(t, reverse) * BH, next = writeSlot(t, reverse) * BH;
    if (t >= maxLen) {
      hs.copyWithin(next, prev, prev + BH);
      rh?.fill(0, t * BH, (t + 1) * BH);
      continue;
    }
    if (resetAfter) {
      K.gemm(false, true, B, G, H, 1, hs, prev, H, Whh, 0, H, 0, gh, 0, G);
      for (let b = 0; b < B; b++) {
        const r = b * H, row = t * B + b;
        if (isPadded(lengths, t, b)) hs.copyWithin(next + r, prev + r, prev + r + H);
        else gruForwardRow(H, fast, xg, row * G, bi, gh, b * G, bh, hs, prev + r, hs, next + r, save, row * S);
      }
    } else {
      // r and z first (h·W_{hr|hz}ᵀ), then the candidate's product with r ⊙ h.
      K.gemm(false, true, B, 2 * H, H, 1, hs, prev, H, Whh, 0, H, 0, gh, 0, 2 * H);
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        // A padded row's r ⊙ h is zero: dW_hn multiplies it by its zero gradient (a recycled rh holds stale values).
        if (isPadded(lengths, t, b)) rh!.fill(0, row * H, row * H + H);
        else gruGatesRow(H, fast, xg, row * G, bi, gh, b * 2 * H, bh, hs, prev + b * H, save, row * S, rh!, row * H);
      }
      K.gemm(false, true, B, H, H, 1, rh!, t * BH, H, Whh, 2 * H * H, H, 0, hn!, 0, H);
      for (let b = 0; b < B; b++) {
        const r = b * H, row = t * B + b;
        if (isPadded(lengths, t, b)) hs.copyWithin(next + r, prev + r, prev + r + H);
        else gruCandidateRow(H, fast, xg, row * G, bi, hn!, r, bh, hs, prev + r, hs, next + r, save, row * S);
      }
    }
  }
  return { hs, save, rh, kept: null, hsKept: null };
}

/**
 * The reset-after loop for float32 with the WebAssembly SIMD step: the per-step buffers live in the
 * runtime's memory, W_hh is packed there once, and each step is one queued job [gemm h·W_hhᵀ, pointwise
 * step] split by batch rows over the threads; what backward needs is copied out once at the end. Null
 * when that memory cannot hold them.
 */
export function forwardWasm(w: PointwiseWasm, s: ForwardArgs): ForwardValues | null {
  const { T, B, H, bi, bh, reverse, record } = s;
  const G = 3 * H, S = 4 * H, BH = B * H, TB = T * B;
  const L = new HeapLayout();
  const oXg = L.region(TB * G), oGh = L.region(B * G), oBi = L.region(G), oBh = L.region(G);
  const oHs = L.region((T + 1) * BH), oSave = L.region(TB * S), oWhh = L.region(G * H);
  return forwardWasmLoop(w, s, {
    G, layout: L, whhAt: oWhh, xgAt: oXg, ghAt: oGh, states: [oHs],
    setUp(heap) {
      for (const [b, at] of [[bi, oBi], [bh, oBh]] as const) {
        if (b) heap.set(b, at);
        else heap.fill(0, at, at + G);
      }
      heap.set(s.h0, oHs + (reverse ? T : 0) * BH);
    },
    kernel: (t, prev, next) => w.call(w.gruForward, B, H, oXg + t * B * G, oBi, oGh, oBh, oHs + prev, oHs + next, oSave + t * B * S),
    result(heap) {
      const hs = heap.slice(oHs, oHs + (T + 1) * BH);
      // A shared memory's views survive its growth: backward reads what this loop wrote where it is.
      if (record && w.rt.shared) {
        const save = heap.subarray(oSave, oSave + TB * S), hsKept = heap.subarray(oHs, oHs + (T + 1) * BH);
        return { hs, save, rh: null, kept: w.detach(), hsKept };
      }
      let save: FloatArray = heap;
      if (record) {
        save = takeBuffer('float32', TB * S);
        save.set(heap.subarray(oSave, oSave + TB * S));
      }
      return { hs, save, rh: null, kept: null, hsKept: null };
    },
  });
}

/**
 * Backward through time's result, all scratch: the x-side and h-side pre-activation gradients
 * [T·B, 3H] at dXg[xAt..] and dHg[hAt..] (one array for reset-before, where they are equal) and
 * dh0 [B, H] at dh[dhAt..].
 */
export interface ThroughTime { dXg: FloatArray; xAt: number; dHg: FloatArray; hAt: number; dh: FloatArray; dhAt: number }

/** Backward through time in JS, either dtype and either form. */
export function throughTimeJs(s: Saved, reverse: boolean, lengths: Int32Array | null, resetAfter: boolean,
  DY: FloatArray, dhT: FloatArray): ThroughTime {
  const { T, B, H, dtype, maxLen, hs, save } = s;
  const G = 3 * H, S = 4 * H, BH = B * H, TB = T * B;
  const dh = scratch('gru.dh', dtype, BH);
  dh.set(dhT);
  // Gradients of the x-side and h-side pre-activations, [T·B, 3H] each; reset-before has one for both.
  const dXg = scratch('gru.dXg', dtype, TB * G);
  const dHg = resetAfter ? scratch('gru.dHg', dtype, TB * G) : dXg;
  const drh = resetAfter ? null : scratch('gru.drh', dtype, BH);
  for (let k = 0; k < T; k++) {
    const t = reverse ? k : T - 1 - k;
    if (t >= maxLen) {
      dXg.fill(0, t * B * G, (t + 1) * B * G);
      dHg.fill(0, t * B * G, (t + 1) * B * G);
      continue;
    }
    const prev = readSlot(t, reverse) * BH;
    for (let b = 0; b < B; b++) {
      const r = b * H, row = t * B + b;
      if (isPadded(lengths, t, b)) {
        // The state passed through: dh stays, and nothing reaches this step's pre-activations.
        dXg.fill(0, row * G, row * G + G);
        dHg.fill(0, row * G, row * G + G);
      } else if (resetAfter) {
        gruBackwardRow(H, save, row * S, hs, prev + r, dh, r, DY, row * H, dXg, row * G, dHg, row * G, dh, r);
      } else {
        gruBackwardCandidateRow(H, save, row * S, hs, prev + r, dh, r, DY, row * H, dXg, row * G, dh, r);
      }
    }
    if (resetAfter) {
      K.gemm(false, false, B, H, G, 1, dHg, t * B * G, G, s.Whh, 0, H, 1, dh, 0, H);
    } else {
      // d(r ⊙ h) = dan·W_hn, then dar; finally dh += [dar, daz]·W_{hr|hz}.
      K.gemm(false, false, B, H, H, 1, dXg, t * B * G + 2 * H, G, s.Whh, 2 * H * H, H, 0, drh!, 0, H);
      for (let b = 0; b < B; b++) {
        const r = b * H, row = t * B + b;
        if (!isPadded(lengths, t, b)) gruBackwardGatesRow(H, save, row * S, hs, prev + r, drh!, r, dXg, row * G, dh, r);
      }
      K.gemm(false, false, B, H, 2 * H, 1, dXg, t * B * G, G, s.Whh, 0, H, 1, dh, 0, H);
    }
  }
  return { dXg, xAt: 0, dHg, hAt: 0, dh, dhAt: 0 };
}

/**
 * Reset-after backward through time for float32 with the WebAssembly SIMD step: what it reads is
 * copied into the runtime's memory once, W_hh is packed there once, and each step is one queued job
 * [pointwise backward, gemm dh += dG_h·W_hh] split by batch rows over the threads. A step with padded
 * rows runs the JS rows on the same memory. Null when that memory cannot hold them.
 */
export function throughTimeWasm(w: PointwiseWasm, s: Saved, reverse: boolean, lengths: Int32Array | null,
  DY: FloatArray, dhT: FloatArray): ThroughTime | null {
  const { T, B, H, maxLen } = s;
  const G = 3 * H, S = 4 * H, BH = B * H, TB = T * B;
  const L = new HeapLayout();
  // What forward kept in the runtime's memory is read where it is; otherwise it is copied in.
  const inPlace = s.kept !== null && s.hsKept !== null;
  const [oSave, oHs] = inPlace ? [0, 0] : [L.region(TB * S), L.region((T + 1) * BH)];
  const oDy = L.region(T * BH), oDh = L.region(BH);
  const oDx = L.region(TB * G), oDh3 = L.region(TB * G), oWhh = L.region(G * H);
  const prev = (t: number) => oHs + readSlot(t, reverse) * BH;
  // In place, save and hs are their own arrays (oSave = oHs = 0); else regions of the heap. Byte addresses for the kernel:
  const byteAt = (a: FloatArray, at: number) => (inPlace ? a.byteOffset + 4 * at : w.address(at));
  return throughTimeWasmLoop(w, {
    T, B, H, G, maxLen, Whh: s.Whh, layout: L, whhAt: oWhh,
    copyIn(heap) {
      if (!inPlace) {
        heap.set(s.save, oSave);
        heap.set(s.hs, oHs);
      }
      heap.set(DY, oDy);
      heap.set(dhT, oDh);
    },
    pastEnd(heap, t) {
      heap.fill(0, oDx + t * B * G, oDx + (t + 1) * B * G);
      heap.fill(0, oDh3 + t * B * G, oDh3 + (t + 1) * B * G);
    },
    kernel: (t) => w.callAt(w.gruBackward, B, H, byteAt(s.save, oSave + t * B * S), byteAt(s.hsKept ?? s.hs, prev(t)),
      ...[oDh, oDy + t * BH, oDx + t * B * G, oDh3 + t * B * G].map(w.address)),
    rows(heap, t) {
      const p = prev(t);
      const sv = inPlace ? s.save : heap, hp = inPlace ? s.hsKept! : heap;
      for (let b = 0; b < B; b++) {
        const r = b * H, row = t * B + b;
        if (isPadded(lengths, t, b)) {
          heap.fill(0, oDx + row * G, oDx + row * G + G);
          heap.fill(0, oDh3 + row * G, oDh3 + row * G + G);
        } else {
          gruBackwardRow(H, sv, oSave + row * S, hp, p + r, heap, oDh + r, heap, oDy + row * H,
            heap, oDx + row * G, heap, oDh3 + row * G, heap, oDh + r);
        }
      }
    },
    // dh += dG_h·W_hh after the kernel or the rows alike: both leave dh's direct part in place.
    gemm: (t, whh) => stepGemm(gemmCall(true, false, false, B, H, G, 1, w.address(oDh3 + t * B * G), G, whh, H, 1, w.address(oDh), H)),
    result(take) {
      const [dXg, xAt] = take(oDx, TB * G), [dHg, hAt] = take(oDh3, TB * G), [dh, dhAt] = take(oDh, BH);
      return { dXg, xAt, dHg, hAt, dh, dhAt };
    },
  }, reverse, lengths);
}
