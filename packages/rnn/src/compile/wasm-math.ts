// float32x4 arithmetic the generated WebAssembly kernels need beyond core's assembler (comparisons, masks,
// abs / neg / sqrt, lane extraction), and vectorised e^x, σ(x) and tanh(x) accurate to float32 rounding
// (bounds in the test wasm-math.test.ts): what a compiled float32 step computes its elementwise work with.
import { FunctionBuilder, ModuleBuilder, ValType } from '@unroll/core/internal';

const V128 = ValType.v128;

/** Appends SIMD instruction `opcode` (0xfd prefix, LEB128 opcode) and optional immediate bytes. */
export function simd(f: FunctionBuilder, opcode: number, ...immediates: number[]): FunctionBuilder {
  f.code.push(0xfd);
  let v = opcode;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    f.code.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  f.code.push(...immediates);
  return f;
}

/** The instructions by name (binary encodings of the SIMD proposal). */
export const OP = {
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, bitselect: 0x52,
  eq: 0x41, ne: 0x42, lt: 0x43, gt: 0x44, le: 0x45, ge: 0x46,
  abs: 0xe0, neg: 0xe1, sqrt: 0xe3, i32x4ShrS: 0xac, i32x4Sub: 0xb1,
} as const;

/** Pushes lane `lane` of the f32x4 on the stack as an f32. */
export function extractLane(f: FunctionBuilder, lane: number): void {
  simd(f, 0x1f, lane);
}

/** Temporaries the math emitters share (v128 locals of one function). */
export interface MathLocals { x: number; k: number; r: number; y: number; h: number }

export function mathLocals(f: FunctionBuilder): MathLocals {
  return { x: f.local(V128), k: f.local(V128), r: f.local(V128), y: f.local(V128), h: f.local(V128) };
}

/** 1.5·2²³: adding it to |y| < 2²² leaves round(y) (ties to even) in the low mantissa bits. */
const ROUNDER = 12582912;
/** The float32 bit pattern of ROUNDER. */
const ROUNDER_BITS = 0x4b400000;

/**
 * Replaces v on the stack by e^v: Cephes expf (v = k·ln2 + r, ln2 split in two so k·C1 is exact, e^r by
 * a degree-6 polynomial), with 2^k applied as two halves 2^⌊k/2⌋·2^(k−⌊k/2⌋) so the whole float32 range
 * comes out right: +Inf above ln(FLT_MAX), gradual underflow to subnormals and 0 below, NaN stays NaN.
 */
export function exp(f: FunctionBuilder, m: MathLocals): void {
  // NOTE: as the fused kernels (fused/wasm/kernels.ts): pmax/pmin clamp as max/min do (a NaN stays NaN) in
  // one instruction each, where max/min cost about seven on x64; and k = round(v·log2e) comes from adding
  // ROUNDER (t = v·log2e + ROUNDER, kept in h until k's integer form is taken: k = t − ROUNDER exactly, and
  // t's bits minus ROUNDER_BITS are k as an integer), the value f32x4.nearest gives, without nearest and
  // the costly float-to-int conversion. Bit-identical results.
  f.f32x4Const(-104).f32x4Pmax().f32x4Const(89).f32x4Pmin().set(m.x);
  f.get(m.x).f32x4Const(1.4426950408889634).f32x4Mul().f32x4Const(ROUNDER).f32x4Add().set(m.h);
  f.get(m.h).f32x4Const(ROUNDER).f32x4Sub().set(m.k);
  f.get(m.x).get(m.k).f32x4Const(0.693359375).f32x4Mul().f32x4Sub()
    .get(m.k).f32x4Const(-2.12194440e-4).f32x4Mul().f32x4Sub().set(m.r);
  f.f32x4Const(1.9875691500e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) {
    f.get(m.r).f32x4Mul().f32x4Const(c).f32x4Add();
  }
  // y = p·r² + r + 1
  f.get(m.r).get(m.r).f32x4Mul().f32x4Mul().get(m.r).f32x4Add().f32x4Const(1).f32x4Add().set(m.y);
  // k as integers; h = k >> 1; 2^h and 2^(k−h) built in the exponent bits.
  f.get(m.h).i32x4Const(-ROUNDER_BITS).i32x4Add().set(m.k);
  f.get(m.k).i32Const(1); simd(f, OP.i32x4ShrS); f.set(m.h);
  f.get(m.y).get(m.h).i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
  f.get(m.k).get(m.h); simd(f, OP.i32x4Sub); f.i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
}

/** Replaces v on the stack by σ(v) = 1 / (1 + e⁻ᵛ) (0 and 1 at the ends, NaN stays NaN). */
export function sigmoid(f: FunctionBuilder, m: MathLocals): void {
  simd(f, OP.neg);
  exp(f, m);
  f.set(m.y).f32x4Const(1).f32x4Const(1).get(m.y).f32x4Add().f32x4Div();
}

/**
 * Replaces v on the stack by tanh v: Eigen's float rational approximation (as fused/fast-math.ts's
 * tanhFast) on v clamped to ±7.905 (where float32 tanh is ±1 to rounding; pmax/pmin as in `exp`); keeps −0 and NaN.
 */
export function tanh(f: FunctionBuilder, m: MathLocals): void {
  f.f32x4Const(-7.90531110763549805).f32x4Pmax().f32x4Const(7.90531110763549805).f32x4Pmin().set(m.x);
  f.get(m.x).get(m.x).f32x4Mul().set(m.r);
  f.f32x4Const(-2.76076847742355e-16);
  for (const c of [2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5,
    6.37261928875436e-4, 4.89352455891786e-3]) {
    f.get(m.r).f32x4Mul().f32x4Const(c).f32x4Add();
  }
  f.get(m.x).f32x4Mul().set(m.y);
  f.f32x4Const(1.19825839466702e-6);
  for (const c of [1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3]) f.get(m.r).f32x4Mul().f32x4Const(c).f32x4Add();
  f.set(m.k).get(m.y).get(m.k).f32x4Div();
}

/**
 * For tests: `name` (exp, sigmoid, tanh) as a function over a Float32Array (length a multiple of 4), run
 * in a memory of its own. Null where the engine has no WebAssembly SIMD.
 */
export function mathKernelForTest(name: 'exp' | 'sigmoid' | 'tanh'): ((x: Float32Array) => Float32Array) | null {
  const api = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(n: number): number };
    Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> } } }).WebAssembly;
  if (!api) return null;
  const f = new FunctionBuilder([ValType.i32, ValType.i32]);
  const m = mathLocals(f);
  const i = f.local(ValType.i32);
  f.i32Const(0).set(i).block().loop();
  f.get(i).get(1).i32GeS().brIf(1);
  f.get(i).get(i).v128Load();
  ({ exp, sigmoid, tanh })[name](f, m);
  f.v128Store().get(i).i32Const(16).i32Add().set(i).br(0).end().end();
  const memory = new api.Memory({ initial: 1 });
  let inst;
  try {
    inst = new api.Instance(new api.Module(new ModuleBuilder().importMemory('env', 'memory', 1).addFunction('run', f).encode()), { env: { memory } });
  } catch {
    return null;
  }
  return (x) => {
    const bytes = x.length * 4;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    new Float32Array(memory.buffer, 0, x.length).set(x);
    inst.exports['run']!(0, bytes);
    return new Float32Array(memory.buffer, 0, x.length).slice();
  };
}
