// The loops inside lstmSequence: forward and backward through time, in JS (either dtype) and with the
// WebAssembly SIMD pointwise steps (float32), and what forward keeps for backward.
import * as K from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { gemmCall } from '@unroll/core/internal';
import { HeapLayout, isPadded, newArray, readSlot, writeSlot } from './common.js';
import type { SequenceData } from './common.js';
import { inputProjection } from './one-hot.js';
import { lstmBackwardRow, lstmForwardRow } from './lstm-kernels.js';
import type { PeepholeGrads, Peepholes } from './lstm-kernels.js';
import { takeBuffer } from './pool.js';
import { scratch, scratchZeros64 } from './scratch.js';
import { stepGemm } from './wasm/runtime.js';
import type { PointwiseWasm } from './wasm/runtime.js';
import type { Region } from '@unroll/core/internal';
import { forwardWasmLoop, throughTimeWasmLoop } from './wasm-loops.js';

/** What backward reads. hs and cs hold T + 1 slots of [B, H]: the initial state and each step's. */
export interface Saved extends SequenceData {
  maxLen: number;
  /** [T, B, 4H]: i|f|g|o after their nonlinearities. */
  act: FloatArray;
  hs: FloatArray; cs: FloatArray;
  /** [T, B, H]: tanh(c_t). */
  tc: FloatArray;
  peep: Peepholes | null;
  /**
   * The region of the runtime's memory that act, cs and tc view when the WebAssembly forward kept them
   * there for backward (no copy out and back in), else null (they are pool buffers).
   */
  kept: Region | null;
  /** A copy of hs in the kept region (the weight gradient's gemm reads it there without a copy), or null. */
  hsKept: FloatArray | null;
}

/** What both forward loops take: sizes, flat inputs and the attrs. */
export interface ForwardArgs extends SequenceData {
  /** b_ih + b_hh [4H], or null. */
  bias: FloatArray | null;
  peep: Peepholes | null;
  h0: FloatArray; c0: FloatArray;
  reverse: boolean; lengths: Int32Array | null; maxLen: number; record: boolean;
}

/**
 * The forward loop's per-step values: act [T, B, 4H] (i|f|g|o), hs and cs [T + 1, B, H] (slots, see
 * common.ts), tc [T, B, H] = tanh(c). hs is fresh (the outputs view it); act, cs and tc come from the
 * pool when recording (back to it on release) and are scratch otherwise (tc is then not written).
 */
export interface ForwardValues { act: FloatArray; hs: FloatArray; cs: FloatArray; tc: FloatArray; kept: Region | null; hsKept: FloatArray | null }

/** The forward loop in JS, either dtype: one gemm for x·W_ihᵀ, then per step one gemm and the rows. */
export function forwardJs(s: ForwardArgs): ForwardValues {
  const { T, B, H, dtype, Whh, bias, peep, reverse, lengths, maxLen, record } = s;
  const G = 4 * H, BH = B * H;
  const act = record ? takeBuffer(dtype, T * B * G) : scratch('lstm.act', dtype, T * B * G);
  const hs = newArray(dtype, (T + 1) * BH);
  const cs = record ? takeBuffer(dtype, (T + 1) * BH) : scratch('lstm.cs', dtype, (T + 1) * BH);
  const tc = record ? takeBuffer(dtype, T * BH) : null;
  const hh = scratch('lstm.hh', dtype, B * G);
  const fast = dtype === 'float32';

  // x·W_ihᵀ for every step at once: one gemm [T·B, I] · [I, 4H] (a gather when x is one-hot).
  inputProjection(s, G, act, 0);
  const first = (reverse ? T : 0) * BH;
  hs.set(s.h0, first);
  cs.set(s.c0, first);
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const prev = readSlot(t, reverse) * BH, next = writeSlot(t, reverse) * BH;
    if (t >= maxLen) {
      // Every sequence is padded here: the state carries over unchanged.
      hs.copyWithin(next, prev, prev + BH);
      cs.copyWithin(next, prev, prev + BH);
      continue;
    }
    K.gemm(false, true, B, G, H, 1, hs, prev, H, Whh, 0, H, 0, hh, 0, G);
    for (let b = 0; b < B; b++) {
      const r = b * H, row = t * B + b;
      if (isPadded(lengths, t, b)) {
        hs.copyWithin(next + r, prev + r, prev + r + H);
        cs.copyWithin(next + r, prev + r, prev + r + H);
        continue;
      }
      lstmForwardRow(H, fast, act, row * G, hh, b * G, bias, cs, prev + r, peep, cs, next + r, hs, next + r, tc, row * H);
    }
  }
  return { act, hs, cs, tc: tc ?? act, kept: null, hsKept: null };
}

/**
 * The same loop for float32 with the WebAssembly SIMD step: every per-step buffer lives in the runtime's
 * memory, W_hh is packed there once for the whole sequence, and each step is one queued job [gemm
 * h·W_hhᵀ, pointwise step] split by batch rows over the threads; what the outputs and backward need is
 * copied out once at the end. Null when that memory cannot hold them.
 */
export function forwardWasm(w: PointwiseWasm, s: ForwardArgs): ForwardValues | null {
  const { T, B, H, bias, reverse, record } = s;
  const G = 4 * H, BH = B * H;
  const L = new HeapLayout();
  const oAct = L.region(T * B * G), oHh = L.region(B * G), oBias = L.region(G);
  const oHs = L.region((T + 1) * BH), oCs = L.region((T + 1) * BH), oTc = L.region(T * BH), oWhh = L.region(G * H);
  return forwardWasmLoop(w, s, {
    G, layout: L, whhAt: oWhh, xgAt: oAct, ghAt: oHh, states: [oHs, oCs],
    setUp(heap) {
      if (bias) heap.set(bias, oBias);
      else heap.fill(0, oBias, oBias + G);
      const first = (reverse ? T : 0) * BH;
      heap.set(s.h0, oHs + first);
      heap.set(s.c0, oCs + first);
    },
    kernel: (t, prev, next) => w.call(w.lstmForward, B, H, oAct + t * B * G, oHh, oBias, oCs + prev, oCs + next, oHs + next, oTc + t * BH),
    result(heap) {
      const hs = heap.slice(oHs, oHs + (T + 1) * BH);
      const view = (at: number, n: number) => heap.subarray(at, at + n);
      if (!record) return { act: heap, hs, cs: view(oCs, (T + 1) * BH), tc: heap, kept: null, hsKept: null };
      // A shared memory's views survive its growth: backward reads what this loop wrote where it is.
      if (w.rt.shared) {
        return { act: view(oAct, T * B * G), hs, cs: view(oCs, (T + 1) * BH), tc: view(oTc, T * BH), kept: w.detach(),
          hsKept: view(oHs, (T + 1) * BH) };
      }
      const copy = (at: number, n: number) => { const out = takeBuffer('float32', n); out.set(heap.subarray(at, at + n)); return out; };
      return { act: copy(oAct, T * B * G), hs, cs: copy(oCs, (T + 1) * BH), tc: copy(oTc, T * BH), kept: null, hsKept: null };
    },
  });
}

/**
 * Backward through time's result: d(pre-activations) of every step, [T·B, 4H] at dG[dGAt..] (what
 * every weight gradient is one gemm over), dh0 and dc0 [B, H] at dh[dhAt..] and dc[dcAt..], and the
 * peephole gradients. All of it scratch: read before the op's backward returns.
 */
export interface ThroughTime {
  dG: FloatArray; dGAt: number; dh: FloatArray; dhAt: number; dc: FloatArray; dcAt: number;
  acc: PeepholeGrads | null;
}

/** Backward through time in JS, either dtype: per step the rows' pointwise backward and one gemm for dh. */
export function throughTimeJs(s: Saved, reverse: boolean, lengths: Int32Array | null,
  DY: FloatArray, dhT: FloatArray, dcT: FloatArray): ThroughTime {
  const { T, B, H, dtype, maxLen, act, cs, tc, peep } = s;
  const G = 4 * H, BH = B * H;
  const dh = scratch('lstm.dh', dtype, BH);
  const dc = scratch('lstm.dc', dtype, BH);
  dh.set(dhT);
  dc.set(dcT);
  const dG = scratch('lstm.dG', dtype, T * B * G);
  const acc: PeepholeGrads | null = peep
    ? { ci: scratchZeros64('lstm.dci', H), cf: scratchZeros64('lstm.dcf', H), co: scratchZeros64('lstm.dco', H) }
    : null;
  for (let k = 0; k < T; k++) {
    const t = reverse ? k : T - 1 - k;
    if (t >= maxLen) {
      // A fully padded step: the state passed through, so dh and dc do too; its output was a constant 0.
      dG.fill(0, t * B * G, (t + 1) * B * G);
      continue;
    }
    backwardRows(s, t, reverse, lengths, act, 0, cs, 0, tc, 0, DY, 0, dh, 0, dc, 0, dG, 0, acc);
    // dh_prev = d(pre-activations)·W_hh, added to the padded rows' untouched dh (the others were zeroed).
    K.gemm(false, false, B, H, G, 1, dG, t * B * G, G, s.Whh, 0, H, 1, dh, 0, H);
  }
  return { dG, dGAt: 0, dh, dhAt: 0, dc, dcAt: 0, acc };
}

/** The JS rows of step t's backward on arrays at the given offsets (padded rows get dG = 0 and keep dh, dc). */
function backwardRows(s: Saved, t: number, reverse: boolean, lengths: Int32Array | null,
  act: FloatArray, actAt: number, cs: FloatArray, csAt: number, tc: FloatArray, tcAt: number, DY: FloatArray, dyAt: number,
  dh: FloatArray, dhAt: number, dc: FloatArray, dcAt: number, dG: FloatArray, dGAt: number, acc: PeepholeGrads | null): void {
  const { B, H } = s;
  const G = 4 * H, BH = B * H;
  const prev = csAt + readSlot(t, reverse) * BH, next = csAt + writeSlot(t, reverse) * BH;
  for (let b = 0; b < B; b++) {
    const r = b * H, row = t * B + b;
    if (isPadded(lengths, t, b)) {
      dG.fill(0, dGAt + row * G, dGAt + row * G + G);
      continue;
    }
    lstmBackwardRow(H, act, actAt + row * G, cs, prev + r, cs, next + r, tc, tcAt + row * H,
      dh, dhAt + r, true, DY, dyAt + row * H, dc, dcAt + r, dc, dcAt + r, dG, dGAt + row * G, s.peep, acc);
  }
}

/**
 * Backward through time for float32 with the WebAssembly SIMD step: what it reads is copied into the
 * runtime's memory once, W_hh is packed there once, and each step is one queued job [pointwise backward,
 * gemm dh = dG·W_hh] split by batch rows over the threads. A step with padded rows runs the JS rows on the
 * same memory. Null when that memory cannot hold them.
 */
export function throughTimeWasm(w: PointwiseWasm, s: Saved, reverse: boolean, lengths: Int32Array | null,
  DY: FloatArray, dhT: FloatArray, dcT: FloatArray): ThroughTime | null {
  const { T, B, H, maxLen } = s;
  const G = 4 * H, BH = B * H, TB = T * B;
  const L = new HeapLayout();
  // What forward kept in the runtime's memory is read where it is; otherwise it is copied in.
  const inPlace = s.kept !== null;
  const [oAct, oCs, oTc] = inPlace ? [0, 0, 0] : [L.region(TB * G), L.region((T + 1) * BH), L.region(T * BH)];
  const oDy = L.region(T * BH);
  const oDh = L.region(BH), oDc = L.region(BH), oDG = L.region(TB * G), oWhh = L.region(G * H);
  /** Byte addresses of act, cs and tc (float offsets a, c, t into each). */
  const savedAt = (a: number, c: number, t: number) => inPlace
    ? [s.act.byteOffset + 4 * a, s.cs.byteOffset + 4 * c, s.tc.byteOffset + 4 * t]
    : [w.address(oAct + a), w.address(oCs + c), w.address(oTc + t)];
  return throughTimeWasmLoop(w, {
    T, B, H, G, maxLen, Whh: s.Whh, layout: L, whhAt: oWhh,
    copyIn(heap) {
      if (!inPlace) {
        heap.set(s.act, oAct);
        heap.set(s.cs, oCs);
        heap.set(s.tc, oTc);
      }
      heap.set(DY, oDy);
      heap.set(dhT, oDh);
      heap.set(dcT, oDc);
    },
    pastEnd: (heap, t) => heap.fill(0, oDG + t * B * G, oDG + (t + 1) * B * G),
    kernel: (t) => w.callAt(w.lstmBackward, B, H, ...savedAt(t * B * G, readSlot(t, reverse) * BH, t * BH),
      ...[oDh, oDy + t * BH, oDc, oDG + t * B * G].map(w.address)),
    rows: (heap, t) => inPlace
      ? backwardRows(s, t, reverse, lengths, s.act, 0, s.cs, 0, s.tc, 0, heap, oDy, heap, oDh, heap, oDc, heap, oDG, null)
      : backwardRows(s, t, reverse, lengths, heap, oAct, heap, oCs, heap, oTc, heap, oDy, heap, oDh, heap, oDc, heap, oDG, null),
    // After the kernel dh = dG·W_hh overwrites dh (row by row in the same part); after the JS rows it adds
    // to the padded rows' untouched dh (the others were zeroed).
    gemm: (t, whh, afterRows) => stepGemm(gemmCall(true, false, false, B, H, G, 1, w.address(oDG + t * B * G), G, whh, H,
      afterRows ? 1 : 0, w.address(oDh), H)),
    result(take) {
      const [dG, dGAt] = take(oDG, TB * G), [dh, dhAt] = take(oDh, BH), [dc, dcAt] = take(oDc, BH);
      return { dG, dGAt, dh, dhAt, dc, dcAt, acc: null };
    },
  }, reverse, lengths);
}
