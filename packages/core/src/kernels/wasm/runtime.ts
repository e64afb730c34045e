// The kernel runtime: ONE WebAssembly memory that every kernel works in (core's gemm, rnn's fused
// LSTM/GRU steps, what compileCell generates), shared with worker threads where they can run, a region
// allocator over it, kernel modules compiled once per thread, and a queue that runs kernels split into
// parts over the threads.
//
// The kernel interface is deliberately small, so that a WebGPU runtime can later take this one's place:
// a kernel sees BUFFERS (regions of the runtime's memory, passed as byte addresses), SHAPES (plain
// integers) and a QUEUE (calls run in order; each call is split into `parts` that run in parallel, every
// part called as `kernel(part, parts, thread, ...args)` and computing a fixed slice of the result, so
// results never depend on which thread ran a part). Nothing else is shared: no JS objects, no callbacks.
import { CTRL } from './control.js';
import { FunctionBuilder, ModuleBuilder } from './emitter.js';
import { ensureWorkers, getNumThreads, runJob, threadHost, wakeWorkers } from './threads.js';

/** A region of the runtime's memory: `at` is its byte address (64-byte aligned), `floats` its float32 capacity. */
export interface Region { readonly at: number; readonly floats: number }

/** How a kernel module must declare the memory it imports, and which instructions it may use. */
export interface Target {
  /** Limits for `ModuleBuilder.importMemory('env', 'memory', 1, target.memory)`. */
  readonly memory: { readonly maxPages?: number; readonly shared?: boolean };
  /** Whether relaxed SIMD (`f32x4.relaxed_madd`) validates here and is switched on. */
  readonly relaxed: boolean;
}

/** One exported function of a loaded kernel module. */
export interface Kernel {
  readonly name: string;
  /** The module's number in the runtime and the function's index among its exports. */
  readonly module: number;
  readonly index: number;
  /** The function, on this thread. */
  readonly fn: (...args: number[]) => unknown;
}

/** A queued kernel call; `args` follow (part, parts, thread) and are i32 or f32 values. */
export interface Call { readonly kernel: Kernel; readonly args: readonly number[] }

/** The subset of the WebAssembly JS API used here (the global exists in Node and browsers, not in lib.es*). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: { new (bytes: Uint8Array): object; exports(m: object): { name: string }[] };
  Instance: new (module: object, imports: object) => { exports: Record<string, (...a: number[]) => unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

const PAGE = 65536;
/** A shared memory must declare its maximum: 2 GiB (address space is reserved, not memory). */
const SHARED_MAX_PAGES = 32768;
const ALIGN = 64;
/**
 * Bytes kept addressable past the highest region: kernels may read a little past their operands (SIMD
 * loads of a last partial vector, padding lines of a last panel); those lanes are discarded, but the
 * reads must stay inside the memory. Kernels that can read further ask `ensure` for it.
 */
const SLACK = 4096;

const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
const NO_STRIDES: readonly number[] = [];

/** The runtime. One per thread that imports core; `wasmRuntime()` gives it. */
export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly target: Target;
  private heap: Float32Array;
  private ctrlI32: Int32Array;
  private ctrlF64: Float64Array;
  /** Buffers this memory has had (it gets a new one on every grow), to recognise views into it. */
  private readonly buffers = new WeakSet<object>();
  /** Free regions as [at, bytes], by address; `top` is the end of the highest region ever allocated. */
  private readonly freeList: [number, number][] = [];
  private top: number = CTRL.BYTES;
  private readonly modules: { name: string; kernels: Map<string, Kernel> }[] = [];
  private readonly byName = new Map<string, number>();

  constructor(shared: boolean, relaxed: boolean) {
    this.memory = new api!.Memory(shared ? { initial: 1, maximum: SHARED_MAX_PAGES, shared: true } : { initial: 1 });
    this.target = { memory: shared ? { maxPages: SHARED_MAX_PAGES, shared: true } : {}, relaxed };
    this.heap = this.refresh();
    this.ctrlI32 = new Int32Array(this.memory.buffer, 0, CTRL.BYTES / 4);
    this.ctrlF64 = new Float64Array(this.memory.buffer, 0, CTRL.BYTES / 8);
  }

  /** Whether worker threads can share this memory. */
  get shared(): boolean {
    return this.target.memory.shared === true;
  }

  /** A float32 view of the whole memory (a fresh view after the memory grew; don't keep it across calls that allocate). */
  f32(): Float32Array {
    if (this.heap.buffer !== this.memory.buffer) this.heap = this.refresh();
    return this.heap;
  }

  /** A float32 view of exactly region `r` (valid until the memory grows). */
  view(r: Region, floats = r.floats): Float32Array {
    return new Float32Array(this.f32().buffer, r.at, floats);
  }

  /** The byte address of a[offset] when `a` views this memory, else -1 (then the caller copies it in). */
  addressOf(a: Float32Array, offset = 0): number {
    return this.buffers.has(a.buffer) ? a.byteOffset + 4 * offset : -1;
  }

  /**
   * A region of at least `floats` float32 values, 64-byte aligned, its contents garbage; null when the
   * memory cannot grow that far (callers then fall back to their JS kernels). Free it with `free`.
   */
  alloc(floats: number): Region | null {
    const bytes = Math.max(ALIGN, Math.ceil((4 * floats) / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const [at, size] = this.freeList[i]!;
      if (size < bytes) continue;
      if (size === bytes) this.freeList.splice(i, 1);
      else this.freeList[i] = [at + bytes, size - bytes];
      return { at, floats: bytes / 4 };
    }
    if (!this.ensure(this.top + bytes + SLACK)) return null;
    const at = this.top;
    this.top += bytes;
    return { at, floats: bytes / 4 };
  }

  /** Gives a region back (adjacent free regions merge; the memory itself never shrinks). */
  free(r: Region | null | undefined): void {
    if (!r) return;
    let at = r.at, bytes = r.floats * 4;
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i]![0] < at) i++;
    if (i > 0 && list[i - 1]![0] + list[i - 1]![1] === at) { at = list[i - 1]![0]; bytes += list[i - 1]![1]; list.splice(--i, 1); }
    if (i < list.length && at + bytes === list[i]![0]) { bytes += list[i]![1]; list.splice(i, 1); }
    if (at + bytes === this.top) this.top = at;
    else list.splice(i, 0, [at, bytes]);
  }

  /** Makes bytes [0, bytes) addressable, growing the memory; false when it cannot. */
  ensure(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
    this.heap = this.refresh();
    return true;
  }

  /**
   * Loads a kernel module once (later calls with the same name return the same kernels): `build`
   * assembles it for this runtime's `Target` (its memory import and instruction set). Its bytes are
   * kept in the memory so that worker threads compile the same module when a job first uses it.
   */
  load(name: string, build: (target: Target) => Uint8Array): (kernel: string) => Kernel {
    let id = this.byName.get(name);
    if (id === undefined) {
      if (this.modules.length >= CTRL.MAX_MODULES) throw new Error(`WasmRuntime.load: more than ${CTRL.MAX_MODULES} kernel modules`);
      const bytes = build(this.target);
      const module = new api!.Module(bytes);
      const instance = new api!.Instance(module, { env: { memory: this.memory } });
      id = this.modules.length;
      const kernels = new Map<string, Kernel>();
      api!.Module.exports(module).forEach(({ name: fnName }, index) => {
        kernels.set(fnName, { name: fnName, module: id!, index, fn: instance.exports[fnName]! });
      });
      if (this.shared) {
        const r = this.alloc(bytes.length / 4 + 1)!;
        new Uint8Array(this.memory.buffer, r.at, bytes.length).set(bytes);
        this.ctrlI32[CTRL.MODULES + 2 * id] = r.at;
        this.ctrlI32[CTRL.MODULES + 2 * id + 1] = bytes.length;
      }
      this.modules.push({ name, kernels });
      this.byName.set(name, id);
    }
    const { kernels, name: moduleName } = this.modules[id]!;
    return (kernel) => {
      const k = kernels.get(kernel);
      if (!k) throw new Error(`WasmRuntime.load: module '${moduleName}' has no kernel '${kernel}'`);
      return k;
    };
  }

  /** How many parts a job split "by threads" should have: the thread count, where workers can share the memory. */
  threads(): number {
    return this.shared ? getNumThreads() : 1;
  }

  /**
   * Wakes the worker threads ahead of a split job this thread will post after some serial work (copying
   * operands in, say), so they are polling when it comes instead of being woken by it: waking a sleeping
   * thread takes up to a millisecond or more in a VM, while this thread runs its own part alone.
   */
  wake(): void {
    if (this.shared && this.threads() > 1) wakeWorkers(this.ctrlI32);
  }

  /**
   * Runs the queue `calls` split into `parts` parts (default: the thread count): for each part, the calls
   * in order, each as `kernel(part, parts, thread, ...args)`. Parts run in parallel on the worker threads
   * and this one; returns when all are done. Each call must compute, for a given (part, parts), a fixed
   * slice of its result that no other part writes, and a later call in the queue may read only what its
   * own part's earlier calls wrote (parts do not wait for each other between calls).
   */
  run(calls: readonly Call[], parts = this.threads()): void {
    this.runJob(calls, parts, 1, NO_STRIDES);
  }

  /**
   * Runs `count` steps of a queue as ONE job (one hand-over to the workers, not one per step): step s's
   * queue is `calls(s)`, the same kernels at every step with each argument affine in s (buffer addresses
   * moving by a fixed stride, e.g. step s of a sequence at base + s · rowBytes), which is checked on the
   * first two steps and the last. Each part runs its slice of every step in order, so a step may read
   * what its own part wrote in earlier steps, never another part's (parts do not wait for each other):
   * e.g. a recurrence whose batch rows are independent sequences, split by rows. Computes exactly what
   * `count` calls of `run(calls(s), parts)` would.
   */
  runSteps(count: number, calls: (step: number) => readonly Call[], parts = this.threads()): void {
    if (count <= 0) return;
    const first = calls(0);
    if (count === 1) return this.run(first, parts);
    const second = calls(1), last = calls(count - 1);
    const strides: number[] = [];
    const differs = (q: number, k: number) => `WasmRuntime.runSteps: call ${q} (${first[q]!.kernel.name}) argument ${k}`;
    first.forEach(({ kernel, args }, q) => {
      for (const [other, s] of [[second[q], 1], [last[q], count - 1]] as const) {
        if (other?.kernel !== kernel || other.args.length !== args.length || second.length !== first.length || last.length !== first.length) {
          throw new RangeError(`WasmRuntime.runSteps: step ${s} queues other kernels than step 0 (${first.map((c) => c.kernel.name).join(', ')})`);
        }
      }
      args.forEach((a, k) => {
        const d = second[q]!.args[k]! - a;
        if (last[q]!.args[k] !== a + (count - 1) * d) {
          throw new RangeError(`${differs(q, k)} is not affine in the step: ${a}, ${a + d}, … but ${last[q]!.args[k]} at step ${count - 1}`);
        }
        if (d !== 0) strides.push(q, k, d);
      });
    });
    if (strides.length > 3 * CTRL.MAX_STRIDES) {
      throw new RangeError(`WasmRuntime.runSteps: at most ${CTRL.MAX_STRIDES} arguments may move per step; got ${strides.length / 3}`);
    }
    this.runJob(first, parts, count, strides);
  }

  /** A job: every part runs `calls` `times` times over, repetition i with argument strides[3j + 1] of call strides[3j] + i · strides[3j + 2]. */
  private runJob(calls: readonly Call[], parts: number, times: number, strides: readonly number[]): void {
    if (calls.length > CTRL.MAX_OPS) throw new RangeError(`WasmRuntime.run: at most ${CTRL.MAX_OPS} calls per job; got ${calls.length}`);
    parts = Math.max(1, Math.min(parts, 255));
    const workers = parts > 1 && this.shared ? ensureWorkers(this.memory, this.ctrlI32, this.threads()) : 0;
    const runPart = times === 1
      ? (part: number) => {
        for (const { kernel, args } of calls) kernel.fn(part, parts, 0, ...args);
      }
      : (part: number) => {
        const args = calls.map((c) => c.args.slice());
        for (let i = 0; i < times; i++) {
          if (i > 0) for (let j = 0; j < strides.length; j += 3) args[strides[j]!]![strides[j + 1]!] += strides[j + 2]!;
          for (let q = 0; q < calls.length; q++) calls[q]!.kernel.fn(part, parts, 0, ...args[q]!);
        }
      };
    if (workers === 0) {
      for (let part = 0; part < parts; part++) runPart(part);
      return;
    }
    const f64 = this.ctrlF64;
    calls.forEach(({ kernel, args }, q) => {
      if (args.length > CTRL.OP_SLOTS - 3) throw new RangeError(`WasmRuntime.run: ${kernel.name} takes at most ${CTRL.OP_SLOTS - 3} arguments`);
      const at = CTRL.OP_F64 + q * CTRL.OP_SLOTS;
      f64[at] = kernel.module;
      f64[at + 1] = kernel.index;
      f64[at + 2] = args.length;
      for (let k = 0; k < args.length; k++) f64[at + 3 + k] = args[k]!;
    });
    this.ctrlI32[CTRL.OPS] = calls.length;
    this.ctrlI32[CTRL.TIMES] = times;
    f64[CTRL.STRIDES_F64] = strides.length / 3;
    for (let j = 0; j < strides.length; j++) f64[CTRL.STRIDES_F64 + 1 + j] = strides[j]!;
    runJob(this.ctrlI32, parts, runPart);
  }

  private refresh(): Float32Array {
    this.buffers.add(this.memory.buffer);
    return new Float32Array(this.memory.buffer);
  }
}

/** A one-instruction module using f32x4.relaxed_madd, to ask the engine whether it validates relaxed SIMD. */
function relaxedProbe(): Uint8Array {
  const f = new FunctionBuilder([]);
  f.v128Zero().v128Zero().v128Zero().f32x4RelaxedMadd().drop();
  return new ModuleBuilder().addFunction('probe', f).encode();
}

/** A one-instruction module using baseline SIMD. */
function simdProbe(): Uint8Array {
  const f = new FunctionBuilder([]);
  f.v128Zero().v128Zero().f32x4Add().drop();
  return new ModuleBuilder().addFunction('probe', f).encode();
}

/** The V8 flag under which Node 20 and 21 (V8 11.3–11.8) implement relaxed SIMD; it ships on by default from V8 11.4 / Node 22. */
export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * Whether relaxed SIMD validates here. Where it does not and this is Node, the engine may implement it
 * behind RELAXED_SIMD_FLAG (Node 20's V8 has the whole proposal, finished, unshipped only by date): the
 * flag is switched on through node:v8 and the probe asked again. V8 reads wasm feature flags when it
 * validates a module, and the flag is process-wide, so worker threads compile the same kernels. Switching
 * it on only makes more modules valid (it changes nothing for modules that do not use the opcodes). In
 * browsers nothing is switched: relaxed SIMD is used where the page's engine ships it.
 */
function relaxedValidates(wasm: WasmApi): boolean {
  if (wasm.validate(relaxedProbe())) return true;
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node === undefined || !proc.getBuiltinModule) return false;
  try {
    const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString(RELAXED_SIMD_FLAG);
  } catch {
    return false;
  }
  return wasm.validate(relaxedProbe());
}

let runtime: WasmRuntime | null | undefined;
/** Why the runtime could not start, once that has been tried and failed. */
let failure: string | undefined;
let relaxedWanted = true;

/**
 * The runtime, created on first use; null where the engine has no WebAssembly SIMD or refuses to
 * compile (e.g. a CSP) — callers then run their JS kernels. The memory is shared (and kernels may run
 * on worker threads) where SharedArrayBuffer and a worker host exist.
 */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime !== undefined) return runtime;
  try {
    if (!api || !api.validate(simdProbe())) throw new Error('this engine has no WebAssembly SIMD');
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const relaxed = relaxedWanted && env?.['UNROLL_RELAXED_SIMD'] !== '0' && relaxedValidates(api);
    runtime = new WasmRuntime(threadHost() !== null, relaxed);
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    runtime = null;
  }
  return runtime;
}

/** Why `wasmRuntime()` is null (undefined while it is not). */
export function wasmRuntimeFailure(): string | undefined {
  wasmRuntime();
  return failure;
}

/**
 * For tests comparing the relaxed and plain kernels: switches relaxed SIMD off (or back on where it
 * validates) before the runtime starts; throws once it has. UNROLL_RELAXED_SIMD=0 does the same from
 * the environment.
 */
export function setRelaxedSimd(on: boolean): void {
  if (runtime !== undefined) throw new Error('setRelaxedSimd: call it before the first kernel runs');
  relaxedWanted = on;
}
