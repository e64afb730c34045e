// float32 GEMM on WebAssembly SIMD, the JS side: one growable wasm memory, operands copied into it and
// packed there by the SIMD packers, C staged in and out, and the blocking loops around the macro-kernel.
import { MR, NR, SCRATCH, gemmF32Module, simdProbeModule, type GemmF32Exports } from './gemm-f32-module.js';

// Cache blocks, as in gemm.ts: a KC × NR panel of B (8 KB) stays in L1 across an MC × KC block of A
// (128 KB, L2). Speed was flat (±5%, within noise) for KC 128–512 and MC 64–256.
const KC = 256;
const MC = 128;
const NC = 1024;
// C is staged through wasm memory in blocks of about this many floats (4 MB) at most.
const C_STAGE = 1 << 20;
/**
 * Operands of up to this many floats (16 MB) are copied into wasm memory whole and packed there by SIMD
 * code (≈ 0.2 ns per float); larger ones are packed block by block straight from JS (≈ 1–2 ns per float).
 */
export const WASM_COPY_MAX = 1 << 22;

const F32 = 4; // bytes per float
const HEAP = SCRATCH + 256; // byte address where the per-call layout starts
const PAGE = 65536;

/** The subset of the WebAssembly JS API used here (the global exists in Node and browsers, not in lib.es*). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let memory: WasmMemory | undefined;
let heap = new Float32Array(0);
let wasm: GemmF32Exports | undefined;
/** Why the module could not be instantiated, once that has been tried and failed. */
let failure: string | undefined;

/**
 * Instantiates the module on first use: it is 3.4 KB, under the 4 KB that browsers compile synchronously
 * on their main thread, and Node compiles any size synchronously. Returns undefined when the engine has no
 * WebAssembly SIMD (checked by validating a one-instruction module) or refuses to compile it (e.g. a CSP).
 */
function instance(): GemmF32Exports | undefined {
  if (wasm || failure !== undefined) return wasm;
  try {
    if (!api || !api.validate(simdProbeModule())) throw new Error('this engine has no WebAssembly SIMD');
    memory = new api.Memory({ initial: 1 });
    wasm = new api.Instance(new api.Module(gemmF32Module()), { env: { memory } }).exports as GemmF32Exports;
    heap = new Float32Array(memory.buffer);
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  return wasm;
}

/** True when the WebAssembly SIMD kernel can run here (the first call instantiates it). */
export function wasmGemmAvailable(): boolean {
  return instance() !== undefined;
}

/** Grows the wasm memory (it never shrinks) so that `bytes` bytes are addressable; refreshes the view. */
function reserve(bytes: number): void {
  const have = memory!.buffer.byteLength;
  if (bytes <= have) return;
  memory!.grow(Math.ceil((bytes - have) / PAGE));
  heap = new Float32Array(memory!.buffer);
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/**
 * One operand as the packers see it: stored `rows` × `cols` with leading dimension `ld`; its packing lines
 * (rows of op(A), columns of op(B)) are either the stored rows (each contiguous along k) or the stored
 * columns (contiguous across lines).
 */
interface Operand {
  src: Float32Array; offset: number; rows: number; cols: number; ld: number; linesAreRows: boolean;
  /** Byte address of the copy in wasm memory and its leading dimension there, or at = -1: packed from JS. */
  at: number; atLd: number;
}

function operand(src: Float32Array, offset: number, rows: number, cols: number, ld: number,
  linesAreRows: boolean): Operand {
  return { src, offset, rows, cols, ld, linesAreRows, at: -1, atLd: ld };
}

/**
 * Bytes of wasm memory the copy of `o` needs, and its leading dimension there: the stored span as is
 * when gaps between rows waste ≤ 25% (one memcpy), else the rows packed tight; 0 when it is too large.
 * The slack after it covers what the packers read past the operand: up to width − 1 lines (rows, or
 * floats along a row) plus 3 floats.
 */
function planCopy(o: Operand, width: number): number {
  if (o.rows * o.cols > WASM_COPY_MAX) return 0;
  const span = (o.rows - 1) * o.ld + o.cols;
  o.atLd = 4 * span <= 5 * o.rows * o.cols ? o.ld : o.cols;
  return roundUp(((o.rows - 1) * o.atLd + o.cols + width * (o.atLd + 1) + 4) * F32, 64);
}

function copyIn(o: Operand): void {
  if (o.at < 0) return;
  if (o.atLd === o.ld) {
    const span = (o.rows - 1) * o.ld + o.cols;
    heap.set(o.src.subarray(o.offset, o.offset + span), o.at / F32);
  } else {
    copyRows(o.src, o.offset, o.ld, heap, o.at / F32, o.atLd, o.rows, o.cols);
  }
}

/**
 * Packs `lines` lines from line l0, steps p0..p0+kc of operand `o` into panels of `width` at byte
 * address dst, with the SIMD packers when the operand was copied into wasm memory.
 */
function packBlock(o: Operand, l0: number, lines: number, p0: number, kc: number, width: number, dst: number,
  contig: (src: number, ss: number, panels: number, kc: number, dst: number) => void,
  strided: (src: number, ls: number, panels: number, kc: number, dst: number) => void): void {
  const panels = Math.ceil(lines / width);
  const ld = o.at >= 0 ? o.atLd : o.ld;
  const line = o.linesAreRows ? ld : 1, step = o.linesAreRows ? 1 : ld;
  if (o.at < 0) {
    packJs(o.src, o.offset + l0 * line + p0 * step, line, step, lines, kc, width, heap, dst / F32);
  } else if (o.linesAreRows) {
    strided(o.at + (l0 * line + p0 * step) * F32, line * F32, panels, kc, dst);
  } else {
    contig(o.at + (l0 * line + p0 * step) * F32, step * F32, panels, kc, dst);
  }
}

/**
 * C = alpha · op(A) · op(B) + beta · C for float32, row-major, with `gemm`'s signature and contract:
 * op(A) [m, k], op(B) [k, n], C [m, n]; beta = 0 never reads C; with alpha = 0 or k = 0, A and B are not
 * read; C must not overlap A or B. Sums are float32 (error ≲ k·2⁻²⁴·|A|·|B|), unlike the float64 sums of
 * the JS kernel. The wasm memory grows to hold the operands (≤ 16 MB each, see `WASM_COPY_MAX`) and the
 * packed blocks, and is kept for later calls.
 * alpha and beta are rounded to float32. Throws when the kernel cannot run here (see `wasmGemmAvailable`).
 */
export function gemmWasmF32(transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number): void {
  const w = instance();
  if (!w) throw new Error(`gemmWasmF32: the WebAssembly SIMD kernel cannot run here (${failure})`);
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOffset, ldc);
    return;
  }
  // A's packing lines are rows of op(A); B's are columns of op(B).
  const opA = transA ? operand(a, aOffset, k, m, lda, false) : operand(a, aOffset, m, k, lda, true);
  const opB = transB ? operand(b, bOffset, n, k, ldb, true) : operand(b, bOffset, k, n, ldb, false);

  // Layout of wasm memory for this call: packed A block, packed B block, staged C, copies of A and B.
  const kcMax = Math.min(KC, k), ncMax = Math.min(NC, n);
  const rowsMax = Math.min(m, Math.max(MC, Math.floor(C_STAGE / ncMax / MC) * MC));
  const aPack = HEAP;
  const bPack = aPack + roundUp(MC * kcMax * F32, 64);
  const cStage = bPack + roundUp(roundUp(ncMax, NR) * kcMax * F32, 64);
  let top = cStage + roundUp(rowsMax * ncMax * F32, 64);
  const aBytes = planCopy(opA, MR), bBytes = planCopy(opB, NR);
  if (aBytes > 0) { opA.at = top; top += aBytes; }
  if (bBytes > 0) { opB.at = top; top += bBytes; }
  reserve(top);
  copyIn(opA);
  copyIn(opB);

  for (let i1 = 0; i1 < m; i1 += rowsMax) {
    const rows = Math.min(rowsMax, m - i1);
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = Math.min(NC, n - j0);
      const cBlock = cOffset + i1 * ldc + j0;
      if (beta !== 0) copyRows(c, cBlock, ldc, heap, cStage / F32, nc, rows, nc);
      for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = Math.min(KC, k - p0);
        packBlock(opB, j0, nc, p0, kc, NR, bPack, w.packContigB, w.packStridedB);
        // The first k-slice applies the caller's beta; later ones add to what the earlier ones left.
        const sliceBeta = p0 === 0 ? beta : 1;
        for (let i0 = 0; i0 < rows; i0 += MC) {
          const mc = Math.min(MC, rows - i0);
          packBlock(opA, i1 + i0, mc, p0, kc, MR, aPack, w.packContigA, w.packStridedA);
          w.macro(aPack, bPack, cStage + i0 * nc * F32, nc * F32, mc, nc, kc, alpha, sliceBeta, sliceBeta === 0 ? 0 : 1);
        }
      }
      copyRows(heap, cStage / F32, nc, c, cBlock, ldc, rows, nc);
    }
  }
}

/** C[m, n] ← beta · C; beta = 0 writes zeros without reading, so NaN garbage in C does not leak. */
function scaleC(m: number, n: number, beta: number, c: Float32Array, cOffset: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] *= beta;
  }
}

/** Copies a rows × cols window between two row-major arrays: one memcpy when both are contiguous. */
function copyRows(src: Float32Array, from: number, srcLd: number, dst: Float32Array, to: number, dstLd: number,
  rows: number, cols: number): void {
  if (srcLd === cols && dstLd === cols) {
    dst.set(src.subarray(from, from + rows * cols), to);
  } else if (cols >= 32) {
    for (let i = 0; i < rows; i++) dst.set(src.subarray(from + i * srcLd, from + i * srcLd + cols), to + i * dstLd);
  } else {
    // NOTE: below ~32 floats a subarray per row costs more than copying the row element by element.
    for (let i = 0; i < rows; i++) {
      const x = from + i * srcLd, y = to + i * dstLd;
      for (let j = 0; j < cols; j++) dst[y + j] = src[x + j]!;
    }
  }
}

/**
 * The JS packer for operands too large to copy whole: `lines` lines of length kc into dst from index q as
 * panels of `width` lines (for each step, `width` consecutive values; missing lines are zero). The element
 * (line l, step p) is src[base + l·lineStride + p·stepStride].
 */
function packJs(src: Float32Array, base: number, lineStride: number, stepStride: number,
  lines: number, kc: number, width: number, dst: Float32Array, q: number): void {
  for (let l0 = 0; l0 < lines; l0 += width) {
    const w = Math.min(width, lines - l0);
    for (let p = 0; p < kc; p++) {
      let x = base + l0 * lineStride + p * stepStride;
      for (let l = 0; l < w; l++, x += lineStride) dst[q++] = src[x]!;
      for (let l = w; l < width; l++) dst[q++] = 0;
    }
  }
}
