// The float32 cross-entropy's forward sweep on core's WebAssembly runtime: per kept row its max, Σ eˣ of
// the shifted logits and softmax = eˣ / Σ (stored as float32) — the same numbers as the JS loop in
// softmax-cross-entropy.ts, bit for bit, in about 60% of its time on [2048, 65]. eˣ is `expFloat32`
// (core's kernels/fast-exp.ts) step for step in float64 lanes, two at a time: the same clamps, the same Cody–Waite
// reduction and degree-7 polynomial (IEEE float64 add and mul, unfused, give the same bits in WebAssembly
// as in JS), 2^k built from its exponent bits (the table's value exactly, k ∈ [−150, 128]). The row sum
// still adds one term at a time in column order, so it too is the JS loop's sum. The row max is taken
// four floats at a time (a max is exact in any order; a tie of +0 and −0 may pick the other zero, which
// changes no result: x − (±0) and eˣ are the same).
// NOTE: core's emitter lacks the float64 and f64x2 opcodes; they are written here as bytes. If they move
// into the emitter, use them from there.
import { FunctionBuilder, ModuleBuilder, ValType, wasmRuntime } from '@unroll/core/internal';
import type { Kernel, Target } from '@unroll/core/internal';

const { i32, i64, f64, v128 } = ValType;

// expFloat32's constants (see core's kernels/fast-exp.ts; the same doubles).
const LOG2E = 1.4426950408889634, LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10, ROUND = 6755399441055744;
const POLY = [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1];

/**
 * rows(part, parts, thread, x, rows, classes, keep, probs, sums, shifts): for each row i of this part's
 * slice with keep[i] ≠ 0, shifts[i] = its max (0 when not finite), e_c = expFloat32(x[i, c] − shift),
 * sums[i] = Σ_c e_c (unrounded, in column order), probs[i, c] = float32(float32(e_c) / sums[i]) — what the
 * JS loop's two stores into a Float32Array give. Byte addresses; keep is int32, sums and shifts float64.
 */
function expRowsModule(target: Target): Uint8Array {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [part, parts, , x, rows, classes, keep, exps, sums, shifts] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]; // exps: the probs, e until divided
  const i = f.local(i32), stop = f.local(i32), p = f.local(i32), q = f.local(i32), end = f.local(i32), end4 = f.local(i32);
  const m = f.local(ValType.f32), v = f.local(ValType.f32), shift = f.local(f64), s = f.local(f64), d = f.local(f64), k = f.local(f64), r = f.local(f64);
  const vt = f.local(v128), vm = f.local(v128), vx = f.local(v128), lo = f.local(v128), hiV = f.local(v128), vk = f.local(v128), vr = f.local(v128), vs = f.local(v128);
  // Vector constants, splatted once.
  const C = { lo: f.local(v128), hi: f.local(v128), log2e: f.local(v128), round: f.local(v128), ln2hi: f.local(v128), ln2lo: f.local(v128), bias: f.local(v128) };
  const poly = POLY.map(() => f.local(v128));
  const splat = (local: number, value: number) => { f.f64Const(value); f.f64x2Splat(); f.set(local); };
  splat(C.lo, -104); splat(C.hi, 89); splat(C.log2e, LOG2E); splat(C.round, ROUND); splat(C.ln2hi, LN2_HI); splat(C.ln2lo, LN2_LO);
  POLY.forEach((c, j) => splat(poly[j]!, c));
  f.i64Const(1023); f.i64x2Splat(); f.set(C.bias);

  /** e = expFloat32(d) on the f64x2 on the stack, leaving e; vr and vk are scratch. */
  const expVector = () => {
    f.get(C.lo); f.f64x2Pmax(); f.get(C.hi); f.f64x2Pmin().set(vr); // clamped d, in vr
    // t = d·log2e + ROUND holds k = t − ROUND in its low mantissa bits (see 2^k below).
    f.get(vr).get(C.log2e); f.f64x2Mul(); f.get(C.round); f.f64x2Add().tee(vt); f.get(C.round); f.f64x2Sub().set(vk);
    f.get(vr).get(vk).get(C.ln2hi); f.f64x2Mul(); f.f64x2Sub(); f.get(vk).get(C.ln2lo); f.f64x2Mul(); f.f64x2Sub().set(vr);
    // Horner from the inside: 1/5040, then (c + r·t) for each next coefficient.
    f.get(poly[0]!);
    for (let j = 1; j < POLY.length; j++) { f.get(vr); f.f64x2Mul(); f.get(poly[j]!); f.f64x2Add(); }
    // 2^k from its bits, (k + 1023) << 52: t's bits are ROUND's plus k, and ROUND's low 12 bits are 0, so
    // the shift leaves exactly k + 1023 (in [873, 1151]) as the exponent.
    f.get(vt).get(C.bias); f.i64x2Add(); f.i32Const(52); f.i64x2Shl(); f.f64x2Mul();
  };
  /** The same on the f64 on the stack (a row's last columns). */
  const expScalar = () => {
    f.set(d);
    // if (d < −104) d = −104; else if (d > 89) d = 89 — as selects (NaN stays NaN).
    f.f64Const(-104); f.get(d); f.get(d); f.f64Const(-104); f.f64Lt(); f.select().set(d);
    f.f64Const(89); f.get(d); f.f64Const(89); f.get(d); f.f64Lt(); f.select().set(d);
    f.get(d); f.f64Const(LOG2E); f.f64Mul(); f.f64Const(ROUND); f.f64Add(); f.f64Const(ROUND); f.f64Sub().set(k);
    f.get(d).get(k); f.f64Const(LN2_HI); f.f64Mul(); f.f64Sub(); f.get(k); f.f64Const(LN2_LO); f.f64Mul(); f.f64Sub().set(r);
    f.f64Const(POLY[0]!);
    for (let j = 1; j < POLY.length; j++) { f.get(r); f.f64Mul(); f.f64Const(POLY[j]!); f.f64Add(); }
    f.get(k); f.i32TruncSatF64S(); f.i64ExtendI32S(); f.i64Const(1023); f.i64Add(); f.i64Const(52); f.i64Shl();
    f.f64ReinterpretI64(); f.f64Mul();
  };
  /** s += lane `lane` of the f64x2 in `local`. */
  const addLane = (local: number, lane: number) => { f.get(s).get(local); f.f64x2ExtractLane(lane); f.f64Add().set(s); };

  // This part's rows: [rows·part/parts, rows·(part+1)/parts).
  f.get(rows).get(part).i32Mul().get(parts).i32DivU().set(i);
  f.get(rows).get(part).i32Const(1).i32Add().i32Mul().get(parts).i32DivU().set(stop);
  f.block().loop();
  f.get(i).get(stop).i32LtS().i32Eqz().brIf(1);
  f.block(); // skip: an ignored row
  f.get(keep).get(i).i32Const(4).i32Mul().i32Add().i32Load().i32Eqz().brIf(0);
  // p = &x[i, 0], end = &x[i + 1, 0], end4 = end − 12 (four floats fit while p < end4).
  f.get(x).get(i).get(classes).i32Mul().i32Const(4).i32Mul().i32Add().tee(p);
  f.get(classes).i32Const(4).i32Mul().i32Add().tee(end).i32Const(12).i32Sub().set(end4);
  // The row max: four lanes, then the lanes and the tail one at a time (m < v ? v : m ignores NaN).
  f.f32x4Const(-Infinity).set(vm);
  f.block().loop();
  f.get(p).get(end4).i32LtS().i32Eqz().brIf(1);
  f.get(vm).get(p).v128Load(); f.f32x4Pmax().set(vm);
  f.get(p).i32Const(16).i32Add().set(p).br(0);
  f.end().end();
  f.f32Const(-Infinity).set(m);
  for (let lane = 0; lane < 4; lane++) {
    f.get(vm); f.f32x4ExtractLane(lane).set(v);
    f.get(v).get(m).get(m).get(v); f.f32Lt(); f.select().set(m);
  }
  f.block().loop();
  f.get(p).get(end).i32LtS().i32Eqz().brIf(1);
  f.get(p); f.f32Load().set(v);
  f.get(v).get(m).get(m).get(v); f.f32Lt(); f.select().set(m);
  f.get(p).i32Const(4).i32Add().set(p).br(0);
  f.end().end();
  // shift = m when finite (m − m = 0), else 0.
  f.get(m); f.f64PromoteF32(); f.f64Const(0); f.get(m).get(m); f.f32Sub(); f.f32Const(0); f.f32Eq(); f.select().set(shift);
  f.get(shifts).get(i).i32Const(8).i32Mul().i32Add().get(shift); f.f64Store();
  // The exps: four at a time (two f64x2 halves), then the tail.
  f.get(x).get(i).get(classes).i32Mul().i32Const(4).i32Mul().i32Add().set(p);
  f.get(exps).get(i).get(classes).i32Mul().i32Const(4).i32Mul().i32Add().set(q);
  f.get(shift); f.f64x2Splat().set(vs);
  f.f64Const(0).set(s);
  f.block().loop();
  f.get(p).get(end4).i32LtS().i32Eqz().brIf(1);
  f.get(p).v128Load().set(vx);
  f.get(vx); f.f64x2PromoteLowF32x4(); f.get(vs); f.f64x2Sub(); expVector(); f.set(lo);
  f.get(vx).get(vx); f.f32x4Shuffle([2, 3, 2, 3]); f.f64x2PromoteLowF32x4(); f.get(vs); f.f64x2Sub(); expVector(); f.set(hiV);
  addLane(lo, 0); addLane(lo, 1); addLane(hiV, 0); addLane(hiV, 1);
  f.get(q).get(lo); f.f32x4DemoteF64x2Zero(); f.get(hiV); f.f32x4DemoteF64x2Zero(); f.f32x4Shuffle([0, 1, 4, 5]); f.v128Store();
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(q).i32Const(16).i32Add().set(q).br(0);
  f.end().end();
  f.block().loop();
  f.get(p).get(end).i32LtS().i32Eqz().brIf(1);
  f.get(q).get(p); f.f32Load(); f.f64PromoteF32(); f.get(shift); f.f64Sub(); expScalar();
  f.tee(d); f.get(s).get(d); f.f64Add().set(s); // d now holds e
  f.f32DemoteF64(); f.f32Store();
  f.get(p).i32Const(4).i32Add().set(p);
  f.get(q).i32Const(4).i32Add().set(q).br(0);
  f.end().end();
  f.get(sums).get(i).i32Const(8).i32Mul().i32Add().get(s); f.f64Store();
  // probs = float32(e / s) in place: four at a time, then the tail.
  f.get(exps).get(i).get(classes).i32Mul().i32Const(4).i32Mul().i32Add().set(q);
  f.get(q).get(classes).i32Const(4).i32Mul().i32Add().tee(end).i32Const(12).i32Sub().set(end4);
  f.get(s); f.f64x2Splat().set(vs);
  f.block().loop();
  f.get(q).get(end4).i32LtS().i32Eqz().brIf(1);
  f.get(q).v128Load().set(vx);
  f.get(q);
  f.get(vx); f.f64x2PromoteLowF32x4(); f.get(vs); f.f64x2Div(); f.f32x4DemoteF64x2Zero();
  f.get(vx).get(vx); f.f32x4Shuffle([2, 3, 2, 3]); f.f64x2PromoteLowF32x4(); f.get(vs); f.f64x2Div(); f.f32x4DemoteF64x2Zero();
  f.f32x4Shuffle([0, 1, 4, 5]); f.v128Store();
  f.get(q).i32Const(16).i32Add().set(q).br(0);
  f.end().end();
  f.block().loop();
  f.get(q).get(end).i32LtS().i32Eqz().brIf(1);
  f.get(q).get(q); f.f32Load(); f.f64PromoteF32(); f.get(s); f.f64Div(); f.f32DemoteF64(); f.f32Store();
  f.get(q).i32Const(4).i32Add().set(q).br(0);
  f.end().end();
  f.end(); // skip
  f.get(i).i32Const(1).i32Add().set(i).br(0);
  f.end().end();
  return new ModuleBuilder().importMemory('env', 'memory', 1, target.memory).addFunction('rows', f).encode();
}

let kernel: Kernel | null | undefined;
let enabled = true, sweeps = 0;

/** Switches the WebAssembly sweep on (default) or off (the JS loop runs), for tests comparing the two; returns the previous setting. */
export function setWasmSweep(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}
/** How many sweeps ran on the runtime so far: for tests that it is used. */
export const wasmSweepCount = (): number => sweeps;

/**
 * The sweep on the runtime, or false where it cannot run here (no runtime, an unshared memory — copying
 * in may grow it, detaching views a caller holds — or a module the engine refuses); the caller then runs
 * its JS loop. Fills probs [rows·classes], sums and shifts [rows] as that loop does (ignored rows untouched).
 */
export function expRowsWasm(
  x: Float32Array, rows: number, classes: number, keep: Int32Array, probs: Float32Array, sums: Float64Array, shifts: Float64Array,
): boolean {
  const rt = enabled ? wasmRuntime() : null;
  if (!rt || !rt.shared) return false;
  if (kernel === undefined) {
    try {
      kernel = rt.load('autograd.softmax-exp', expRowsModule)('rows');
    } catch {
      kernel = null;
    }
  }
  if (kernel === null) return false;
  const n = rows * classes, up16 = (bytes: number) => Math.ceil(bytes / 16) * 16;
  // Layout: keep (int32), sums and shifts (float64), x, exps (float32), each 16-byte aligned.
  const keepAt = 0, sumsAt = up16(4 * rows), shiftsAt = sumsAt + 8 * rows, xAt = shiftsAt + 8 * rows, expsAt = xAt + up16(4 * n);
  const region = rt.alloc((expsAt + 4 * n) / 4);
  if (!region) return false;
  try {
    const at = region.at, buf = rt.f32().buffer;
    new Int32Array(buf, at + keepAt, rows).set(keep);
    new Float32Array(buf, at + xAt, n).set(x);
    // On this thread: split over two (the kernel can, by rows) it took more CPU and no less wall time at
    // [2048, 65] here (a worker's wake-up costs about what its half saves).
    rt.run([{ kernel, args: [at + xAt, rows, classes, at + keepAt, at + expsAt, at + sumsAt, at + shiftsAt] }], 1);
    probs.set(new Float32Array(buf, at + expsAt, n));
    sums.set(new Float64Array(buf, at + sumsAt, rows));
    shifts.set(new Float64Array(buf, at + shiftsAt, rows));
    sweeps++;
    return true;
  } finally {
    rt.free(region);
  }
}
