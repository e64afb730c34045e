// The float32 sum of a whole array on the kernel runtime, with exactly the JS fold's arithmetic: one
// running float32 sum in memory order, rounded after every addition. JS can only write that as
// acc = Math.fround(acc + x) — a float64 add and two conversions on the dependency chain, ~2.5 ns per
// element here — while WebAssembly's f32.add is one instruction (~0.9 ns): the same bits, about 2× sooner
// with the copy in (W3's output mean, 524K floats: 1.3 → ~0.6 ms). A float32 add equals the float64 add of
// the same two floats rounded to float32 (float64 holds their exact sum), so nothing changes but the time.
import { FunctionBuilder, ModuleBuilder, ValType } from './emitter.js';
import { wasmRuntime } from './runtime.js';
import type { Kernel, Target } from './runtime.js';

/** Below this many floats the JS loop is as quick (the copy in and the call cost about as much). */
export const SUM_F32_MIN = 16384;

/** sum(part, parts, thread, at, n, out): out (f32) = (((0 + x₀) + x₁) + …) + x_{n−1} over the n floats at `at`, in float32. */
function sumModule(target: Target): Uint8Array {
  const { i32, f32 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32]);
  const [, , , at, n, out] = [0, 1, 2, 3, 4, 5];
  const end = f.local(i32), acc = f.local(f32);
  f.get(at).get(n).i32Const(4).i32Mul().i32Add().set(end);
  f.f32Const(0).set(acc);
  f.block().loop();
  f.get(at).get(end).i32LtS().i32Eqz().brIf(1);
  f.get(acc).get(at).f32Load().f32Add().set(acc);
  f.get(at).i32Const(4).i32Add().set(at).br(0);
  f.end().end();
  f.get(out).get(acc).f32Store();
  return new ModuleBuilder().importMemory('env', 'memory', 1, target.memory).addFunction('sum', f).encode();
}

let kernel: Kernel | null | undefined;

/**
 * Σ x in float32 with the JS fold's rounding (see above), or null where it cannot run here (the caller then
 * folds in JS): no runtime, or one whose memory is not shared — copying x in may grow the memory, which
 * would detach an unshared memory's views that a caller may hold. Runs on this thread: a running sum has
 * nothing to split.
 */
export function sumF32(x: Float32Array): number | null {
  const rt = wasmRuntime();
  if (!rt || !rt.shared) return null;
  if (kernel === undefined) {
    try {
      kernel = rt.load('core.sum-f32', sumModule)('sum');
    } catch {
      kernel = null; // synchronous compilation refused
    }
  }
  if (kernel === null) return null;
  const inPlace = rt.addressOf(x);
  // The sum's slot, then the copy of x 16 bytes in: V8 copies into a shared memory a word at a time only
  // when source and target agree in alignment (else byte by byte, ~10× slower), and a typed array's data
  // is 8- or 16-byte aligned.
  const region = rt.alloc((inPlace >= 0 ? 0 : x.length) + 4);
  if (!region) return null;
  try {
    let at = inPlace;
    if (at < 0) {
      at = region.at + 16;
      rt.f32().set(x, at / 4);
    }
    kernel.fn(0, 1, 0, at, x.length, region.at);
    return rt.f32()[region.at / 4]!;
  } finally {
    rt.free(region);
  }
}
