// The float32 pointwise steps of LSTM and GRU, forward and backward, as WebAssembly SIMD (four lanes
// at a time): the same equations as lstm-kernels.ts / gru-kernels.ts, σ and tanh built from f32x4 arithmetic.
// Each is a runtime kernel (see @unroll/core/internal): (part, parts, thread, rows, …) runs the rows that
// part owns, split as core's gemm splits rows, so a queue [gemm, pointwise] needs no barrier.
import { FunctionBuilder, GEMM_MR, ModuleBuilder, ValType, emitPartRange } from '@unroll/core/internal';
import type { Target } from '@unroll/core/internal';

const I32 = ValType.i32, V128 = ValType.v128;

/** Temporaries the math emitters share (v128 locals of one function), and whether relaxed SIMD's madd may be used. */
interface MathLocals { x: number; k: number; t: number; r: number; y: number; relaxed: boolean }

function mathLocals(f: FunctionBuilder, relaxed: boolean): MathLocals {
  return { x: f.local(V128), k: f.local(V128), t: f.local(V128), r: f.local(V128), y: f.local(V128), relaxed };
}

/**
 * One Horner step on the stack's polynomial value p: p·v + c, with v the local `v`. Relaxed SIMD's madd
 * (one instruction, fused or not as the engine likes) where it is switched on; mul then add otherwise.
 */
function horner(f: FunctionBuilder, m: MathLocals, v: number, c: number): void {
  if (m.relaxed) f.get(v).f32x4Const(c).f32x4RelaxedMadd();
  else f.get(v).f32x4Mul().f32x4Const(c).f32x4Add();
}

/** 1.5·2²³: adding it to |y| < 2²² leaves round(y) (ties to even) in the low mantissa bits. */
const ROUNDER = 12582912;
/** The float32 bit pattern of ROUNDER. */
const ROUNDER_BITS = 0x4b400000;

/**
 * Pushes e^v for v on the stack (Cephes expf, relative error ~1e-7): v clamped to [−87, 87],
 * v = k·ln2 + r with ln2 split in two (exact k·C1), e^r by a degree-6 polynomial, 2^k built in the
 * exponent bits ((k + 127) << 23).
 */
function exp(f: FunctionBuilder, m: MathLocals): void {
  // NOTE: pmax/pmin clamp as max/min do (a NaN stays NaN) in one instruction each, where max/min cost
  // about seven on x64; and k = round(v·log2e) comes from adding ROUNDER (t = v·log2e + ROUNDER holds k
  // in its low bits: k = t − ROUNDER exactly, and its bits minus ROUNDER_BITS are k as an integer), the
  // same value f32x4.nearest gives, without nearest and the costly float-to-int conversion.
  f.f32x4Const(-87).f32x4Pmax().f32x4Const(87).f32x4Pmin().set(m.x);
  f.get(m.x).f32x4Const(1.4426950408889634).f32x4Mul().f32x4Const(ROUNDER).f32x4Add().set(m.t);
  f.get(m.t).f32x4Const(ROUNDER).f32x4Sub().set(m.k);
  f.get(m.x).get(m.k).f32x4Const(0.693359375).f32x4Mul().f32x4Sub()
    .get(m.k).f32x4Const(-2.12194440e-4).f32x4Mul().f32x4Sub().set(m.r);
  f.f32x4Const(1.9875691500e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) horner(f, m, m.r, c);
  // y = p·r² + r + 1
  f.get(m.r).get(m.r).f32x4Mul().f32x4Mul().get(m.r).f32x4Add().f32x4Const(1).f32x4Add().set(m.y);
  f.get(m.t).i32x4Const(127 - ROUNDER_BITS).i32x4Add().i32Const(23).i32x4Shl();
  f.get(m.y).f32x4Mul();
}

/** Pushes σ(v) = 1 / (1 + e⁻ᵛ) for v on the stack. */
function sigmoid(f: FunctionBuilder, m: MathLocals): void {
  f.set(m.y).f32x4Const(0).get(m.y).f32x4Sub();
  exp(f, m);
  f.set(m.y).f32x4Const(1).f32x4Const(1).get(m.y).f32x4Add().f32x4Div();
}

/** Pushes tanh v for v on the stack: Eigen's float rational approximation (as tanhFast in fast-math.ts). */
function tanh(f: FunctionBuilder, m: MathLocals): void {
  f.f32x4Const(-7.90531110763549805).f32x4Pmax().f32x4Const(7.90531110763549805).f32x4Pmin().set(m.x);
  f.get(m.x).get(m.x).f32x4Mul().set(m.r);
  f.f32x4Const(-2.76076847742355e-16);
  for (const c of [2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5,
    6.37261928875436e-4, 4.89352455891786e-3]) horner(f, m, m.r, c);
  f.get(m.x).f32x4Mul().set(m.y);
  f.f32x4Const(1.19825839466702e-6);
  for (const c of [1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3]) horner(f, m, m.r, c);
  f.set(m.k).get(m.y).get(m.k).f32x4Div();
}

/**
 * Emits `for (b = r0; b < r1; b++) for (j = 0; j < H4; j += 16) body(j)` over the rows [r0, r1) that part
 * `part` of `parts` owns (split in multiples of core's gemm MR, as its splitRows), advancing each pointer
 * local by its row stride (in units of H4 bytes) after every row. H4 = 4·H bytes, H a multiple of 4.
 */
function rowLoop(f: FunctionBuilder, part: number, parts: number, rows: number, H4: number,
  pointers: readonly [number, number][], j: number, body: () => void): void {
  const b = f.local(I32), r0 = f.local(I32), r1 = f.local(I32);
  emitPartRange(f, part, parts, rows, GEMM_MR, r0, r1);
  // Move every pointer to row r0; from here on `rows` counts the part's rows.
  for (const [p, blocks] of pointers) f.get(p).get(r0).get(H4).i32Mul().i32Const(blocks).i32Mul().i32Add().set(p);
  f.get(r1).get(r0).i32Sub().set(rows);
  f.i32Const(0).set(b);
  f.block().loop();
  f.get(b).get(rows).i32GeS().brIf(1);
  f.i32Const(0).set(j);
  f.block().loop();
  f.get(j).get(H4).i32GeS().brIf(1);
  body();
  f.get(j).i32Const(16).i32Add().set(j);
  f.br(0).end().end();
  for (const [p, blocks] of pointers) f.get(p).get(H4).i32Const(blocks).i32Mul().i32Add().set(p);
  f.get(b).i32Const(1).i32Add().set(b);
  f.br(0).end().end();
}

/**
 * lstm_fwd(part, parts, thread, rows, H4, act, hh, bias, cPrev, cNext, hNext, tc): `lstmForwardRow` (no peepholes) for
 * `rows` rows, four lanes at a time. act, hh: [rows, 4H] (act is overwritten with i|f|g|o); bias [4H];
 * cPrev, cNext, hNext, tc: [rows, H]. Addresses in bytes; H4 = 4·H bytes.
 */
function lstmForward(relaxed: boolean): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, H4, act, hh, bias, cp, cn, hn, tc] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const j = f.local(I32), addr = f.local(I32), hAddr = f.local(I32), bAddr = f.local(I32), sAddr = f.local(I32);
  const [a0, a1, a2, a3, i, fg, g, c] = Array.from({ length: 8 }, () => f.local(V128));
  const m = mathLocals(f, relaxed);
  rowLoop(f, part, parts, rows, H4, [[act, 4], [hh, 4], [cp, 1], [cn, 1], [hn, 1], [tc, 1]], j, () => {
    f.get(act).get(j).i32Add().set(addr);
    f.get(hh).get(j).i32Add().set(hAddr);
    f.get(bias).get(j).i32Add().set(bAddr);
    // a_q = (x·W_ihᵀ + h·W_hhᵀ) + (b_ih + b_hh) for the four gate blocks q, H4 bytes apart.
    [a0, a1, a2, a3].forEach((a, q) => {
      f.get(addr).v128Load().get(hAddr).v128Load().f32x4Add().get(bAddr).v128Load().f32x4Add().set(a);
      if (q < 3) {
        for (const p of [addr, hAddr, bAddr]) f.get(p).get(H4).i32Add().set(p);
      }
    });
    f.get(a0); sigmoid(f, m); f.set(i);
    f.get(a1); sigmoid(f, m); f.set(fg);
    f.get(a2); tanh(f, m); f.set(g);
    f.get(cp).get(j).i32Add().set(sAddr);
    f.get(fg).get(sAddr).v128Load().f32x4Mul().get(i).get(g).f32x4Mul().f32x4Add().set(c);
    f.get(a3); sigmoid(f, m); f.set(a3); // o
    f.get(c); tanh(f, m); f.set(a0); // tanh(c')
    // Store i|f|g|o back over the pre-activations (addr points at the o block now).
    f.get(act).get(j).i32Add().set(addr);
    for (const v of [i, fg, g]) f.get(addr).get(v).v128Store().get(addr).get(H4).i32Add().set(addr);
    f.get(addr).get(a3).v128Store();
    f.get(cn).get(j).i32Add().get(c).v128Store();
    f.get(hn).get(j).i32Add().get(a3).get(a0).f32x4Mul().v128Store();
    f.get(tc).get(j).i32Add().get(a0).v128Store();
  });
  return f;
}

/**
 * gru_fwd(part, parts, thread, rows, H4, gi, bi, gh, bh, hPrev, hNext, save): `gruForwardRow` for `rows` rows. gi, gh:
 * [rows, 3H]; bi, bh: [3H] (zeros without bias); hPrev, hNext: [rows, H]; save: [rows, 4H] ← r|z|n|h_n.
 */
function gruForward(relaxed: boolean): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, H4, gi, bi, gh, bh, hp, hn, save] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const j = f.local(I32), xa = f.local(I32), ba = f.local(I32), ha = f.local(I32), ca = f.local(I32), sa = f.local(I32);
  const [r, z, n, hv, h] = Array.from({ length: 5 }, () => f.local(V128));
  const m = mathLocals(f, relaxed);
  const next = () => { for (const p of [xa, ba, ha, ca]) f.get(p).get(H4).i32Add().set(p); };
  rowLoop(f, part, parts, rows, H4, [[gi, 3], [gh, 3], [hp, 1], [hn, 1], [save, 4]], j, () => {
    f.get(gi).get(j).i32Add().set(xa);
    f.get(bi).get(j).i32Add().set(ba);
    f.get(gh).get(j).i32Add().set(ha);
    f.get(bh).get(j).i32Add().set(ca);
    // r and z: σ((x + b_i) + (h + b_h)) per block.
    for (const out of [r, z]) {
      f.get(xa).v128Load().get(ba).v128Load().f32x4Add().get(ha).v128Load().get(ca).v128Load().f32x4Add().f32x4Add();
      sigmoid(f, m);
      f.set(out);
      next();
    }
    f.get(ha).v128Load().get(ca).v128Load().f32x4Add().set(hv); // h_n = W_hn h + b_hn
    f.get(xa).v128Load().get(ba).v128Load().f32x4Add().get(r).get(hv).f32x4Mul().f32x4Add();
    tanh(f, m);
    f.set(n);
    f.get(hp).get(j).i32Add().v128Load().set(h);
    f.get(hn).get(j).i32Add().get(n).get(z).get(h).get(n).f32x4Sub().f32x4Mul().f32x4Add().v128Store();
    f.get(save).get(j).i32Add().set(sa);
    for (const v of [r, z, n]) f.get(sa).get(v).v128Store().get(sa).get(H4).i32Add().set(sa);
    f.get(sa).get(hv).v128Store();
  });
  return f;
}

/** Pushes 1 − v·v for the local v. */
function oneMinusSquare(f: FunctionBuilder, v: number): void {
  f.f32x4Const(1).get(v).get(v).f32x4Mul().f32x4Sub();
}

/** Pushes v·(1 − v) for the local v (σ's derivative from its output). */
function sigmoidSlope(f: FunctionBuilder, v: number): void {
  f.get(v).f32x4Const(1).get(v).f32x4Sub().f32x4Mul();
}

/**
 * lstm_bwd(part, parts, thread, rows, H4, act, cPrev, tc, dh, dy, dc, dG): `lstmBackwardRow` (no peepholes) for `rows`
 * rows. act [rows, 4H] (i|f|g|o), cPrev, tc, dh, dy [rows, H]; dc [rows, H] in: from the next step,
 * out: to the previous; dG [rows, 4H] ← d(pre-activations). dh is read, not zeroed (the caller's
 * gemm then overwrites it).
 */
function lstmBackward(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, H4, act, cp, tc, dh, dy, dc, dG] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const j = f.local(I32), addr = f.local(I32), out = f.local(I32);
  const [i, fg, g, o, th, dhv, dcv] = Array.from({ length: 7 }, () => f.local(V128));
  rowLoop(f, part, parts, rows, H4, [[act, 4], [cp, 1], [tc, 1], [dh, 1], [dy, 1], [dc, 1], [dG, 4]], j, () => {
    f.get(act).get(j).i32Add().set(addr);
    for (const v of [i, fg, g]) f.get(addr).v128Load().set(v).get(addr).get(H4).i32Add().set(addr);
    f.get(addr).v128Load().set(o);
    f.get(tc).get(j).i32Add().v128Load().set(th);
    f.get(dh).get(j).i32Add().v128Load().get(dy).get(j).i32Add().v128Load().f32x4Add().set(dhv);
    f.get(dc).get(j).i32Add().v128Load().get(dhv).get(o).f32x4Mul();
    oneMinusSquare(f, th);
    f.f32x4Mul().f32x4Add().set(dcv);
    f.get(dG).get(j).i32Add().set(out);
    // dai = dc̄·g·i(1 − i)
    f.get(out).get(dcv).get(g).f32x4Mul();
    sigmoidSlope(f, i);
    f.f32x4Mul().v128Store();
    // daf = dc̄·c·f(1 − f)
    f.get(out).get(H4).i32Add().tee(out).get(dcv).get(cp).get(j).i32Add().v128Load().f32x4Mul();
    sigmoidSlope(f, fg);
    f.f32x4Mul().v128Store();
    // dag = dc̄·i·(1 − g²)
    f.get(out).get(H4).i32Add().tee(out).get(dcv).get(i).f32x4Mul();
    oneMinusSquare(f, g);
    f.f32x4Mul().v128Store();
    // dao = dh̄·tanh(c')·o(1 − o)
    f.get(out).get(H4).i32Add().get(dhv).get(th).f32x4Mul();
    sigmoidSlope(f, o);
    f.f32x4Mul().v128Store();
    f.get(dc).get(j).i32Add().get(dcv).get(fg).f32x4Mul().v128Store();
  });
  return f;
}

/**
 * gru_bwd(part, parts, thread, rows, H4, save, hPrev, dh, dy, dgi, dgh): `gruBackwardRow` for `rows` rows. save [rows, 4H]
 * (r|z|n|h_n); hPrev, dy [rows, H]; dh [rows, H] in: dh', out: its direct part dh'·z (the caller adds
 * dgh·W_hh); dgi, dgh [rows, 3H] ← the x-side and h-side pre-activation gradients.
 */
function gruBackward(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [part, parts, , rows, H4, save, hp, dh, dy, dgi, dgh] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const j = f.local(I32), addr = f.local(I32), xo = f.local(I32), ho = f.local(I32);
  const [r, z, n, hn, dhv, dan, daz, dar] = Array.from({ length: 8 }, () => f.local(V128));
  rowLoop(f, part, parts, rows, H4, [[save, 4], [hp, 1], [dh, 1], [dy, 1], [dgi, 3], [dgh, 3]], j, () => {
    f.get(save).get(j).i32Add().set(addr);
    for (const v of [r, z, n]) f.get(addr).v128Load().set(v).get(addr).get(H4).i32Add().set(addr);
    f.get(addr).v128Load().set(hn);
    f.get(dh).get(j).i32Add().v128Load().get(dy).get(j).i32Add().v128Load().f32x4Add().set(dhv);
    // dan = dh̄(1 − z)(1 − n²)
    f.get(dhv).f32x4Const(1).get(z).f32x4Sub().f32x4Mul();
    oneMinusSquare(f, n);
    f.f32x4Mul().set(dan);
    // daz = dh̄(h − n)·z(1 − z)
    f.get(dhv).get(hp).get(j).i32Add().v128Load().get(n).f32x4Sub().f32x4Mul();
    sigmoidSlope(f, z);
    f.f32x4Mul().set(daz);
    // dar = dan·h_n·r(1 − r)
    f.get(dan).get(hn).f32x4Mul();
    sigmoidSlope(f, r);
    f.f32x4Mul().set(dar);
    f.get(dgi).get(j).i32Add().set(xo);
    f.get(dgh).get(j).i32Add().set(ho);
    for (const v of [dar, daz]) {
      f.get(xo).get(v).v128Store().get(ho).get(v).v128Store();
      f.get(xo).get(H4).i32Add().set(xo).get(ho).get(H4).i32Add().set(ho);
    }
    f.get(xo).get(dan).v128Store().get(ho).get(dan).get(r).f32x4Mul().v128Store();
    f.get(dh).get(j).i32Add().get(dhv).get(z).f32x4Mul().v128Store();
  });
  return f;
}

/** The module's bytes for `target`: exports `lstm_fwd`, `lstm_bwd`, `gru_fwd` and `gru_bwd`, importing `env.memory`. */
export function pointwiseModule(target: Target): Uint8Array {
  return new ModuleBuilder()
    .importMemory('env', 'memory', 1, target.memory)
    .addFunction('lstm_fwd', lstmForward(target.relaxed)).addFunction('lstm_bwd', lstmBackward())
    .addFunction('gru_fwd', gruForward(target.relaxed)).addFunction('gru_bwd', gruBackward())
    .encode();
}
