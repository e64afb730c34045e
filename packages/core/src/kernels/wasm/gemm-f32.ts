// float32 GEMM on WebAssembly SIMD, the JS side: operands in the runtime's memory (copied in when they
// are not there already), a pre-packed B operand for matrices used many times, and the split of one
// product into parts that run on the runtime's threads.
import { KC, MR, NR, WORKSPACE_BYTES, gemmF32Module } from './gemm-f32-module.js';
import { wasmRuntime, wasmRuntimeFailure } from './runtime.js';
import type { Call, Kernel, Region, WasmRuntime } from './runtime.js';

const F32 = 4; // bytes per float
/**
 * Products of at least this many multiply-adds are split over the threads: below it (~0.1 ms of work)
 * waking the workers costs more than it saves.
 */
const PARALLEL_MIN_WORK = 1 << 20;
/**
 * Products of at least this many multiply-adds that split by rows pack op(B) once, shared by all parts
 * (instead of once per part), and split into PARTS_PER_THREAD parts per thread, claimed as threads come
 * free: a worker that wakes late (a millisecond or more in a VM) or runs slower then takes fewer parts
 * instead of holding everyone up, and the parts cost nothing extra since each packs only its own rows of A.
 */
const SHARED_PACK_MIN_WORK = 1 << 26;
const PARTS_PER_THREAD = 4;

/** A matrix packed once as the B operand of many products (e.g. W_hh for every step of a sequence). */
export interface PackedMatrix {
  /** op(B) is [k, n]. */
  readonly k: number;
  readonly n: number;
  readonly region: Region;
}

interface Gemm { rt: WasmRuntime; gemm: Kernel; packB: Kernel }
let loaded: Gemm | null | undefined;
let workspace: Region | null = null;
let workspaceThreads = 0;

function kernels(): Gemm | null {
  if (loaded !== undefined) return loaded;
  const rt = wasmRuntime();
  if (!rt) return (loaded = null);
  const k = rt.load('core.gemm-f32', gemmF32Module);
  return (loaded = { rt, gemm: k('gemm'), packB: k('packB') });
}

/** True when the WebAssembly SIMD kernel can run here (the first call starts the runtime). */
export function wasmGemmAvailable(): boolean {
  return kernels() !== null;
}

/** Byte address of the workspace for `threads` threads (thread t at + t · WORKSPACE_BYTES), or -1. */
function workspaceFor(rt: WasmRuntime, threads: number): number {
  if (workspaceThreads < threads) {
    rt.free(workspace);
    workspace = rt.alloc((WORKSPACE_BYTES / F32) * threads);
    workspaceThreads = workspace ? threads : 0;
  }
  return workspace ? workspace.at : -1;
}

/**
 * Bytes past a stored [rows, cols] operand (leading dimension ld floats) that the packers may read: up to
 * NR − 1 lines past the last and 3 floats past a line's end. The lanes read there are discarded.
 */
const readPast = (ld: number) => (NR * (ld + 1) + 4) * F32;

/**
 * The call that computes C = alpha · op(A) · op(B) + beta · C on the runtime's memory (addresses in
 * bytes, leading dimensions in floats, as `gemm`), for a queue of `WasmRuntime.run`; op(B) is `b` itself
 * or a PackedMatrix. Parts own rows of C (splitRows, in multiples of 4 rows) or columns (multiples of 8).
 * Null when the runtime cannot run here or its memory cannot grow to cover what the kernel reads.
 */
export function gemmCall(splitRows: boolean, transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number | PackedMatrix, ldb: number, beta: number, c: number, ldc: number,
  threads?: number): Call | null {
  // (threads: the thread count to reserve workspace for, if more than the runtime's now.)
  const g = kernels();
  if (!g) return null;
  // Every thread that may claim a part needs its workspace, whatever `parts` is.
  const ws = workspaceFor(g.rt, Math.max(threads ?? 1, g.rt.threads()));
  const packed = typeof b !== 'number';
  const aRows = transA ? k : m;
  const bRows = transB ? n : k;
  if (ws < 0 || !g.rt.ensure(a + (aRows - 1) * lda * F32 + readPast(lda))
    || (!packed && !g.rt.ensure(b + (bRows - 1) * ldb * F32 + readPast(ldb)))) return null;
  if (packed && (b.k !== k || b.n !== n)) {
    throw new RangeError(`gemmCall: the packed B is [${b.k}, ${b.n}] but the product needs [${k}, ${n}]`);
  }
  return {
    kernel: g.gemm,
    args: [ws, splitRows ? 1 : 0, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda * F32,
      packed ? 0 : b, ldb * F32, packed ? b.region.at : 0, beta, c, ldc * F32],
  };
}

/**
 * Packs op(B) [k, n] (B at byte address b of the runtime's memory, leading dimension ldb floats) into a
 * new region, for `gemmCall`s that use it many times. Null where the runtime cannot run or hold it.
 * Free it with `freePacked`.
 */
export function packMatrix(transB: boolean, k: number, n: number, b: number, ldb: number): PackedMatrix | null {
  const g = kernels();
  if (!g) return null;
  const region = g.rt.alloc(Math.ceil(n / NR) * NR * k);
  if (!region) return null;
  if (!g.rt.ensure(b + ((transB ? n : k) - 1) * ldb * F32 + readPast(ldb))) {
    g.rt.free(region);
    return null;
  }
  const slices = Math.ceil(k / KC);
  g.rt.run([{ kernel: g.packB, args: [transB ? 1 : 0, k, n, b, ldb * F32, region.at] }],
    n * k >= PARALLEL_MIN_WORK / 8 ? Math.min(slices, g.rt.threads()) : 1);
  return { k, n, region };
}

/** Frees what `packMatrix` allocated. */
export function freePacked(p: PackedMatrix | null | undefined): void {
  if (p) kernels()?.rt.free(p.region);
}

/** The parts to split an m × n × k product into, and along which dimension. */
export function splitOf(rt: WasmRuntime, m: number, n: number, k: number): { parts: number; splitRows: boolean } {
  const threads = rt.threads();
  if (threads === 1 || m * n * k < PARALLEL_MIN_WORK) return { parts: 1, splitRows: false };
  // Split the dimension with more micro-tiles, so each part gets whole tiles and little padding.
  const splitRows = Math.ceil(m / MR) >= Math.ceil(n / NR);
  const units = splitRows ? Math.ceil(m / MR) : Math.ceil(n / NR);
  return { parts: Math.min(threads, units), splitRows };
}

/**
 * C = alpha · op(A) · op(B) + beta · C for float32, row-major, with `gemm`'s signature and contract:
 * op(A) [m, k], op(B) [k, n], C [m, n]; beta = 0 never reads C; with alpha = 0 or k = 0, A and B are not
 * read; C must not overlap A or B. Sums are float32 (error ≲ k·2⁻²⁴·|A|·|B|), unlike the float64 sums of
 * the JS kernel. Operands that live in the runtime's memory are used in place; others are copied in
 * (and C out). Large products run on all the runtime's threads. alpha and beta are rounded to float32.
 * Returns false, computing nothing, when the runtime's memory cannot grow to hold the operands; throws
 * when the kernel cannot run here (see `wasmGemmAvailable`).
 */
export function gemmWasmF32(transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number): boolean {
  const g = kernels();
  if (!g) throw new Error(`gemmWasmF32: the WebAssembly SIMD kernel cannot run here (${wasmRuntimeFailure()})`);
  if (m <= 0 || n <= 0) return true;
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOffset, ldc);
    return true;
  }
  const rt = g.rt;
  const temps: Region[] = [];
  const { parts, splitRows } = splitOf(rt, m, n, k);
  if (parts > 1) rt.wake();
  try {
    const A = place(rt, temps, a, aOffset, transA ? k : m, transA ? m : k, lda);
    const B = A && place(rt, temps, b, bOffset, transB ? n : k, transB ? k : n, ldb);
    let cAt = rt.addressOf(c, cOffset), cLd = ldc;
    if (B && cAt < 0) {
      const r = rt.alloc(m * n);
      if (r) {
        temps.push(r);
        cAt = r.at;
        cLd = n;
        if (beta !== 0) copyRows(c, cOffset, ldc, rt.f32(), r.at / F32, n, m, n);
      }
    }
    if (!A || !B || cAt < 0) return false;
    const shared = parts > 1 && splitRows && m * n * k >= SHARED_PACK_MIN_WORK ? packMatrix(transB, k, n, B.at, B.ld) : null;
    try {
      const rowParts = shared ? Math.min(Math.ceil(m / MR), PARTS_PER_THREAD * rt.threads()) : parts;
      const call = gemmCall(splitRows, transA, transB, m, n, k, alpha, A.at, A.ld, shared ?? B.at, B.ld, beta, cAt, cLd, parts);
      if (!call) return false;
      rt.run([call], rowParts);
    } finally {
      freePacked(shared);
    }
    if (rt.addressOf(c, cOffset) < 0) copyRows(rt.f32(), cAt / F32, cLd, c, cOffset, ldc, m, n);
    return true;
  } finally {
    for (const r of temps) rt.free(r);
  }
}

/**
 * The byte address and leading dimension of a stored [rows, cols] operand in the runtime's memory: the
 * operand itself when it lives there, else a copy (the stored span as is when gaps between rows waste
 * ≤ 25%, one memcpy, else the rows packed tight), with room after it for what the packers read past it.
 * Null when the memory cannot hold the copy.
 */
function place(rt: WasmRuntime, temps: Region[], src: Float32Array, offset: number, rows: number, cols: number,
  ld: number): { at: number; ld: number } | null {
  const at = rt.addressOf(src, offset);
  if (at >= 0) return { at, ld };
  const span = (rows - 1) * ld + cols;
  const copyLd = 4 * span <= 5 * rows * cols ? ld : cols;
  const r = rt.alloc((rows - 1) * copyLd + cols + readPast(copyLd) / F32);
  if (!r) return null;
  temps.push(r);
  const heap = rt.f32();
  if (copyLd === ld) heap.set(src.subarray(offset, offset + span), r.at / F32);
  else copyRows(src, offset, ld, heap, r.at / F32, copyLd, rows, cols);
  return { at: r.at, ld: copyLd };
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
