// General matrix multiply (GEMM) on flat row-major typed arrays: a packed, cache-blocked, register-blocked
// kernel in plain JS, dispatch of float32 to the WebAssembly SIMD kernel (./wasm/), and the naive oracle.
import { gemmWasmF32, wasmGemmAvailable } from './wasm/gemm-f32.js';

export type FloatArray = Float32Array | Float64Array;

/** Which kernel `gemm` runs for float32: 'auto' (wasm when available and worth it), 'js' or 'wasm'. */
export type GemmBackend = 'auto' | 'js' | 'wasm';

let backend: GemmBackend = 'auto';
// Below about 5³ multiply-adds the ~0.3 µs fixed cost of a wasm call (copies, three calls across the
// boundary) loses to the JS kernel. From 6³ up wasm wins: 2× at 6³–8³, 8× and more from 16³, and 1.5–3×
// even with a single row or column (where the JS kernel skips packing).
const WASM_MIN_WORK = 128;

/**
 * Chooses the float32 gemm kernel, for tests and benchmarks: 'js' always runs the JS kernel, 'wasm' the
 * WebAssembly SIMD one (at every size), 'auto' (the default) wasm for products of at least ~5³ when the
 * engine can run WebAssembly SIMD. float64 always runs the JS kernel. Throws if 'wasm' is unavailable.
 */
export function setGemmBackend(choice: GemmBackend): void {
  if (choice === 'wasm' && !wasmGemmAvailable()) {
    throw new Error("setGemmBackend: 'wasm' needs WebAssembly SIMD, which this engine lacks or refuses to compile");
  }
  backend = choice;
}

/** The backend chosen with `setGemmBackend` ('auto' unless changed). */
export function gemmBackend(): GemmBackend {
  return backend;
}

// Micro-tile: MR × NR accumulators live in locals. 4 × 8 measured fastest in V8 (4 × 4, 2 × 8, 3 × 4,
// 6 × 4, 8 × 4 were 3–15% slower; unrolling the k loop did not help).
const MR = 4;
const NR = 8;
// Cache blocks: a KC × NR panel of B (16 KB) stays in L1 while it meets every MR-row panel of an MC × KC
// block of A (128 KB, L2). The speed was flat for KC 128–512 and MC 32–128; NC only bounds the scratch.
const KC = 256;
const MC = 64;
const NC = 1024;

// Scratch for the packed panels, reused between calls and grown on demand. It is float64 for both dtypes:
// JS multiplies in double anyway, so float32 inputs are widened once here instead of on every load
// (a Float32Array scratch measured ~5% slower), and the micro-kernel only ever sees one array type.
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
// An MR × NR tile for the ragged right and bottom edges of C.
const edgeTile = new Float64Array(MR * NR);

/**
 * C = alpha · op(A) · op(B) + beta · C, row-major. op(A) is [m, k], op(B) is [k, n], C is [m, n].
 * op(X)[r, c] = trans ? X[off + c*ld + r] : X[off + r*ld + c].
 * With beta = 0, C is overwritten without being read (NaN there is ignored); with alpha = 0 or k = 0,
 * A and B are not read. The JS kernel accumulates in float64 and rounds once per KC-long slice of k;
 * float32 products on the wasm backend (see `setGemmBackend`) accumulate in float32.
 * C must not overlap A or B.
 */
export function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, aOffset: number, lda: number,
  b: FloatArray, bOffset: number, ldb: number,
  beta: number, c: FloatArray, cOffset: number, ldc: number): void {
  if (backend !== 'js' && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array
    && (backend === 'wasm' || (m * n * k >= WASM_MIN_WORK && wasmGemmAvailable()))
    // false: the runtime's memory could not hold the operands; the JS kernel below takes the product.
    && gemmWasmF32(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc)) {
    return;
  }
  if (m <= 0 || n <= 0) return;
  // Applying beta first lets every k-slice below simply add into C.
  scaleC(m, n, beta, c, cOffset, ldc);
  if (k <= 0 || alpha === 0) return;

  // Element strides of op(A) and op(B) along their rows and columns: the transposes live only here
  // and in the packing, so all four layouts run the same micro-kernel on the same packed format.
  const aRow = transA ? 1 : lda, aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1;
  // With 1–3 rows (batch 1, vector · matrix) packing costs about as much as the product and most
  // of a micro-tile would be padding (up to 4× slower): go direct.
  if (m < MR) return gemmThin(m, n, k, alpha, a, aOffset, aRow, aCol, b, bOffset, bRow, bCol, c, cOffset, ldc, 1);
  // 1–3 columns (matrix · vector) are the same problem transposed: Cᵀ = op(B)ᵀ · op(A)ᵀ.
  if (n < MR) return gemmThin(n, m, k, alpha, b, bOffset, bCol, bRow, a, aOffset, aCol, aRow, c, cOffset, 1, ldc);

  const kcMax = Math.min(KC, k);
  const needA = roundUp(Math.min(MC, m), MR) * kcMax;
  const needB = roundUp(Math.min(NC, n), NR) * kcMax;
  if (packedA.length < needA) packedA = new Float64Array(needA);
  if (packedB.length < needB) packedB = new Float64Array(needB);
  const pa = packedA, pb = packedB;

  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      // op(B)[p0:p0+kc, j0:j0+nc] → panels of NR columns, each kc × NR (row p holds NR values).
      packPanels(b, bOffset + p0 * bRow + j0 * bCol, bCol, bRow, nc, kc, NR, pb);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        // op(A)[i0:i0+mc, p0:p0+kc] → panels of MR rows, each kc × MR (step p holds MR values).
        packPanels(a, aOffset + i0 * aRow + p0 * aCol, aRow, aCol, mc, kc, MR, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const ci = cOffset + (i0 + ir) * ldc + j0 + jr;
            // Panel number jr / NR starts at (jr / NR) · NR · kc = jr · kc; likewise for A.
            if (mr === MR && nr === NR) {
              microKernel(kc, pa, ir * kc, pb, jr * kc, alpha, c, ci, ldc);
            } else {
              // Padding in the panels is zero, so a full tile is computed and only its top-left mr × nr kept.
              edgeTile.fill(0);
              microKernel(kc, pa, ir * kc, pb, jr * kc, alpha, edgeTile, 0, NR);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) c[ci + i * ldc + j] += edgeTile[i * NR + j];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * C = alpha · op(A) · op(B) + beta · C by the obvious triple loop, with the same signature as `gemm`.
 * Slow; it is the oracle the tests compare `gemm` against.
 */
export function gemmNaive(transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, aOffset: number, lda: number,
  b: FloatArray, bOffset: number, ldb: number,
  beta: number, c: FloatArray, cOffset: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
        const y = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
        sum += x * y;
      }
      const q = cOffset + i * ldc + j;
      c[q] = beta === 0 ? alpha * sum : alpha * sum + beta * c[q];
    }
  }
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/** C[m, n] ← beta · C; beta = 0 writes zeros without reading, so NaN garbage in C does not leak. */
function scaleC(m: number, n: number, beta: number, c: FloatArray, cOffset: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] *= beta;
  }
}

/**
 * C += alpha · op(A) · op(B) without packing, for a few rows (m < MR). C's element (i, j) is
 * c[cOffset + i·cRow + j·cCol] so that a few columns can run here transposed. Four columns share
 * each load of A; whichever of bRow, bCol is 1, the four reads of B walk memory in order.
 */
function gemmThin(m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOffset: number, aRow: number, aCol: number,
  b: FloatArray, bOffset: number, bRow: number, bCol: number,
  c: FloatArray, cOffset: number, cRow: number, cCol: number): void {
  const b2 = 2 * bCol, b3 = 3 * bCol;
  for (let i = 0; i < m; i++) {
    const ai = aOffset + i * aRow, ci = cOffset + i * cRow;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let x = ai, y = bOffset + j * bCol;
      for (let p = 0; p < k; p++) {
        const v = a[x];
        s0 += v * b[y]; s1 += v * b[y + bCol]; s2 += v * b[y + b2]; s3 += v * b[y + b3];
        x += aCol;
        y += bRow;
      }
      const q = ci + j * cCol;
      c[q] += alpha * s0; c[q + cCol] += alpha * s1; c[q + 2 * cCol] += alpha * s2; c[q + 3 * cCol] += alpha * s3;
    }
    for (; j < n; j++) {
      let s = 0;
      let x = ai, y = bOffset + j * bCol;
      for (let p = 0; p < k; p++) {
        s += a[x] * b[y];
        x += aCol;
        y += bRow;
      }
      c[ci + j * cCol] += alpha * s;
    }
  }
}

/**
 * Copies `lines` lines (rows of op(A) or columns of op(B)) of length kc into dst as panels of `width`
 * lines: panel g holds, for each step p, `width` consecutive values, so the micro-kernel reads both
 * operands with unit stride. Lines past the end are padded with zeros. The element (line l, step p)
 * is src[base + l·lineStride + p·stepStride].
 */
function packPanels(src: FloatArray, base: number, lineStride: number, stepStride: number,
  lines: number, kc: number, width: number, dst: Float64Array): void {
  let q = 0;
  for (let l0 = 0; l0 < lines; l0 += width) {
    const w = Math.min(width, lines - l0);
    for (let p = 0; p < kc; p++) {
      let x = base + l0 * lineStride + p * stepStride;
      for (let l = 0; l < w; l++, x += lineStride) dst[q++] = src[x];
      for (let l = w; l < width; l++) dst[q++] = 0;
    }
  }
}

/**
 * c[ci + i·ldc + j] += alpha · Σ_p pa[ia + p·MR + i] · pb[ib + p·NR + j] for the full MR × NR tile.
 * The 32 sums stay in locals (V8 keeps most of them in registers); each step loads 4 + 8 values
 * with unit stride for 32 multiply-adds.
 */
function microKernel(kc: number, pa: Float64Array, ia: number, pb: Float64Array, ib: number,
  alpha: number, c: FloatArray, ci: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  // NOTE: advancing ia/ib in the loop body rather than in the for-header measured ~15% faster in V8.
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    const b4 = pb[ib + 4], b5 = pb[ib + 5], b6 = pb[ib + 6], b7 = pb[ib + 7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
    ia += MR;
    ib += NR;
  }
  let r = ci;
  c[r] += alpha * c00; c[r + 1] += alpha * c01; c[r + 2] += alpha * c02; c[r + 3] += alpha * c03;
  c[r + 4] += alpha * c04; c[r + 5] += alpha * c05; c[r + 6] += alpha * c06; c[r + 7] += alpha * c07;
  r += ldc;
  c[r] += alpha * c10; c[r + 1] += alpha * c11; c[r + 2] += alpha * c12; c[r + 3] += alpha * c13;
  c[r + 4] += alpha * c14; c[r + 5] += alpha * c15; c[r + 6] += alpha * c16; c[r + 7] += alpha * c17;
  r += ldc;
  c[r] += alpha * c20; c[r + 1] += alpha * c21; c[r + 2] += alpha * c22; c[r + 3] += alpha * c23;
  c[r + 4] += alpha * c24; c[r + 5] += alpha * c25; c[r + 6] += alpha * c26; c[r + 7] += alpha * c27;
  r += ldc;
  c[r] += alpha * c30; c[r + 1] += alpha * c31; c[r + 2] += alpha * c32; c[r + 3] += alpha * c33;
  c[r + 4] += alpha * c34; c[r + 5] += alpha * c35; c[r + 6] += alpha * c36; c[r + 7] += alpha * c37;
}
