// A random orthogonal matrix by Householder QR, in plain Float64Array loops (no tensor ops, so
// a 1024 × 1024 init takes well under a second instead of freezing a page as per-column tensor ops did).
import { gemm, type RandomGenerator } from '@unroll/core';

/**
 * A [rows, cols] row-major matrix with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols),
 * drawn as torch.nn.init.orthogonal_ does: QR of a standard-normal matrix (transposed when it is
 * wide), with each column of Q multiplied by sign(R[j, j]) so the result is Haar-distributed.
 */
export function randomOrthogonal(rows: number, cols: number, generator: RandomGenerator): Float64Array {
  const m = Math.max(rows, cols), n = Math.min(rows, cols);
  // The draw is [rows, cols] row-major. The tall matrix A [m, n] is kept column-major (each column
  // contiguous, so every Householder loop below runs over adjacent memory). For rows ≥ cols that is
  // A = draw, transposed into column order; for rows < cols, A = drawᵀ, whose column-major layout
  // is the draw itself.
  const draw = new Float64Array(rows * cols);
  for (let i = 0; i < draw.length; i++) draw[i] = generator.normal();
  let a: Float64Array;
  if (rows >= cols) {
    a = new Float64Array(m * n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * m + i] = draw[i * cols + j]!;
  } else {
    a = draw;
  }

  const { rDiag, blocks } = householderQR(a, m, n);
  const q = formQ(blocks, m, n);
  // torch: q *= sign(diag(r)), which makes the factorisation unique (and the distribution Haar).
  for (let j = 0; j < n; j++) {
    const s = Math.sign(rDiag[j]!);
    const col = j * m;
    for (let i = 0; i < m; i++) q[col + i] = q[col + i]! * s;
  }
  if (rows < cols) return q; // Qᵀ [rows, cols] row-major is Q [cols, rows] column-major
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out[i * cols + j] = q[j * m + i]!;
  return out;
}

// Columns per block. The panel is factored column by column; everything else is three gemms per
// block (LAPACK's dgeqrf/dorgqr scheme): 1024 × 1024 took 2.3 s reflector by reflector, 0.9 s blocked
// (block sizes 16–64 measured the same).
const NB = 32;

/** One block of reflectors: H_{k0}…H_{k0+b−1} = I − V T Vᵀ. */
interface Block {
  k0: number;
  b: number;
  /** V [m − k0, b] column-major (= Vᵀ row-major), unit diagonal and zeros above it written out. */
  v: Float64Array;
  /** T [b, b] upper triangular, row-major. */
  t: Float64Array;
}

/**
 * In-place blocked Householder QR of a column-major [m, n] matrix (m ≥ n). On return the strict
 * lower part of column k holds reflector vₖ (implicit vₖ[k] = 1), Hₖ = I − τₖ vₖ vₖᵀ, rDiag[k] =
 * R[k, k], and `blocks` holds the reflectors in compact WY form for formQ.
 */
function householderQR(a: Float64Array, m: number, n: number): { rDiag: Float64Array; blocks: Block[] } {
  const tau = new Float64Array(n), rDiag = new Float64Array(n);
  const blocks: Block[] = [];
  for (let k0 = 0; k0 < n; k0 += NB) {
    const b = Math.min(NB, n - k0), end = k0 + b;
    for (let k = k0; k < end; k++) reflectColumn(a, m, k, end, tau, rDiag);
    const block = compactWY(a, m, k0, b, tau);
    blocks.push(block);
    // Trailing columns get Qᵀ of this block: (I − V T Vᵀ)ᵀ = I − V Tᵀ Vᵀ.
    if (end < n) applyBlock(a, m, block, end, n, true);
  }
  return { rDiag, blocks };
}

/** Computes reflector k from column k (rows ≥ k) and applies it to columns k+1 … end−1. */
function reflectColumn(a: Float64Array, m: number, k: number, end: number, tau: Float64Array, rDiag: Float64Array): void {
  const ck = k * m;
  let norm2 = 0;
  for (let i = k; i < m; i++) norm2 += a[ck + i]! * a[ck + i]!;
  const norm = Math.sqrt(norm2);
  const alpha = a[ck + k]!;
  if (norm === 0) return; // a zero column (probability 0): H = I, τ = 0, R[k, k] = 0
  // NOTE: β takes the sign opposite to α so that α − β never cancels.
  const beta = alpha >= 0 ? -norm : norm;
  const scale = 1 / (alpha - beta);
  for (let i = k + 1; i < m; i++) a[ck + i] = a[ck + i]! * scale;
  const t = (beta - alpha) / beta;
  tau[k] = t;
  rDiag[k] = beta;
  a[ck + k] = beta;
  // x ← x − τ (vᵀx) v for each later column of the panel.
  for (let j = k + 1; j < end; j++) {
    const cj = j * m;
    let s = a[cj + k]!;
    for (let i = k + 1; i < m; i++) s += a[ck + i]! * a[cj + i]!;
    s *= t;
    a[cj + k] = a[cj + k]! - s;
    for (let i = k + 1; i < m; i++) a[cj + i] = a[cj + i]! - s * a[ck + i]!;
  }
}

/** V (explicit) and T of the block's reflectors, as LAPACK's dlarft (forward, columnwise). */
function compactWY(a: Float64Array, m: number, k0: number, b: number, tau: Float64Array): Block {
  const mk = m - k0;
  const v = new Float64Array(b * mk);
  for (let j = 0; j < b; j++) {
    const src = (k0 + j) * m + k0;
    v[j * mk + j] = 1;
    for (let r = j + 1; r < mk; r++) v[j * mk + r] = a[src + r]!;
  }
  // T[i, i] = τᵢ; T[0:i, i] = −τᵢ · T[0:i, 0:i] · (V[:, 0:i]ᵀ vᵢ).
  const t = new Float64Array(b * b);
  const z = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    const ti = tau[k0 + i]!;
    t[i * b + i] = ti;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let r = i; r < mk; r++) s += v[j * mk + r]! * v[i * mk + r]!; // vᵢ is zero above row i
      z[j] = s;
    }
    for (let p = 0; p < i; p++) {
      let s = 0;
      for (let j = p; j < i; j++) s += t[p * b + j]! * z[j]!;
      t[p * b + i] = -ti * s;
    }
  }
  return { k0, b, v, t };
}

/**
 * C ← (I − V T Vᵀ) C, or with Tᵀ when `transposeT`, for C = target[k0:, c0:c1] (column-major, ld m).
 * Column-major C is row-major Cᵀ, so with Wᵀ = Cᵀ V the update is Cᵀ −= (Wᵀ T or Wᵀ Tᵀ) Vᵀ: three gemms.
 */
function applyBlock(target: Float64Array, m: number, block: Block, c0: number, c1: number, transposeT: boolean): void {
  const { k0, b, v, t } = block;
  const mk = m - k0, nc = c1 - c0, off = c0 * m + k0;
  const w = new Float64Array(nc * b), w2 = new Float64Array(nc * b);
  gemm(false, true, nc, b, mk, 1, target, off, m, v, 0, mk, 0, w, 0, b);
  gemm(false, !transposeT, nc, b, b, 1, w, 0, b, t, 0, b, 0, w2, 0, b);
  gemm(false, false, nc, mk, b, -1, w2, 0, b, v, 0, mk, 1, target, off, m);
}

/** The first n columns of Q = H₀H₁…Hₙ₋₁ (column-major [m, n]), applying the blocks last to first. */
function formQ(blocks: readonly Block[], m: number, n: number): Float64Array {
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  // A block starting at k0 only touches rows ≥ k0, and columns < k0 are still unit vectors there.
  for (let i = blocks.length - 1; i >= 0; i--) applyBlock(q, m, blocks[i]!, blocks[i]!.k0, n, false);
  return q;
}
