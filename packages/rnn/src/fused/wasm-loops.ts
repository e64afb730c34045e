// The skeletons the fused LSTM's and GRU's WebAssembly SIMD loops share, forward and backward through
// time: reserve the runtime's memory for the cell's heap layout, pack W_hh there once, fill the heap, then
// step through time on it. Each cell gives its regions, its kernel calls and its JS rows.
import * as K from '@unroll/core';
import { paddingBounds } from '../padding.js';
import type { FloatArray } from '@unroll/core';
import { freePacked, gemmCall, packMatrix } from '@unroll/core/internal';
import type { Call, PackedMatrix } from '@unroll/core/internal';
import { keepPaddedRows, readSlot, writeSlot } from './common.js';
import { gatherTable, inputProjection } from './one-hot.js';
import type { HeapLayout, SequenceData } from './common.js';
import { stepGemm, stepParts } from './wasm/runtime.js';
import type { PointwiseWasm } from './wasm/runtime.js';

let sequenceJobs = true;

/**
 * Switches whole-sequence jobs on (default: the steps where no row is padded run as one job, see
 * `WasmRuntime.runSteps`) or off (one job per step, as before), for tests and benchmarks that compare
 * the two; the results are the same. Returns the previous setting.
 */
export function setSequenceJobs(on: boolean): boolean {
  const before = sequenceJobs;
  sequenceJobs = on;
  return before;
}

/** What one cell supplies to `forwardWasmLoop`; offsets are float offsets into the runtime's region. */
export interface WasmForwardCell<R> {
  /** G = gates·H, the width of x·W_ihᵀ and h·W_hhᵀ. */
  G: number;
  /** The cell's heap layout, with W_hh [G, H] at `whhAt`, x·W_ihᵀ [T·B, G] at `xgAt`, h·W_hhᵀ [B, G] at `ghAt`. */
  layout: HeapLayout; whhAt: number; xgAt: number; ghAt: number;
  /** The state buffers [T + 1, B, H] (slots, see common.ts), h's first: padded rows keep their slots. */
  states: readonly number[];
  /** Writes what the steps read besides x·W_ihᵀ (biases, the initial states) into `heap`. */
  setUp(heap: Float32Array): void;
  /** Step t's pointwise kernel over all B rows, reading slot offset `prev` and writing `next` of the states. */
  kernel(t: number, prev: number, next: number): Call;
  /** The forward values, read from `heap` once the loop is done. */
  result(heap: Float32Array): R;
}

/**
 * The forward loop on the runtime's memory: x·W_ihᵀ for every step at once, then per step one queued job
 * [gemm h·W_hhᵀ, pointwise step] split by batch rows over the threads (padded rows then keep their state);
 * a step past every sequence's end carries the state over. Null when that memory cannot hold the layout
 * or the packed W_hh.
 */
export function forwardWasmLoop<R>(w: PointwiseWasm, s: SequenceData & { reverse: boolean; lengths: Int32Array | null; maxLen: number },
  c: WasmForwardCell<R>): R | null {
  const { T, B, H, Whh, reverse, lengths, maxLen } = s;
  const { G, states } = c;
  const BH = B * H, hsAt = states[0]!;
  // One-hot x: W_ihᵀ and the hot columns go into the heap, and each step gathers its own rows of x·W_ihᵀ
  // right before its gemm (in the same job, on the same rows), rather than all T·B rows up front.
  const [tableAt, hotAt] = s.hot ? [c.layout.region(s.I * G), c.layout.region(T * B)] : [-1, -1];
  if (w.reserve(c.layout.top) === null) return null;
  w.view().set(Whh, c.whhAt);
  // The step's B operand is W_hhᵀ [H, G], packed once here rather than at every step.
  const whh = packMatrix(true, H, G, w.address(c.whhAt), H);
  if (whh === null) return null;
  try {
    const gather = tableAt >= 0 && gatherTable(s, G, w.view(), tableAt, hotAt);
    if (!gather) inputProjection(s, G, w.view(), c.xgAt, w);
    const heap = w.view(); // after the gemm, which may have grown the memory
    c.setUp(heap);
    const { minLen } = paddingBounds(lengths, T);
    const parts = stepParts(w, B, B * G * H);
    const step = (t: number) => {
      const prev = readSlot(t, reverse) * BH, next = writeSlot(t, reverse) * BH;
      const calls = [
        stepGemm(gemmCall(true, false, true, B, G, H, 1, w.address(hsAt + prev), H, whh, H, 0, w.address(c.ghAt), G)),
        c.kernel(t, prev, next),
      ];
      if (gather) calls.unshift({ kernel: w.gatherStepRows, args: [B, 4 * G, w.address(tableAt), w.address(hotAt + t * B), w.address(c.xgAt + t * B * G)] });
      return calls;
    };
    // The steps where no row is padded (t < minLen, contiguous in either direction) form ONE job: each
    // part carries its batch rows through all of them (rows are independent sequences), so the threads
    // meet once per sequence, not once per step. The calls are the per-step ones: the same results.
    const clean = (k: number) => sequenceJobs && (reverse ? k >= T - minLen : k < minLen);
    for (let k = 0; k < T; k++) {
      if (clean(k)) {
        const from = k;
        while (k + 1 < T && clean(k + 1)) k++;
        // Waking the workers is paid once for all these steps, so their total work decides the split.
        w.rt.runSteps(k - from + 1, (i) => step(reverse ? T - 1 - (from + i) : from + i), stepParts(w, B, (k - from + 1) * B * G * H));
        continue;
      }
      const t = reverse ? T - 1 - k : k;
      const prev = readSlot(t, reverse) * BH, next = writeSlot(t, reverse) * BH;
      if (t >= maxLen) {
        // Every sequence is padded here: the state carries over unchanged.
        for (const o of states) heap.copyWithin(o + next, o + prev, o + prev + BH);
        continue;
      }
      w.rt.run(step(t), parts);
      if (t >= minLen) keepPaddedRows(heap, states, lengths, t, B, H, prev, next);
    }
    return c.result(heap);
  } finally {
    freePacked(whh);
  }
}

/** What one cell supplies to `throughTimeWasmLoop`; offsets are float offsets into the runtime's region. */
export interface WasmThroughTimeCell<R> {
  /** Sizes and W_hh [G, H] (flat). */
  T: number; B: number; H: number; G: number; maxLen: number; Whh: FloatArray;
  /** The cell's heap layout, W_hh's region already in it at `whhAt`. */
  layout: HeapLayout; whhAt: number;
  /** Copies what the loop reads (saved arrays, DY, the final state's gradients) into `heap`. */
  copyIn(heap: Float32Array): void;
  /** Step t is past every sequence's end: zero its pre-activation gradients. */
  pastEnd(heap: Float32Array, t: number): void;
  /** Step t's pointwise backward kernel over all B rows (used when no row is padded). */
  kernel(t: number): Call;
  /** Step t's pointwise backward in JS, row by row (padded rows keep their state's gradients). */
  rows(heap: Float32Array, t: number): void;
  /** Step t's gemm dh (+)= dG·W_hh with the packed W_hh; `afterRows` when the JS rows ran this step. */
  gemm(t: number, whh: PackedMatrix, afterRows: boolean): Call;
  /** The result, its arrays taken with `take` (the heap itself, or a copy where the memory is not shared). */
  result(take: (at: number, n: number) => [FloatArray, number]): R;
}

/**
 * Backward through time on the runtime's memory, steps from last to first (first to last when `reverse`):
 * a step past maxLen zeroes its rows; a step with no padded row is one queued job [kernel, gemm] split by
 * batch rows over the threads; a step with padded rows runs the JS rows on the same memory, then the gemm.
 * Null when that memory cannot hold the layout or the packed W_hh.
 */
export function throughTimeWasmLoop<R>(w: PointwiseWasm, c: WasmThroughTimeCell<R>, reverse: boolean,
  lengths: Int32Array | null): R | null {
  const { T, B, H, G, maxLen } = c;
  if (w.reserve(c.layout.top) === null) return null;
  w.view().set(c.Whh, c.whhAt);
  // The step's B operand is W_hh [G, H] itself, packed once for the whole sequence.
  const whh = packMatrix(false, G, H, w.address(c.whhAt), H);
  if (whh === null) return null;
  try {
    const heap = w.view();
    c.copyIn(heap);
    const { minLen } = paddingBounds(lengths, T);
    const parts = stepParts(w, B, B * G * H);
    const step = (t: number) => [c.kernel(t), c.gemm(t, whh, false)];
    for (let k = 0; k < T; k++) {
      const t = reverse ? k : T - 1 - k;
      if (t >= maxLen) {
        c.pastEnd(heap, t);
      } else if (t < minLen) {
        // The steps with no padded row are contiguous in the walk (t < minLen): one job for all, as forward.
        if (sequenceJobs) {
          const count = reverse ? minLen - t : t + 1;
          w.rt.runSteps(count, (i) => step(reverse ? t + i : t - i), stepParts(w, B, count * B * G * H));
          k += count - 1;
        } else {
          w.rt.run(step(t), parts);
        }
      } else {
        c.rows(heap, t);
        w.rt.run([c.gemm(t, whh, true)], parts);
      }
    }
    // Growing an unshared memory detaches its views, and the gemms that consume this result may grow it.
    const take = (at: number, n: number): [FloatArray, number] => (w.rt.shared ? [heap, at] : [heap.slice(at, at + n), 0]);
    return c.result(take);
  } finally {
    freePacked(whh);
  }
}
