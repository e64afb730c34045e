// Tiny WebAssembly helpers for what a compiled float32 sequence does between a step's kernels on the
// kernel memory: dst += src and dst = src over n floats (four lanes at a time, then one by one). JS loops
// over views of a shared memory cost ~4 ns a float; these ~0.2. `rowKernels` are the same as runtime
// kernels queued inside a step's job, each part doing its own batch rows.
import { FunctionBuilder, GEMM_MR, ModuleBuilder, ValType, emitPartRange } from '@unroll/core/internal';
import type { Kernel, WasmRuntime } from '@unroll/core/internal';

/** (dst, src, n): byte addresses and a float count. */
export interface RowHelpers {
  add(dst: number, src: number, n: number): void;
  copy(dst: number, src: number, n: number): void;
}

const I32 = ValType.i32;

/** The loops of `add` / `copy` / zero (op) from dst, src over n floats, on an f with those locals. */
function emitLoops(f: FunctionBuilder, op: 'add' | 'copy' | 'zero', dst: number, src: number, n: number): void {
  const end = f.local(I32), vecEnd = f.local(I32);
  f.get(dst).get(n).i32Const(4).i32Mul().i32Add().set(end);
  f.get(dst).get(n).i32Const(-4).i32And().i32Const(4).i32Mul().i32Add().set(vecEnd);
  const loop = (step: number, body: () => void, limit: number) => {
    f.block().loop();
    f.get(dst).get(limit).i32GeS().brIf(1);
    body();
    f.get(dst).i32Const(step).i32Add().set(dst).get(src).i32Const(step).i32Add().set(src);
    f.br(0).end().end();
  };
  loop(16, () => {
    f.get(dst);
    if (op === 'add') f.get(dst).v128Load().get(src).v128Load().f32x4Add();
    else if (op === 'copy') f.get(src).v128Load();
    else f.v128Zero();
    f.v128Store();
  }, vecEnd);
  loop(4, () => {
    f.get(dst);
    if (op === 'add') f.get(dst).f32Load().get(src).f32Load().f32Add();
    else if (op === 'copy') f.get(src).f32Load();
    else f.f32Const(0);
    f.f32Store();
  }, end);
}

function helper(add: boolean): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32]);
  emitLoops(f, add ? 'add' : 'copy', 0, 1, 2);
  return f;
}

/**
 * (part, parts, thread, dst, src, rows, n): the op on rows [r0, r1) of `rows` contiguous rows of n
 * floats, the part's rows split as core's gemm and the generated kernels split them (blocks of GEMM_MR),
 * so a job [gemm, kernel, row kernel] needs no barrier between its calls.
 */
function rowKernel(op: 'add' | 'copy' | 'zero'): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , dst, src, rows, n] = [0, 1, 2, 3, 4, 5, 6];
  const r0 = f.local(I32), r1 = f.local(I32), count = f.local(I32);
  emitPartRange(f, part, parts, rows, GEMM_MR, r0, r1);
  f.get(r1).get(r0).i32Sub().get(n).i32Mul().set(count);
  f.get(count).i32Const(0).i32GtS().i32Eqz().if().return().end();
  f.get(r0).get(n).i32Mul().i32Const(4).i32Mul().set(r0); // the part's first byte
  f.get(dst).get(r0).i32Add().set(dst);
  f.get(src).get(r0).i32Add().set(src);
  emitLoops(f, op, dst, src, count);
  return f;
}

/** Row kernels queued in a step's job (see rowKernel): dst (+)= src, or dst = 0 (src ignored). */
export interface RowKernels { readonly add: Kernel; readonly copy: Kernel; readonly zero: Kernel }

const rowKernelsOf = new WeakMap<WasmRuntime, RowKernels | null>();

/** The row kernels loaded into `rt` (so workers run them too), or null where that fails. */
export function rowKernels(rt: WasmRuntime): RowKernels | null {
  if (rowKernelsOf.has(rt)) return rowKernelsOf.get(rt)!;
  let out: RowKernels | null = null;
  try {
    const kernel = rt.load('compileCell.rows', (target) => new ModuleBuilder().importMemory('env', 'memory', 1, target.memory)
      .addFunction('add', rowKernel('add')).addFunction('copy', rowKernel('copy')).addFunction('zero', rowKernel('zero')).encode());
    out = { add: kernel('add'), copy: kernel('copy'), zero: kernel('zero') };
  } catch {
    out = null;
  }
  rowKernelsOf.set(rt, out);
  return out;
}

const loaded = new WeakMap<WasmRuntime, RowHelpers | null>();

/** The helpers on `rt`'s memory (run on the calling thread), or null where they cannot be compiled. */
export function rowHelpers(rt: WasmRuntime): RowHelpers | null {
  if (loaded.has(rt)) return loaded.get(rt)!;
  let out: RowHelpers | null = null;
  try {
    const api = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => object;
      Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> } } }).WebAssembly!;
    const bytes = new ModuleBuilder().importMemory('env', 'memory', 1, rt.target.memory)
      .addFunction('add', helper(true)).addFunction('copy', helper(false)).encode();
    const e = new api.Instance(new api.Module(bytes), { env: { memory: rt.memory } }).exports;
    out = { add: e['add']!, copy: e['copy']! };
  } catch {
    out = null;
  }
  loaded.set(rt, out);
  return out;
}
