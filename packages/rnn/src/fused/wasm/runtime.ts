// The fused ops' WebAssembly side: their pointwise kernels (kernels.ts) loaded into core's kernel runtime
// (one memory for every kernel, shared with its worker threads), and a grow-only scratch region of that
// memory where a fused op lays out its per-call buffers. Null where the engine has no WebAssembly SIMD
// (the fused ops then run their JS kernels).
import { wasmRuntime } from '@unroll/core/internal';
import type { Call, Kernel, Region, WasmRuntime } from '@unroll/core/internal';
import { pointwiseModule } from './kernels.js';
import { rowModule } from './row-kernels.js';

/**
 * The kernels and the scratch region. Buffers are laid out by the caller as float offsets into the
 * region (`reserve` returns a view of it); `call` turns offsets into a kernel's byte addresses. Nothing in
 * the region outlives the synchronous op call that wrote it.
 */
export interface PointwiseWasm {
  readonly rt: WasmRuntime;
  /**
   * Makes the scratch region hold `floats` float32 values (grown, never shrunk; its contents are then
   * garbage); returns a view of it, or null past `MAX_BYTES` or when the memory cannot grow (the caller
   * then runs its JS kernels).
   */
  reserve(floats: number): Float32Array | null;
  /** A fresh view of the scratch region (after something may have grown the memory). */
  view(): Float32Array;
  /** Byte address of float offset `at` of the scratch region. */
  address(at: number): number;
  /**
   * A queue entry for `kernel` over `rows` rows of width H: (rows, 4H bytes, …float offsets into the
   * region). See kernels.ts for each kernel's arguments.
   */
  call(kernel: Kernel, rows: number, H: number, ...offsets: number[]): Call;
  /** As `call`, with byte addresses of the runtime's memory instead of offsets into the region. */
  callAt(kernel: Kernel, rows: number, H: number, ...addresses: number[]): Call;
  /**
   * Hands the scratch region over to the caller, who keeps what a forward wrote there for its backward
   * (no copy out and back in) and frees it with `rt.free`; the next `reserve` takes a new region.
   */
  detach(): Region;
  readonly lstmForward: Kernel;
  readonly lstmBackward: Kernel;
  readonly gruForward: Kernel;
  readonly gruBackward: Kernel;
  /** Row gather and float64 scatter-add by index (see row-kernels.ts and row-ops.ts). */
  readonly gatherRows: Kernel;
  /** The gather split as a recurrent step's rows (multiples of core's gemm MR), to queue before the step's gemm. */
  readonly gatherStepRows: Kernel;
  readonly scatterAddRows: Kernel;
}

/**
 * The parts a recurrent step of `rows` batch rows and `work` multiply-adds is split into (for a job of
 * several steps, `work` is theirs together: the workers are woken once): the runtime's threads when each
 * gets at least 4 rows and enough work to pay for waking it (~64K multiply-adds, a few µs), else 1. The rows of a batch are independent sequences, so a step split by rows needs no barrier
 * between its gemm and its pointwise kernel.
 */
export function stepParts(w: PointwiseWasm, rows: number, work: number): number {
  if (work < 1 << 16) return 1;
  return Math.max(1, Math.min(w.rt.threads(), Math.floor(rows / 4)));
}

/**
 * A step's gemm call; gemmCall is null only when the memory cannot grow to cover what it reads, which
 * the caller's `reserve` already made room for.
 */
export function stepGemm(call: Call | null): Call {
  if (call === null) throw new Error('fused step: the WebAssembly memory could not grow for the recurrent gemm');
  return call;
}

let loaded: PointwiseWasm | null | undefined;
let enabled = true;

/**
 * The WebAssembly kernels, or null when they cannot run here or are switched off with
 * `setPointwiseWasm(false)`. Loaded on first use (~5 KB compiled synchronously).
 */
export function pointwiseWasm(): PointwiseWasm | null {
  if (!enabled) return null;
  if (loaded === undefined) loaded = load();
  return loaded;
}

/**
 * Switches the float32 WebAssembly pointwise kernels on (default) or off, for tests and benchmarks
 * that compare them with the JS kernels. Returns the previous setting.
 */
export function setPointwiseWasm(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

// The memory never shrinks, so one huge sequence must not pin gigabytes for good: beyond this the
// fused ops use their JS kernels (whose buffers the garbage collector can take back).
const MAX_BYTES = 512 * 2 ** 20;

function load(): PointwiseWasm | null {
  const rt = wasmRuntime();
  if (!rt) return null;
  let kernel: (name: string) => Kernel, rows: (name: string) => Kernel;
  try {
    kernel = rt.load('rnn.pointwise', pointwiseModule);
    rows = rt.load('rnn.rows', rowModule);
  } catch {
    return null; // synchronous compilation refused
  }
  let region: Region | null = null;
  const B = 4; // bytes per float
  return {
    rt,
    reserve(floats) {
      if (floats * B > MAX_BYTES) return null;
      if (!region || region.floats < floats) {
        rt.free(region);
        // Grow by half again so slowly increasing sizes do not reallocate every call.
        region = rt.alloc(Math.max(floats, region ? Math.min(MAX_BYTES / B, Math.ceil(region.floats * 1.5)) : 0));
        if (!region) return null;
      }
      return rt.view(region);
    },
    view: () => rt.view(region!),
    address: (at) => region!.at + at * B,
    call(k, rows, H, ...offsets) {
      return { kernel: k, args: [rows, H * B, ...offsets.map((o) => region!.at + o * B)] };
    },
    callAt: (k, rows, H, ...addresses) => ({ kernel: k, args: [rows, H * B, ...addresses] }),
    detach() {
      const r = region!;
      region = null;
      return r;
    },
    lstmForward: kernel('lstm_fwd'),
    lstmBackward: kernel('lstm_bwd'),
    gruForward: kernel('gru_fwd'),
    gruBackward: kernel('gru_bwd'),
    gatherRows: rows('gather_rows'),
    gatherStepRows: rows('gather_step_rows'),
    scatterAddRows: rows('scatter_add_rows'),
  };
}

/** What a recorded forward keeps in the runtime's memory for its backward: freed by `freeKept`, or by the collector. */
const keptRegions = new FinalizationRegistry<{ rt: WasmRuntime; region: Region }>(({ rt, region }) => rt.free(region));

/**
 * Registers `region` as kept by `owner` (what a recorded node saves): freed by `freeKept` when the node is
 * released, or when `owner` is collected — a graph never backwarded must not pin memory for good (the
 * runtime's memory never shrinks, but freed regions are reused).
 */
export function keepRegion(owner: object, rt: WasmRuntime, region: Region): void {
  keptRegions.register(owner, { rt, region }, owner);
}

/** Frees what `keepRegion` kept for `owner`, now. */
export function freeKept(owner: object, rt: WasmRuntime, region: Region): void {
  keptRegions.unregister(owner);
  rt.free(region);
}
