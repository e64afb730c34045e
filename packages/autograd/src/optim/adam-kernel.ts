// The float32 Adam/AdamW step as a WebAssembly kernel on core's runtime, bit for bit the JS loop's result.
//
// Why: the JS loop is bound by its float64 square root and two divisions per element, which queue for the
// core's one divider (~6 ns per element here at best), not by memory. WebAssembly's f64x2 SIMD issues them
// for two elements at once at about the same cost per instruction, with exactly JS's arithmetic (IEEE
// float64 add, mul, div and sqrt, correctly rounded, never fused; float32 → float64 exact, float64 →
// float32 rounded to nearest-even as a Float32Array store rounds), and the runtime can split the elements
// over its threads. Each element is computed alone, so the thread count cannot change a bit. Measured
// (bench/adam-step.bench.ts, W1's 347k parameters, one thread): ~4.2 ns per element, copies included,
// against ~10–14 for the loop adam.ts had before (~7 for its monomorphic float32 loop now).
//
// The moments (exp_avg, exp_avg_sq, max_exp_avg_sq) live in the runtime's memory (`residentBuffer`), so
// only the parameter and its gradient are copied in and the parameter out (~0.1 ms per million floats).
import { FunctionBuilder, ModuleBuilder, ValType, wasmRuntime } from '@unroll/core/internal';
import type { Kernel, Region, Target, WasmRuntime } from '@unroll/core/internal';

/** How the weight decay enters: none, as Adam's L2 term (g + λθ), or as AdamW's decoupled factor θ(1 − γλ). */
export type AdamDecay = 'none' | 'l2' | 'decoupled';

/** What an Adam step needs per parameter besides its buffers (all float64, as the JS loop uses them). */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  /** −lr / (1 − β₁ᵗ). */
  negStep: number;
  /** √(1 − β₂ᵗ). */
  bc2Sqrt: number;
  eps: number;
  /** λ for 'l2', the factor 1 − γλ for 'decoupled', unused for 'none'. */
  decay: number;
}

/** Below this many elements the JS loop is as quick (the copies and the call cost about as much). */
export const ADAM_KERNEL_MIN = 4096;
/** From this many elements a step is split over the runtime's threads (below, the hand-over costs more than it saves). */
export const ADAM_SPLIT_MIN = 65536;

/** When the kernel runs: 'auto' from ADAM_KERNEL_MIN elements, 'always' at any size, 'never' (the JS loop only). */
export type AdamKernelMode = 'auto' | 'always' | 'never';
let mode: AdamKernelMode = 'auto';

/**
 * For tests and benchmarks (internal, not exported by the package): 'always' runs the kernel at every size
 * and splits it over the threads at every size; 'never' runs the JS loop only (as where the runtime is
 * unavailable); 'auto' (the default) runs it from ADAM_KERNEL_MIN elements. Applies to buffers made and
 * steps run after the call.
 */
export function setAdamKernelMode(m: AdamKernelMode): void {
  if (m !== 'auto' && m !== 'always' && m !== 'never') throw new TypeError(`setAdamKernelMode: mode must be 'auto', 'always' or 'never'; got ${String(m)}`);
  mode = m;
}

function wanted(n: number): boolean {
  return mode === 'always' ? n > 0 : mode === 'auto' && n >= ADAM_KERNEL_MIN;
}
/** Elements of one part's slice come in whole 64-byte lines (16 floats), so no two threads write one line. */
const LINE = 16;

const f64 = ValType.f64;
// Postfix helpers, so the formulas below read inside out as the arithmetic nests.
const f64x2Splat = (f: FunctionBuilder) => f.f64x2Splat();
const f64x2Neg = (f: FunctionBuilder) => f.f64x2Neg();
const f64x2Sqrt = (f: FunctionBuilder) => f.f64x2Sqrt();
const f64x2Add = (f: FunctionBuilder) => f.f64x2Add();
const f64x2Mul = (f: FunctionBuilder) => f.f64x2Mul();
const f64x2Div = (f: FunctionBuilder) => f.f64x2Div();
const f64x2Max = (f: FunctionBuilder) => f.f64x2Max();
/** Two float64 lanes rounded to float32 as a Float32Array store rounds them. */
const demote = (f: FunctionBuilder) => f.f32x4DemoteF64x2Zero();
const promote = (f: FunctionBuilder) => f.f64x2PromoteLowF32x4();
/** Two float32 (8 bytes) into the low lanes; pops the address. */
const load64Zero = (f: FunctionBuilder, offset: number) => f.v128Load64Zero(offset);
/** The low two float32 (8 bytes) of the vector; pops the vector and the address. */
const store64Lane = (f: FunctionBuilder, offset: number) => f.v128Store64Lane(offset, 0);

/** Which kernel: how the weight decay enters, and the two switches. */
export interface AdamVariant { decay: AdamDecay; amsgrad: boolean; maximize: boolean }

const VARIANTS: AdamVariant[] = [];
for (const decay of ['none', 'l2', 'decoupled'] as const) {
  for (const amsgrad of [false, true]) for (const maximize of [false, true]) VARIANTS.push({ decay, amsgrad, maximize });
}
const variantName = (v: AdamVariant) => `adam_${v.decay}${v.amsgrad ? '_amsgrad' : ''}${v.maximize ? '_maximize' : ''}`;

/**
 * adam(part, parts, thread, p, g, m, v, vMax, n, beta1, c1, beta2, c2, negStep, bc2Sqrt, eps, decay): one Adam
 * step over part `part` of `parts` of the n float32 elements at byte addresses p, g, m, v (and vMax with
 * amsgrad), in whole lines; every buffer must be padded to a multiple of 16 floats (regions are). c1 = 1 − β₁
 * and c2 = 1 − β₂. Per element, in the JS loop's order (adam.ts), float64 arithmetic, each stored value
 * rounded to float32 and read back:
 *   g ← −g (maximize);  g ← g + λθ (l2)  |  θ ← f32(θ·decay) (decoupled)
 *   m ← f32(m·β₁ + c1·g);  v ← f32(v·β₂ + (c2·g)·g);  v̂ ← vMax ← max(vMax, v) (amsgrad) else v
 *   θ ← f32(θ + negStep · (m / (√v̂ / bc2Sqrt + eps)))
 */
function adamFunction(variant: AdamVariant): FunctionBuilder {
  const { i32, v128 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64]);
  const [part, parts, , p, g, m, v, vMax, n, ...scalars] = [...Array(17).keys()];
  const [B1, C1, B2, C2, NEG, BC2, EPS, DECAY] = scalars.map((s) => {
    const local = f.local(v128);
    f64x2Splat(f.get(s)).set(local);
    return local;
  }) as [number, number, number, number, number, number, number, number];
  // This part's lines: [lines·part/parts, lines·(part+1)/parts), as byte offsets.
  const lines = f.local(i32), at = f.local(i32), end = f.local(i32);
  f.get(n).i32Const(LINE - 1).i32Add().i32Const(LINE).i32DivU().set(lines);
  f.get(lines).get(part).i32Mul().get(parts).i32DivU().i32Const(4 * LINE).i32Mul().set(at);
  f.get(lines).get(part).i32Const(1).i32Add().i32Mul().get(parts).i32DivU().i32Const(4 * LINE).i32Mul().set(end);
  // Four floats of each buffer per iteration, in two halves of two: each loaded as 64 bits and widened to
  // two float64 lanes, computed, rounded back to two float32 lanes and stored as 64 bits (no shuffles).
  const G = f.local(v128), P = f.local(v128), M = f.local(v128), VHAT = f.local(v128), R = f.local(v128);
  const address = (base: number) => f.get(base).get(at).i32Add();
  const loadHalf = (base: number, h: number) => promote(load64Zero(address(base), 8 * h));
  const storeHalf = (base: number, h: number, value: number) => store64Lane(address(base).get(value), 8 * h);

  f.block().loop();
  f.get(at).get(end).i32LtS().i32Eqz().brIf(1);
  for (const h of [0, 1]) {
    loadHalf(g, h);
    if (variant.maximize) f64x2Neg(f);
    f.set(G);
    loadHalf(p, h).set(P);
    if (variant.decay === 'l2') {
      f64x2Add(f64x2Mul(f.get(G).get(DECAY).get(P))).set(G);
    } else if (variant.decay === 'decoupled') {
      promote(demote(f64x2Mul(f.get(P).get(DECAY)))).set(P);
    }
    // m ← f32(m·β₁ + c1·g)
    loadHalf(m, h);
    f64x2Add(f64x2Mul(f64x2Mul(f.get(B1)).get(C1).get(G)));
    demote(f).set(R);
    storeHalf(m, h, R);
    promote(f.get(R)).set(M);
    // v ← f32(v·β₂ + (c2·g)·g); v̂ = v, or vMax ← max(vMax, v) with amsgrad (exact: the larger of two float32 values)
    loadHalf(v, h);
    f64x2Add(f64x2Mul(f64x2Mul(f64x2Mul(f.get(B2)).get(C2).get(G)).get(G)));
    demote(f).set(R);
    storeHalf(v, h, R);
    promote(f.get(R)).set(VHAT);
    if (variant.amsgrad) {
      f64x2Max(loadHalf(vMax, h).get(VHAT)).set(VHAT);
      demote(f.get(VHAT)).set(R);
      storeHalf(vMax, h, R);
    }
    // θ ← f32(θ + negStep · (m / (√v̂ / bc2Sqrt + eps)))
    f.get(P).get(NEG).get(M);
    f64x2Add(f64x2Div(f64x2Sqrt(f.get(VHAT)).get(BC2)).get(EPS));
    f64x2Add(f64x2Mul(f64x2Div(f)));
    demote(f).set(R);
    storeHalf(p, h, R);
  }
  f.get(at).i32Const(16).i32Add().set(at).br(0);
  f.end().end();
  return f;
}

function adamModule(target: Target): Uint8Array {
  const module = new ModuleBuilder().importMemory('env', 'memory', 1, target.memory);
  for (const variant of VARIANTS) module.addFunction(variantName(variant), adamFunction(variant));
  return module.encode();
}

let kernels: ((name: string) => Kernel) | null | undefined;

/** The runtime and its Adam kernels, or null where they cannot run (no runtime, an unshared memory, compilation refused). */
function adamRuntime(): { rt: WasmRuntime; kernel: (name: string) => Kernel } | null {
  const rt = wasmRuntime();
  // Only a shared memory: resident buffers are views that must survive the memory growing (an unshared
  // memory's views are detached when it grows).
  if (!rt || !rt.shared) return null;
  if (kernels === undefined) {
    try {
      kernels = rt.load('autograd.adam', adamModule);
    } catch {
      kernels = null; // synchronous compilation refused
    }
  }
  return kernels === null ? null : { rt, kernel: kernels };
}

/** Elements per part of a split step: parts are claimed by whichever thread is free, so a thread slowed by other processes takes fewer. */
const PART_ELEMENTS = 16384;

/** How many parts a step of n elements is split into: one below ADAM_SPLIT_MIN (at every size in mode 'always'). */
function parts(rt: WasmRuntime, n: number): number {
  const threads = rt.threads();
  if (threads === 1 || (mode !== 'always' && n < ADAM_SPLIT_MIN)) return 1;
  return Math.min(255, Math.max(threads, Math.ceil(n / PART_ELEMENTS)));
}

/**
 * Most float32 values all resident buffers together may hold (256 MiB): the runtime's memory is shared with
 * every other kernel (gemm, the recurrent steps) and never shrinks, so a large model's optimizer state must
 * not fill it; beyond this, moments are ordinary buffers and their parameters take the JS loop.
 */
export const RESIDENT_MAX_FLOATS = 64 * 1024 * 1024;
let residentFloats = 0;
/** The resident buffers (views this file made, each at its padded region's start) and their regions. */
const residents = new WeakMap<Float32Array, Region>();
/** Frees a resident buffer's region once its view is garbage (the view is its only owner). */
const regions = new FinalizationRegistry<Region>((region) => {
  residentFloats -= region.floats;
  wasmRuntime()?.free(region);
});

/**
 * A zero-filled float32 buffer of n elements in the kernel runtime's memory, padded to whole lines, where
 * the Adam kernel can run; else null (the caller makes an ordinary one). It is an ordinary Float32Array
 * for everything else (state dicts copy it with `slice`); its region is freed when it is collected.
 */
export function residentBuffer(n: number): Float32Array | null {
  if (!wanted(n)) return null;
  const env = adamRuntime();
  const floats = Math.ceil(n / LINE) * LINE;
  if (!env || residentFloats + floats > RESIDENT_MAX_FLOATS) return null;
  const region = env.rt.alloc(floats);
  if (!region) return null;
  residentFloats += region.floats;
  const view = env.rt.view(region, n);
  view.fill(0);
  regions.register(view, region, view);
  residents.set(view, region);
  return view;
}

/**
 * Frees a resident buffer's region now (no-op for any other array), for state being replaced (e.g. by
 * `loadStateDict`) that nothing else holds: the garbage collector would free it only after the event loop
 * turns, so a synchronous loop that restores state over and over would otherwise fill the budget.
 */
export function releaseResident(view: Float32Array | Float64Array | undefined): void {
  const region = view instanceof Float32Array ? residents.get(view) : undefined;
  if (!region) return;
  residents.delete(view as Float32Array);
  regions.unregister(view as Float32Array);
  residentFloats -= region.floats;
  wasmRuntime()!.free(region);
}

/**
 * One float32 Adam step on the runtime: θ and its gradient are copied in, θ copied back out; the moments
 * must be resident buffers (`residentBuffer`). Returns false, having changed nothing, where it cannot run
 * (the caller then runs the JS loop, which computes the same bits).
 */
export function adamStepKernel(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vMax: Float32Array | null,
  variant: AdamVariant, s: AdamScalars,
): boolean {
  const n = p.length;
  if (!wanted(n) || g.length !== n) return false;
  const env = adamRuntime();
  if (!env) return false;
  const { rt, kernel } = env;
  if (!residents.has(m) || !residents.has(v) || (vMax !== null && !residents.has(vMax))) return false;
  if (m.length !== n || v.length !== n || (vMax !== null && vMax.length !== n)) return false;
  const mAt = rt.addressOf(m), vAt = rt.addressOf(v), xAt = vMax ? rt.addressOf(vMax) : 0;
  const padded = Math.ceil(n / LINE) * LINE;
  const scratch = rt.alloc(2 * padded);
  if (!scratch) return false;
  try {
    const pAt = scratch.at, gAt = scratch.at + 4 * padded;
    const heap = rt.f32();
    heap.set(p, pAt / 4);
    heap.set(g, gAt / 4);
    rt.run([{
      kernel: kernel(variantName(variant)),
      args: [pAt, gAt, mAt, vAt, xAt, n, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.negStep, s.bc2Sqrt, s.eps, s.decay],
    }], parts(rt, n));
    p.set(rt.f32().subarray(pAt / 4, pAt / 4 + n));
  } finally {
    rt.free(scratch);
  }
  return true;
}
