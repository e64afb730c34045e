// The WebAssembly side of the float32 gemm, emitted with ./emitter.ts: an f32x4 macro-kernel over packed
// panels and the SIMD packers that lay operands out for it. ./gemm-f32.ts drives them.
import { FunctionBuilder, ModuleBuilder, ValType } from './emitter.js';

// Micro-tile MR × NR = 4 × 8: eight f32x4 accumulators, two B vectors, a broadcast A value and a product
// fit the 15 xmm registers V8 allocates on x64. 3 × 12, 5 × 8, 6 × 8, 2 × 16 and 3 × 16 were no faster
// (30–36 GFLOP/s at 512³ for all, within the noise of a shared machine).
/** Micro-tile rows. */
export const MR = 4;
/** Micro-tile columns: NV f32x4 vectors per row. */
export const NR = 8;
const NV = NR / 4;
const F32 = 4; // bytes per float
/** Byte address of the MR × NR scratch tile the macro-kernel spills ragged edge tiles to. */
export const SCRATCH = 0;

/** The module's exports. Addresses and strides are in bytes; counts in floats, lines or panels. */
export interface GemmF32Exports {
  /**
   * For every MR × NR tile of an mc × nc block of C at `c` (row stride ldc): C_tile = alpha · A_panel ·
   * B_panel, plus beta · C_tile when readC ≠ 0 (C is not read otherwise). pa holds ⌈mc/MR⌉ packed panels
   * of kc × MR floats, pb ⌈nc/NR⌉ panels of kc × NR; kc ≥ 1.
   */
  macro(pa: number, pb: number, c: number, ldc: number, mc: number, nc: number, kc: number,
    alpha: number, beta: number, readC: number): void;
  /** Packs `panels` panels of W (MR or NR) lines whose elements are contiguous along the line (steps `ss` apart). */
  packContigA(src: number, ss: number, panels: number, kc: number, dst: number): void;
  packContigB(src: number, ss: number, panels: number, kc: number, dst: number): void;
  /** Packs `panels` panels of W lines that lie `ls` apart, each contiguous along k (a 4 × 4 transpose per load). */
  packStridedA(src: number, ls: number, panels: number, kc: number, dst: number): void;
  packStridedB(src: number, ls: number, panels: number, kc: number, dst: number): void;
}

/** Assembles the module; it imports its memory as `env.memory`. */
export function gemmF32Module(): Uint8Array {
  return new ModuleBuilder()
    .importMemory('env', 'memory', 1)
    .addFunction('macro', emitMacroKernel())
    .addFunction('packContigA', emitPackContig(MR))
    .addFunction('packContigB', emitPackContig(NR))
    .addFunction('packStridedA', emitPackStrided(MR))
    .addFunction('packStridedB', emitPackStrided(NR))
    .encode();
}

/** A one-instruction SIMD module, for feature detection with `WebAssembly.validate`. */
export function simdProbeModule(): Uint8Array {
  const f = new FunctionBuilder([]);
  f.v128Zero().v128Zero().f32x4Add().drop();
  return new ModuleBuilder().addFunction('probe', f).encode();
}

const { i32, f32, v128 } = ValType;

/**
 * The macro-kernel: column panels jr outside, row panels ir inside, so one kc × NR panel of B stays in
 * L1 while the A panels stream from L2. Each k-step loads NV B vectors and MR broadcast A values for
 * MR·NV f32x4 multiply-adds into accumulators held in locals (registers).
 */
function emitMacroKernel(): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, f32, f32, i32]);
  const [pa, pb, c, ldc, mc, nc, kc, alpha, beta, readC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const jr = f.local(i32), ir = f.local(i32), aPanel = f.local(i32), bPanel = f.local(i32);
  const aStep = f.local(i32), bStep = f.local(i32), ap = f.local(i32), bp = f.local(i32), bEnd = f.local(i32);
  const cCol = f.local(i32), row = f.local(i32), mr = f.local(i32), nrBytes = f.local(i32);
  const i = f.local(i32), j = f.local(i32), s = f.local(i32), e = f.local(i32);
  const t = f.local(f32);
  const alphaV = f.local(v128), betaV = f.local(v128), av = f.local(v128);
  const acc = Array.from({ length: MR * NV }, () => f.local(v128));
  const bv = Array.from({ length: NV }, () => f.local(v128));

  f.get(alpha).f32x4Splat().set(alphaV);
  f.get(beta).f32x4Splat().set(betaV);
  f.get(kc).i32Const(MR * F32).i32Mul().set(aStep); // bytes per packed A panel
  f.get(kc).i32Const(NR * F32).i32Mul().set(bStep); // bytes per packed B panel
  f.i32Const(0).set(jr).get(pb).set(bPanel).get(c).set(cCol);
  f.loop(); // column panels jr
  {
    f.i32Const(0).set(ir).get(pa).set(aPanel).get(cCol).set(row);
    f.loop(); // row panels ir
    {
      for (const x of acc) f.v128Zero().set(x);
      f.get(aPanel).set(ap).get(bPanel).tee(bp).get(bStep).i32Add().set(bEnd);
      // NOTE: one k-step per iteration. Unrolling 2× or 4× measured 5–30% slower in V8 (TurboFan then
      // spills accumulators), and it would need kc padded or a remainder loop.
      f.loop();
      {
        for (let v = 0; v < NV; v++) f.get(bp).v128Load(v * 16).set(bv[v]!);
        for (let r = 0; r < MR; r++) {
          f.get(ap).v128Load32Splat(r * F32).set(av);
          for (let v = 0; v < NV; v++) {
            const x = acc[r * NV + v]!;
            // NOTE: mul then add (baseline SIMD has no FMA): two roundings per step, as plain f32 code.
            f.get(x).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(x);
          }
        }
        f.get(ap).i32Const(MR * F32).i32Add().set(ap);
        f.get(bp).i32Const(NR * F32).i32Add().tee(bp).get(bEnd).i32Ne().brIf(0);
      }
      f.end();

      // Rows and columns (in bytes) of this tile that lie inside the block; a full tile has ≥ MR and ≥ NR.
      f.get(mc).get(ir).i32Sub().set(mr);
      f.get(nc).get(jr).i32Sub().i32Const(F32).i32Mul().set(nrBytes);
      f.get(mr).i32Const(MR).i32LtS().i32Eqz();
      f.get(nrBytes).i32Const(NR * F32).i32LtS().i32Eqz().i32And();
      f.if(); // full tile: vector stores straight into C
      {
        f.get(readC).if();
        storeRows(true);
        f.else();
        storeRows(false);
        f.end();
      }
      f.else(); // ragged edge: spill the tile to scratch, then write its top-left mr × nr part
      {
        // Padding rows/columns of the panels hold whatever the packers read past the operand; each
        // accumulator lane depends on one row of A and one column of B only, so it stays in the discarded part.
        f.get(mr).i32Const(MR).get(mr).i32Const(MR).i32LtS().select().set(mr);
        f.get(nrBytes).i32Const(NR * F32).get(nrBytes).i32Const(NR * F32).i32LtS().select().set(nrBytes);
        acc.forEach((x, q) => f.i32Const(SCRATCH).get(x).v128Store(q * 16));
        f.i32Const(0).set(i).get(row).set(e).i32Const(SCRATCH).set(s);
        f.loop();
        {
          f.i32Const(0).set(j);
          f.loop();
          {
            f.get(s).get(j).i32Add().f32Load().get(alpha).f32Mul().set(t);
            f.get(readC).if().get(t).get(e).get(j).i32Add().f32Load().get(beta).f32Mul().f32Add().set(t).end();
            f.get(e).get(j).i32Add().get(t).f32Store();
            f.get(j).i32Const(F32).i32Add().tee(j).get(nrBytes).i32LtS().brIf(0);
          }
          f.end();
          f.get(e).get(ldc).i32Add().set(e);
          f.get(s).i32Const(NR * F32).i32Add().set(s);
          f.get(i).i32Const(1).i32Add().tee(i).get(mr).i32LtS().brIf(0);
        }
        f.end();
      }
      f.end();

      f.get(aPanel).get(aStep).i32Add().set(aPanel);
      f.get(row).get(ldc).i32Const(MR).i32Mul().i32Add().set(row);
      f.get(ir).i32Const(MR).i32Add().tee(ir).get(mc).i32LtS().brIf(0);
    }
    f.end();
    f.get(bPanel).get(bStep).i32Add().set(bPanel);
    f.get(cCol).i32Const(NR * F32).i32Add().set(cCol);
    f.get(jr).i32Const(NR).i32Add().tee(jr).get(nc).i32LtS().brIf(0);
  }
  f.end();
  return f;

  /** C_row = alpha · acc (+ beta · C_row) for the MR rows of a full tile, starting at `row`. */
  function storeRows(withC: boolean): void {
    f.get(row).set(s);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < NV; v++) {
        f.get(s).get(acc[r * NV + v]!).get(alphaV).f32x4Mul();
        if (withC) f.get(s).v128Load(v * 16).get(betaV).f32x4Mul().f32x4Add();
        f.v128Store(v * 16);
      }
      if (r < MR - 1) f.get(s).get(ldc).i32Add().set(s);
    }
  }
}

/**
 * packContig(src, ss, panels, kc, dst) for lines contiguous in memory (op(B) rows in NN, op(A) columns
 * in TN): step p of a panel is W consecutive floats at src + p·ss, copied as W/4 vectors. The last panel
 * may read up to W − 1 floats past the final line.
 */
function emitPackContig(W: number): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32]);
  const [src, ss, panels, kc, dst] = [0, 1, 2, 3, 4];
  const x = f.local(i32), end = f.local(i32);
  f.loop();
  {
    f.get(src).set(x).get(dst).get(kc).i32Const(W * F32).i32Mul().i32Add().set(end);
    f.loop();
    {
      for (let v = 0; v < W / 4; v++) f.get(dst).get(x).v128Load(v * 16).v128Store(v * 16);
      f.get(x).get(ss).i32Add().set(x);
      f.get(dst).i32Const(W * F32).i32Add().tee(dst).get(end).i32Ne().brIf(0);
    }
    f.end();
    f.get(src).i32Const(W * F32).i32Add().set(src);
    f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  }
  f.end();
  return f;
}

/**
 * packStrided(src, ls, panels, kc, dst) for lines `ls` bytes apart, each contiguous along k (op(A) rows
 * in NN, op(B) columns in NT): four lines × four steps are loaded as four vectors and transposed with
 * shuffles into four steps × four lines. A last panel may read up to W − 1 lines past the final one and a
 * last group of steps up to 3 floats past kc; those lanes are never stored or land in padding.
 */
function emitPackStrided(W: number): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32]);
  const [src, ls, panels, kc, dst] = [0, 1, 2, 3, 4];
  const x = f.local(i32), y = f.local(i32), d = f.local(i32), end = f.local(i32), rest = f.local(i32);
  const row = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const half = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const out = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];

  /**
   * Loads a 4 × 4 block at x for every group of four lines and stores its transpose at d. With `partial`,
   * only the transposed rows t < rest are stored (the last 1–3 steps of k).
   */
  const transposeGroups = (partial: boolean) => {
    for (let g = 0; g < W / 4; g++) {
      // y walks the W lines from x: group g starts where group g − 1 ended.
      if (g === 0) f.get(x).set(y);
      for (let q = 0; q < 4; q++) {
        if (q > 0 || g > 0) f.get(y).get(ls).i32Add().set(y);
        f.get(y).v128Load().set(row[q]!);
      }
      // [a0 a1 a2 a3] [b..] [c..] [d..] → [a0 b0 a1 b1] [a2 b2 a3 b3] [c0 d0 c1 d1] [c2 d2 c3 d3] → columns.
      f.get(row[0]!).get(row[1]!).f32x4Shuffle([0, 4, 1, 5]).set(half[0]!);
      f.get(row[0]!).get(row[1]!).f32x4Shuffle([2, 6, 3, 7]).set(half[1]!);
      f.get(row[2]!).get(row[3]!).f32x4Shuffle([0, 4, 1, 5]).set(half[2]!);
      f.get(row[2]!).get(row[3]!).f32x4Shuffle([2, 6, 3, 7]).set(half[3]!);
      f.get(half[0]!).get(half[2]!).f32x4Shuffle([0, 1, 4, 5]).set(out[0]!);
      f.get(half[0]!).get(half[2]!).f32x4Shuffle([2, 3, 6, 7]).set(out[1]!);
      f.get(half[1]!).get(half[3]!).f32x4Shuffle([0, 1, 4, 5]).set(out[2]!);
      f.get(half[1]!).get(half[3]!).f32x4Shuffle([2, 3, 6, 7]).set(out[3]!);
      // Step t of these four lines goes to d + t·W floats, at lines 4g..4g+3 of the panel.
      for (let t = 0; t < 4; t++) {
        const guard = partial && t > 0;
        if (guard) f.i32Const(t).get(rest).i32LtS().if();
        f.get(d).get(out[t]!).v128Store((t * W + 4 * g) * F32);
        if (guard) f.end();
      }
    }
  };

  f.loop(); // panels
  {
    f.get(src).set(x).get(dst).set(d);
    // Steps in groups of four: end is x after the last full group.
    f.get(src).get(kc).i32Const(-4).i32And().i32Const(F32).i32Mul().i32Add().set(end);
    f.get(kc).i32Const(3).i32And().set(rest);
    f.block();
    f.get(x).get(end).i32Ne().i32Eqz().brIf(0);
    f.loop();
    {
      transposeGroups(false);
      f.get(d).i32Const(4 * W * F32).i32Add().set(d);
      f.get(x).i32Const(4 * F32).i32Add().tee(x).get(end).i32Ne().brIf(0);
    }
    f.end();
    f.end();
    // The last 1–3 steps: store only the transposed rows t < rest.
    f.get(rest).if();
    transposeGroups(true);
    f.end();
    f.get(src).get(ls).i32Const(W).i32Mul().i32Add().set(src);
    f.get(dst).get(kc).i32Const(W * F32).i32Mul().i32Add().set(dst);
    f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  }
  f.end();
  return f;
}
