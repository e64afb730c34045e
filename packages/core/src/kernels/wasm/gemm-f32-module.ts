// The WebAssembly side of the float32 gemm, emitted with ./emitter.ts: an f32x4 macro-kernel over packed
// panels, the SIMD packers that lay operands out for it, and the cache-blocking driver (`gemm`) that runs
// one part of a product on one thread. ./gemm-f32.ts calls it through the runtime.
import { FunctionBuilder, ModuleBuilder, ValType } from './emitter.js';
import type { Target } from './runtime.js';

// Micro-tile MR × NR = 4 × 8: eight f32x4 accumulators, two B vectors, a broadcast A value and a product
// fit the 15 xmm registers V8 allocates on x64. 3 × 12, 5 × 8, 6 × 8, 2 × 16 and 3 × 16 were no faster
// (30–36 GFLOP/s at 512³ for all, within the noise of a shared machine).
/** Micro-tile rows. */
export const MR = 4;
/** Micro-tile columns: NV f32x4 vectors per row. */
export const NR = 8;
const NV = NR / 4;
const F32 = 4; // bytes per float
// Cache blocks: a KC × NR panel of B (8 KB) stays in L1 across an MC × KC block of A (128 KB, L2). Speed
// was flat (±5%, within noise) for KC 128–512 and MC 64–256.
/** k-slice length of the packed panels (also of a pre-packed B). */
export const KC = 256;
const MC = 128;
const NC = 1024;
/**
 * Bytes of workspace one thread needs: the MR × NR edge tile, a packed MC × KC block of A and a packed
 * KC × NC block of B. Thread t uses ws + t · WORKSPACE_BYTES.
 */
export const WORKSPACE_BYTES = 256 + MC * KC * F32 + NC * KC * F32;

/** The module's exports. Addresses and strides are in bytes; counts in floats, lines or panels. */
export interface GemmF32Exports {
  /**
   * For every MR × NR tile of an mc × nc block of C at `c` (row stride ldc): C_tile = alpha · A_panel ·
   * B_panel, plus beta · C_tile when readC ≠ 0 (C is not read otherwise). pa holds ⌈mc/MR⌉ packed panels
   * of kc × MR floats, pb ⌈nc/NR⌉ panels of kc × NR; kc ≥ 1. Ragged edge tiles spill to the
   * MR × NR floats at `scratch`.
   */
  macro(pa: number, pb: number, c: number, ldc: number, mc: number, nc: number, kc: number,
    alpha: number, beta: number, readC: number, scratch: number): void;
  /**
   * One part of C = alpha · op(A) · op(B) + beta · C (addresses and leading dimensions in bytes): the
   * rows (splitRows ≠ 0, in multiples of MR) or columns (multiples of NR) that part `part` of `parts`
   * owns, with thread `thread`'s workspace at ws + thread · WORKSPACE_BYTES. op(B) comes packed from
   * `pb` (see packB) when pb ≠ 0, else from b. beta = 0 never reads C.
   */
  gemm(part: number, parts: number, thread: number, ws: number, splitRows: number, transA: number, transB: number,
    m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, pb: number,
    beta: number, c: number, ldc: number): void;
  /**
   * Packs op(B) [k, n] once, for every later gemm with pb: k-slices of KC, each ⌈n/NR⌉ panels of
   * kc × NR floats; slice p0 starts at pb + p0 · ⌈n/NR⌉·NR · 4. Parts split the slices.
   */
  packB(part: number, parts: number, thread: number, transB: number, k: number, n: number, b: number, ldb: number,
    pb: number): void;
  /** Packs `panels` panels of W (MR or NR) lines whose elements are contiguous along the line (steps `ss` apart). */
  packContigA(src: number, ss: number, panels: number, kc: number, dst: number): void;
  packContigB(src: number, ss: number, panels: number, kc: number, dst: number): void;
  /** Packs `panels` panels of W lines that lie `ls` apart, each contiguous along k (a 4 × 4 transpose per load). */
  packStridedA(src: number, ls: number, panels: number, kc: number, dst: number): void;
  packStridedB(src: number, ls: number, panels: number, kc: number, dst: number): void;
}

// Function indices, in the order the module adds them (for `call`).
const MACRO = 0, PACK_CONTIG_A = 1, PACK_CONTIG_B = 2, PACK_STRIDED_A = 3, PACK_STRIDED_B = 4;

/** Assembles the module for `target`; it imports its memory as `env.memory`. */
export function gemmF32Module(target: Target): Uint8Array {
  return new ModuleBuilder()
    .importMemory('env', 'memory', 1, target.memory)
    .addFunction('macro', emitMacroKernel(target.relaxed))
    .addFunction('packContigA', emitPackContig(MR))
    .addFunction('packContigB', emitPackContig(NR))
    .addFunction('packStridedA', emitPackStrided(MR))
    .addFunction('packStridedB', emitPackStrided(NR))
    .addFunction('gemm', emitDriver())
    .addFunction('packB', emitPackB())
    .encode();
}

const { i32, f32, v128 } = ValType;

/**
 * Sets start/end to the slice of [0, total) that part `part` of `parts` owns: total split into parts of
 * equal length in multiples of `align` (the last ones may be shorter or empty). Every kernel that splits
 * rows this way, with the same align, gives a part the same rows.
 */
export function emitPartRange(f: FunctionBuilder, part: number, parts: number, total: number, align: number,
  start: number, end: number): void {
  // per = ⌈⌈total / align⌉ / parts⌉ · align; start = min(total, part · per); end = min(total, start + per)
  const per = f.local(i32);
  f.get(total).i32Const(align - 1).i32Add().i32Const(align).i32DivU()
    .get(parts).i32Add().i32Const(1).i32Sub().get(parts).i32DivU().i32Const(align).i32Mul().set(per);
  f.get(part).get(per).i32Mul().set(start);
  f.get(start).get(total).get(start).get(total).i32LtS().select().set(start);
  f.get(start).get(per).i32Add().set(end);
  f.get(end).get(total).get(end).get(total).i32LtS().select().set(end);
}

/** Pushes min(a, b) of two i32 locals. */
function min(f: FunctionBuilder, a: number, b: number): void {
  f.get(a).get(b).get(a).get(b).i32LtS().select();
}

/**
 * gemm(part, parts, thread, ws, splitRows, transA, transB, m, n, k, alpha, a, lda, b, ldb, pb, beta, c, ldc):
 * the blocking loops of ./gemm-f32.ts's former JS driver, for the part's rows or columns of C, written
 * straight into C (no staging): for each NC block of columns and KC slice of k, pack the B block (or take
 * it from pb), then for each MC block of rows pack A and run the macro-kernel.
 */
function emitDriver(): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, f32, i32, i32, i32, i32, i32, f32, i32, i32]);
  const [part, parts, thread, ws, splitRows, transA, transB, m, n, k, alpha, a, lda, b, ldb, pb, beta, c, ldc] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const r0 = f.local(i32), r1 = f.local(i32), c0 = f.local(i32), c1 = f.local(i32);
  const edge = f.local(i32), aPack = f.local(i32), bPack = f.local(i32);
  const j0 = f.local(i32), nc = f.local(i32), p0 = f.local(i32), kc = f.local(i32), i0 = f.local(i32), mc = f.local(i32);
  const bp = f.local(i32), nPad = f.local(i32), sliceBeta = f.local(f32), readC = f.local(i32), t = f.local(i32);
  const panels = f.local(i32);

  f.get(ws).get(thread).i32Const(WORKSPACE_BYTES).i32Mul().i32Add().tee(edge).i32Const(256).i32Add().tee(aPack)
    .i32Const(MC * KC * F32).i32Add().set(bPack);
  f.get(splitRows).if();
  emitPartRange(f, part, parts, m, MR, r0, r1);
  f.i32Const(0).set(c0).get(n).set(c1);
  f.else();
  emitPartRange(f, part, parts, n, NR, c0, c1);
  f.i32Const(0).set(r0).get(m).set(r1);
  f.end();
  f.get(r0).get(r1).i32LtS().i32Eqz().get(c0).get(c1).i32LtS().i32Eqz().i32Or().if().return().end();
  // Move a, b, c to the part's first row / column; from here on m, n are the part's sizes.
  f.get(a).get(r0).get(transA).if(ValType.i32).i32Const(F32).else().get(lda).end().i32Mul().i32Add().set(a);
  f.get(pb).i32Eqz().if();
  f.get(b).get(c0).get(transB).if(ValType.i32).get(ldb).else().i32Const(F32).end().i32Mul().i32Add().set(b);
  f.end();
  f.get(c).get(r0).get(ldc).i32Mul().i32Add().get(c0).i32Const(F32).i32Mul().i32Add().set(c);
  f.get(n).i32Const(NR - 1).i32Add().i32Const(-NR).i32And().i32Const(F32).i32Mul().set(nPad); // bytes per k-step of packed B
  f.get(r1).get(r0).i32Sub().set(m);
  f.get(c1).get(c0).i32Sub().set(n);

  f.i32Const(0).set(j0);
  f.loop(); // NC blocks of columns
  {
    f.get(n).get(j0).i32Sub().set(t);
    f.i32Const(NC).set(nc);
    min(f, t, nc); f.set(nc);
    f.i32Const(0).set(p0);
    f.loop(); // KC slices of k
    {
      f.get(k).get(p0).i32Sub().set(t);
      f.i32Const(KC).set(kc);
      min(f, t, kc); f.set(kc);
      f.get(pb).if();
      // Pre-packed: slice p0 at pb + p0·nPad, its panel for column c0 + j0 at (c0 + j0)·kc floats.
      f.get(pb).get(p0).get(nPad).i32Mul().i32Add().get(c0).get(j0).i32Add().get(kc).i32Mul().i32Const(F32).i32Mul()
        .i32Add().set(bp);
      f.else();
      f.get(nc).i32Const(NR - 1).i32Add().i32Const(NR).i32DivU().set(panels);
      f.get(transB).if();
      // Columns of op(B) are stored rows, contiguous along k.
      f.get(b).get(j0).get(ldb).i32Mul().i32Add().get(p0).i32Const(F32).i32Mul().i32Add()
        .get(ldb).get(panels).get(kc).get(bPack).call(PACK_STRIDED_B);
      f.else();
      f.get(b).get(p0).get(ldb).i32Mul().i32Add().get(j0).i32Const(F32).i32Mul().i32Add()
        .get(ldb).get(panels).get(kc).get(bPack).call(PACK_CONTIG_B);
      f.end();
      f.get(bPack).set(bp);
      f.end();
      // The first k-slice applies the caller's beta (C unread when it is 0); later ones add to it.
      f.get(p0).if();
      f.f32Const(1).set(sliceBeta).i32Const(1).set(readC);
      f.else();
      f.get(beta).set(sliceBeta).get(beta).f32Const(0).f32Ne().set(readC);
      f.end();
      f.i32Const(0).set(i0);
      f.loop(); // MC blocks of rows
      {
        f.get(m).get(i0).i32Sub().set(t);
        f.i32Const(MC).set(mc);
        min(f, t, mc); f.set(mc);
        f.get(mc).i32Const(MR - 1).i32Add().i32Const(MR).i32DivU().set(panels);
        f.get(transA).if();
        // Rows of op(A) are stored columns: contiguous across rows.
        f.get(a).get(p0).get(lda).i32Mul().i32Add().get(i0).i32Const(F32).i32Mul().i32Add()
          .get(lda).get(panels).get(kc).get(aPack).call(PACK_CONTIG_A);
        f.else();
        f.get(a).get(i0).get(lda).i32Mul().i32Add().get(p0).i32Const(F32).i32Mul().i32Add()
          .get(lda).get(panels).get(kc).get(aPack).call(PACK_STRIDED_A);
        f.end();
        f.get(aPack).get(bp).get(c).get(i0).get(ldc).i32Mul().i32Add().get(j0).i32Const(F32).i32Mul().i32Add()
          .get(ldc).get(mc).get(nc).get(kc).get(alpha).get(sliceBeta).get(readC).get(edge).call(MACRO);
        f.get(i0).i32Const(MC).i32Add().tee(i0).get(m).i32LtS().brIf(0);
      }
      f.end();
      f.get(p0).i32Const(KC).i32Add().tee(p0).get(k).i32LtS().brIf(0);
    }
    f.end();
    f.get(j0).i32Const(NC).i32Add().tee(j0).get(n).i32LtS().brIf(0);
  }
  f.end();
  return f;
}

/** packB(part, parts, thread, transB, k, n, b, ldb, pb): see GemmF32Exports.packB. */
function emitPackB(): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [part, parts, , transB, k, n, b, ldb, pb] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const s0 = f.local(i32), s1 = f.local(i32), p0 = f.local(i32), kc = f.local(i32), t = f.local(i32);
  const slices = f.local(i32), panels = f.local(i32), nPad = f.local(i32);
  f.get(k).i32Const(KC - 1).i32Add().i32Const(KC).i32DivU().set(slices);
  emitPartRange(f, part, parts, slices, 1, s0, s1);
  f.get(s0).get(s1).i32LtS().i32Eqz().if().return().end();
  f.get(n).i32Const(NR - 1).i32Add().i32Const(NR).i32DivU().tee(panels).i32Const(NR * F32).i32Mul().set(nPad);
  f.get(s0).i32Const(KC).i32Mul().set(p0);
  f.get(s1).i32Const(KC).i32Mul().set(s1);
  f.get(s1).get(k).get(s1).get(k).i32LtS().select().set(s1);
  f.loop();
  {
    f.get(k).get(p0).i32Sub().set(t);
    f.i32Const(KC).set(kc);
    min(f, t, kc); f.set(kc);
    f.get(transB).if();
    f.get(b).get(p0).i32Const(F32).i32Mul().i32Add().get(ldb).get(panels).get(kc)
      .get(pb).get(p0).get(nPad).i32Mul().i32Add().call(PACK_STRIDED_B);
    f.else();
    f.get(b).get(p0).get(ldb).i32Mul().i32Add().get(ldb).get(panels).get(kc)
      .get(pb).get(p0).get(nPad).i32Mul().i32Add().call(PACK_CONTIG_B);
    f.end();
    f.get(p0).i32Const(KC).i32Add().tee(p0).get(s1).i32LtS().brIf(0);
  }
  f.end();
  return f;
}

/**
 * The macro-kernel: column panels jr outside, row panels ir inside, so one kc × NR panel of B stays in
 * L1 while the A panels stream from L2. Each k-step loads NV B vectors and MR broadcast A values for
 * MR·NV f32x4 multiply-adds into accumulators held in locals (registers).
 */
function emitMacroKernel(relaxed: boolean): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, f32, f32, i32, i32]);
  const [pa, pb, c, ldc, mc, nc, kc, alpha, beta, readC, scratch] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
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
            // NOTE: baseline SIMD has no FMA: mul then add, two roundings per step, as plain f32 code.
            // Relaxed SIMD's madd may fuse them (one rounding): the two agree to float rounding.
            if (relaxed) f.get(av).get(bv[v]!).get(x).f32x4RelaxedMadd().set(x);
            else f.get(x).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(x);
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
        acc.forEach((x, q) => f.get(scratch).get(x).v128Store(q * 16));
        f.i32Const(0).set(i).get(row).set(e).get(scratch).set(s);
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
