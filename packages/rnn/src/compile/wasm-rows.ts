// Two tiny WebAssembly helpers for what a compiled float32 sequence does between a step's kernels on the
// kernel memory: dst += src and dst = src over n floats (four lanes at a time, then one by one). JS loops
// over views of a shared memory cost ~4 ns a float; these ~0.2.
import { FunctionBuilder, ModuleBuilder, ValType } from '@unroll/core/internal';
import type { WasmRuntime } from '@unroll/core/internal';

/** (dst, src, n): byte addresses and a float count. */
export interface RowHelpers {
  add(dst: number, src: number, n: number): void;
  copy(dst: number, src: number, n: number): void;
}

const I32 = ValType.i32;

function helper(add: boolean): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32]);
  const [dst, src, n] = [0, 1, 2];
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
    if (add) f.get(dst).v128Load().get(src).v128Load().f32x4Add();
    else f.get(src).v128Load();
    f.v128Store();
  }, vecEnd);
  loop(4, () => {
    f.get(dst);
    if (add) f.get(dst).f32Load().get(src).f32Load().f32Add();
    else f.get(src).f32Load();
    f.f32Store();
  }, end);
  return f;
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
