// Everything compiled sequences take from the machine, in one place: gemm, buffers, float32 fast math,
// and (float32) core's WebAssembly kernel runtime: resident step buffers and packed recurrent weights.
import * as K from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { expFloat32, freePacked, gemmCall, packMatrix, wasmRuntime } from '@unroll/core/internal';
import type { Call, Kernel, PackedMatrix, Region, WasmRuntime } from '@unroll/core/internal';
import { sigmoidFast, tanhFast } from '../fused/fast-math.js';
import { giveBack, takeBuffer } from '../fused/pool.js';
import { scratch } from '../fused/scratch.js';

export type { FloatDType } from '@unroll/core';
import type { FloatDType } from '@unroll/core';

/** C = α·op(A)·op(B) + β·C on flat row-major arrays with offsets and leading dimensions (core's gemm). */
export const gemm = K.gemm;

/** A pooled array (stale contents) for values kept until backward; return it with `release`. */
export const take = takeBuffer;
/** Hands pooled arrays back (only arrays nothing else can reach). */
export const release = giveBack;

/** A per-slot scratch array reused from call to call (never kept past one synchronous call). */
export function scratchSlot(name: string, dtype: FloatDType, size: number): FloatArray {
  return scratch(`compiled.${name}`, dtype, size);
}

/** A fresh zero-filled array. */
export function fresh(dtype: FloatDType, size: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

// float32 forward rules with the fused kernels' fast math (accurate to float32 rounding); the
// partials stay the ops' own (they read y, which these compute).
const FAST: Record<string, (x: number) => number> = { tanh: tanhFast, sigmoid: sigmoidFast, exp: expFloat32 };

/** The fast float32 forward of an elementwise op, when there is one. */
export function fastForward(op: string): ((x: number) => number) | undefined {
  return Object.hasOwn(FAST, op) ? FAST[op] : undefined;
}

// ---- float32 on core's WebAssembly runtime: resident buffers and packed recurrent weights ----

// The memory never shrinks: beyond this a compiled float32 sequence runs its gemms from JS arrays.
const MAX_RESIDENT_BYTES = 512 * 2 ** 20;

/**
 * Step gemms worth splitting over the threads: at least 2¹⁶ multiply-adds (waking a worker costs a few
 * µs) and 4 batch rows per part. Rows are independent, and a part always computes the same rows the same
 * way, so results do not depend on which thread ran it.
 */
export function stepParts(rt: WasmRuntime, rows: number, work: number): number {
  if (work < 1 << 16) return 1;
  return Math.max(1, Math.min(rt.threads(), Math.floor(rows / 4)));
}

/**
 * Some slots of a compiled float32 sequence laid out in ONE region of core's kernel memory, so the
 * per-step recurrent gemms read and write them in place (no copies in or out), with each recurrent weight
 * packed there once per forward (or backward) pass. Slots hold views of the region; `bind` re-fetches
 * them after the memory grew (a non-shared memory detaches old views). Free it with `close`.
 */
export class Resident {
  private readonly packs: PackedMatrix[] = [];
  private buffer: ArrayBufferLike | null = null;
  private bound: FloatArray[] | null = null;

  private constructor(readonly rt: WasmRuntime, readonly region: Region, private readonly at: readonly number[],
    private readonly sizes: readonly number[]) {}

  /**
   * A region holding slot k's `sizes[k]` floats (0: the slot stays a JS array); null where the runtime
   * cannot run, the dtype is float64, or the memory cannot hold them (callers then use the JS gemm).
   */
  static open(dtype: FloatDType, sizes: readonly number[]): Resident | null {
    if (dtype !== 'float32' || !enabled) return null;
    const rt = wasmRuntime();
    if (!rt) return null;
    const at: number[] = [];
    let top = 0;
    for (const n of sizes) {
      at.push(top);
      top += Math.ceil(n / 16) * 16; // 64-byte aligned slots
    }
    if (top * 4 > MAX_RESIDENT_BYTES) return null;
    const region = rt.alloc(Math.max(top, 16));
    if (!region) return null;
    passes++;
    return new Resident(rt, region, at, sizes);
  }

  /** The region's size in bytes. */
  get bytes(): number {
    return this.region.floats * 4;
  }

  /** Whether slot k lives in the region. */
  has(k: number): boolean {
    return (this.sizes[k] ?? 0) > 0;
  }

  /** Puts the region's views into V for its slots (fresh ones when the memory grew since). */
  bind(V: FloatArray[]): void {
    const heap = this.rt.f32();
    if (heap.buffer === this.buffer && V === this.bound) return;
    this.buffer = heap.buffer;
    this.bound = V;
    const base = this.region.at / 4;
    this.sizes.forEach((n, k) => { if (n > 0) V[k] = heap.subarray(base + this.at[k]!, base + this.at[k]! + n); });
  }

  /** Floats slot k spans in the region: its size rounded up to the 16-float (64-byte) alignment. */
  span(k: number): number {
    return Math.ceil((this.sizes[k] ?? 0) / 16) * 16;
  }

  /** Byte address of float `offset` of slot k. */
  address(k: number, offset: number): number {
    return this.region.at + 4 * (this.at[k]! + offset);
  }

  /** op(W) [k, n] packed for this pass (W copied into the memory when it is not there). */
  pack(transB: boolean, k: number, n: number, W: FloatArray, ld: number): PackedMatrix {
    let at = this.rt.addressOf(W as Float32Array);
    let temp: Region | null = null;
    if (at < 0) {
      temp = this.rt.alloc(W.length);
      if (!temp) throw new Error('compileCell: the WebAssembly memory could not grow for a recurrent weight');
      this.rt.f32().set(W, temp.at / 4);
      at = temp.at;
    }
    const packed = packMatrix(transB, k, n, at, ld);
    this.rt.free(temp);
    if (!packed) throw new Error('compileCell: the WebAssembly memory could not grow for a packed recurrent weight');
    this.packs.push(packed);
    return packed;
  }

  /** The queued call C[c..] = A[a..]·W (+ C when accumulate), split by rows (B batch rows). */
  gemmCall(m: number, n: number, k: number, a: number, lda: number, w: PackedMatrix, accumulate: boolean, c: number, ldc: number): Call {
    const call = gemmCall(true, false, false, m, n, k, 1, a, lda, w, 0, accumulate ? 1 : 0, c, ldc);
    if (!call) throw new Error('compileCell: the WebAssembly memory could not grow for a recurrent gemm');
    return call;
  }

  /** The parts a step of `rows` batch rows whose largest gemm does `work` multiply-adds is split into. */
  parts(rows: number, work: number): number {
    return stepParts(this.rt, rows, work);
  }

  /** A view of int32 slot k (an argument block, flags), fresh after the memory grew. */
  int32(k: number): Int32Array {
    return new Int32Array(this.rt.memory.buffer, this.address(k, 0), this.sizes[k]!);
  }

  /** Frees the packed weights (the region stays until `close`). */
  unpack(): void {
    for (const p of this.packs.splice(0)) freePacked(p);
  }

  /** Frees the region and the packed weights. */
  close(): void {
    this.unpack();
    this.rt.free(this.region);
  }
}

let enabled = true;
let passes = 0;
/** How many passes (forwards, backwards) have run on the runtime so far: for tests that it is used. */
export function residentPasses(): number {
  return passes;
}
/**
 * Switches compiled float32 sequences' resident WebAssembly gemms on (default) or off (then they run
 * core's `gemm` on JS arrays), for tests comparing the two. Returns the previous setting.
 */
export function setResidentGemm(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

/** Core's kernel runtime for a compiled sequence of this dtype: float32 with resident gemms on; else null. */
export function residentRuntime(dtype: FloatDType): WasmRuntime | null {
  return dtype === 'float32' && enabled ? wasmRuntime() : null;
}

let wasmKernelsOn = true;
let wasmPasses = 0;
/** How many passes (forwards, backwards) ran generated WebAssembly kernels so far: for tests that they are used. */
export function wasmKernelPasses(): number {
  return wasmPasses;
}
/** Counts a pass that ran generated WebAssembly kernels. */
export function countWasmPass(): void {
  wasmPasses++;
}
/** Whether float32 compiled sequences run their elementwise work as generated WebAssembly (else the JS kernels). */
export function wasmKernelsEnabled(): boolean {
  return wasmKernelsOn;
}
/**
 * Switches the generated WebAssembly elementwise kernels of float32 compiled sequences on (default) or
 * off (then their generated JS kernels run), for tests and benchmarks comparing the two. Returns the
 * previous setting.
 */
export function setWasmKernels(on: boolean): boolean {
  const before = wasmKernelsOn;
  wasmKernelsOn = on;
  return before;
}

let stepJobsOn = true;
let stepJobPasses = 0;
/** Whether float32 compiled passes run their steps as prebuilt jobs (step-jobs.ts) where they can. */
export function stepJobsEnabled(): boolean {
  return stepJobsOn;
}
/** How many passes ran as prebuilt step jobs so far: for tests that they are used. */
export function stepJobPassCount(): number {
  return stepJobPasses;
}
/** Counts a pass that ran as prebuilt step jobs. */
export function countStepJobPass(): void {
  stepJobPasses++;
}
/**
 * Switches prebuilt step jobs on (default) or off (then every step is queued one by one, as with
 * lengths), for tests and benchmarks comparing the two. Returns the previous setting.
 */
export function setStepJobs(on: boolean): boolean {
  const before = stepJobsOn;
  stepJobsOn = on;
  return before;
}

/**
 * One step's work on the runtime: gemm calls and threaded kernels are queued and run as jobs of `parts`
 * parts (rows split alike, so each part reads only rows its own earlier calls wrote); anything else
 * (a JS kernel, a kernel not loaded into the runtime) first runs what is queued.
 */
export class StepQueue {
  private calls: Call[] = [];
  constructor(private readonly rt: WasmRuntime, private readonly parts: number) {}

  push(call: Call): void {
    this.calls.push(call);
    if (this.calls.length === MAX_STEP_CALLS) this.flush();
  }

  /** Runs `kernel(…, block)`: queued when threaded, else now on this thread. */
  kernel(kernel: Kernel, threaded: boolean, block: number): void {
    if (threaded) { this.push({ kernel, args: [block] }); return; }
    this.flush();
    kernel.fn(0, 1, 0, block);
  }

  flush(): void {
    if (this.calls.length === 0) return;
    this.rt.run(this.calls, this.parts);
    this.calls = [];
  }
}
/** Most calls one job holds (core's CTRL.MAX_OPS). */
export const MAX_STEP_CALLS = 12;

/** A small int32 region of the runtime's memory: the argument block generated kernels read their slot addresses from. */
export class ArgumentBlock {
  private constructor(private readonly rt: WasmRuntime, private readonly region: Region, private readonly n: number) {}

  static open(rt: WasmRuntime, n: number): ArgumentBlock | null {
    const region = rt.alloc(n);
    return region ? new ArgumentBlock(rt, region, n) : null;
  }

  /** Its byte address. */
  get at(): number {
    return this.region.at;
  }

  /** A view of it (fresh: the memory may have grown). */
  view(): Int32Array {
    return new Int32Array(this.rt.memory.buffer, this.region.at, this.n);
  }

  free(): void {
    this.rt.free(this.region);
  }
}
