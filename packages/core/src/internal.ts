// @unroll/core/internal: what unroll's own packages build kernels with — not a public API (it may change
// between any two versions). Users import from '@unroll/core'.
//
// The WebAssembly kernel runtime, in one paragraph (details in kernels/wasm/runtime.ts):
//   - ONE memory for every kernel: `wasmRuntime()` gives the runtime (null without WebAssembly SIMD);
//     `alloc(floats)` / `free(region)` manage regions of it, `f32()` / `view(region)` give typed views
//     (fresh after the memory grows: don't keep them across calls that allocate), `addressOf(array)`
//     tells whether an array already lives there.
//   - A kernel is BUFFERS + SHAPES + a QUEUE: an exported function of a module assembled with
//     `ModuleBuilder` for the runtime's `Target` and loaded once with `load(name, build)`; it takes byte
//     addresses and integer sizes after (part, parts, thread). `run(calls, parts)` runs a queue of calls
//     split into parts over the worker threads; each part computes a fixed slice (deterministic).
//     `runSteps(count, calls, parts)` runs `count` steps of a queue (arguments affine in the step) as ONE
//     job, each part carrying its slice through every step: a recurrence split by independent rows.
//   - gemm on regions: `packMatrix` packs a B operand once (e.g. W_hh for a whole sequence) and
//     `gemmCall` makes the queue entry for C = alpha·op(A)·op(B) + beta·C with A, C (and an unpacked B)
//     at byte addresses; `emitPartRange` lets a pointwise kernel split rows the same way the gemm does
//     (splitRows: multiples of 4 rows), so a queue [gemm, pointwise] needs no barrier between them.
export { FunctionBuilder, ModuleBuilder, ValType } from './kernels/wasm/emitter.js';
export { WasmRuntime, wasmRuntime, wasmRuntimeFailure, setRelaxedSimd, RELAXED_SIMD_FLAG } from './kernels/wasm/runtime.js';
export type { Call, Kernel, Region, Target } from './kernels/wasm/runtime.js';
export { gemmCall, packMatrix, freePacked, splitOf } from './kernels/wasm/gemm-f32.js';
export type { PackedMatrix } from './kernels/wasm/gemm-f32.js';
export { MR as GEMM_MR, NR as GEMM_NR, emitPartRange } from './kernels/wasm/gemm-f32-module.js';
export { MAX_THREADS, START_TIMEOUT_MS, setThreadHost, setWorkerSpin, threadJobStats } from './kernels/wasm/threads.js';
export type { Host, ThreadJobStats } from './kernels/wasm/threads.js';
export { expFloat32 } from './kernels/fast-exp.js';
