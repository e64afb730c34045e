// The GRU step's pointwise parts for one batch row, forward and backward, on flat typed arrays
// (gate order r|z|n, blocks of H). The fused step op and the fused sequence op share them.
import { sigmoidScalar as sigmoid } from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { sigmoidFast, tanhFast } from './fast-math.js';

// `fast` (float32) selects fast-math.ts's σ and tanh instead of Math's in the forward kernels.

/**
 * One row of a reset-after GRU step (PyTorch/cuDNN):
 *
 *     x_· = gi[giOff..] (+ b_ih)        h_· = gh[ghOff..] (+ b_hh)        (the biases only when given)
 *     r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r ⊙ h_n)   h' = n + z ⊙ (h − n)
 *
 * Writes h' at hNext[hnOff..] and r|z|n|h_n (4H) at save[sOff..] for backward.
 * NOTE: each sum is formed in the composed cell's order, so float64 values are identical.
 */
export function gruForwardRow(H: number, fast: boolean,
  gi: FloatArray, giOff: number, bi: FloatArray | null, gh: FloatArray, ghOff: number, bh: FloatArray | null,
  hPrev: FloatArray, hpOff: number, hNext: FloatArray, hnOff: number, save: FloatArray, sOff: number): void {
  const H2 = 2 * H, H3 = 3 * H;
  for (let j = 0; j < H; j++) {
    const p = giOff + j, q = ghOff + j;
    let xr = gi[p]!, xz = gi[p + H]!, xn = gi[p + H2]!;
    let hr = gh[q]!, hz = gh[q + H]!, hn = gh[q + H2]!;
    if (bi !== null) { xr += bi[j]!; xz += bi[j + H]!; xn += bi[j + H2]!; }
    if (bh !== null) { hr += bh[j]!; hz += bh[j + H]!; hn += bh[j + H2]!; }
    const r = fast ? sigmoidFast(xr + hr) : sigmoid(xr + hr);
    const z = fast ? sigmoidFast(xz + hz) : sigmoid(xz + hz);
    const n = fast ? tanhFast(xn + r * hn) : Math.tanh(xn + r * hn);
    const hp = hPrev[hpOff + j]!;
    hNext[hnOff + j] = n + z * (hp - n);
    const s = sOff + j;
    save[s] = r; save[s + H] = z; save[s + H2] = n; save[s + H3] = hn;
  }
}

/**
 * Backward of `gruForwardRow` for one row. With dh̄ = dh (+ dy when given):
 *
 *     dn = dh̄ ⊙ (1 − z)   dz = dh̄ ⊙ (h − n)   dan = dn ⊙ (1 − n²)   daz = dz ⊙ z(1 − z)
 *     dar = dan ⊙ h_n ⊙ r(1 − r)
 *     d(x-side pre-activations) = dar|daz|dan     d(h-side) = dar|daz|dan ⊙ r
 *
 * Writes those at dgi[giOff..] and dgh[ghOff..] (3H each) and the direct part of dh_prev, dh̄ ⊙ z,
 * at dhp[dhpOff..] (may be dh itself; the caller adds d(h-side)·W_hh).
 */
export function gruBackwardRow(H: number, save: FloatArray, sOff: number, hPrev: FloatArray, hpOff: number,
  dh: FloatArray, dhOff: number, dy: FloatArray | null, dyOff: number,
  dgi: FloatArray, giOff: number, dgh: FloatArray, ghOff: number, dhp: FloatArray, dhpOff: number): void {
  const H2 = 2 * H, H3 = 3 * H;
  for (let j = 0; j < H; j++) {
    const s = sOff + j;
    const r = save[s]!, z = save[s + H]!, n = save[s + H2]!, hn = save[s + H3]!;
    let dhv = dh[dhOff + j]!;
    if (dy !== null) dhv += dy[dyOff + j]!;
    const hp = hPrev[hpOff + j]!;
    const dan = dhv * (1 - z) * (1 - n * n);
    const daz = dhv * (hp - n) * z * (1 - z);
    const dar = dan * hn * r * (1 - r);
    const p = giOff + j, q = ghOff + j;
    dgi[p] = dar; dgi[p + H] = daz; dgi[p + H2] = dan;
    dgh[q] = dar; dgh[q + H] = daz; dgh[q + H2] = dan * r;
    dhp[dhpOff + j] = dhv * z;
  }
}

/**
 * First half of a reset-before GRU step (Cho et al. 2014), once h·W_{hr|hz}ᵀ is known:
 * r = σ(x_r + h_r), z = σ(x_z + h_z) (biases added when given; gh holds 2H values per row here).
 * Writes r|z at save[sOff..] (the 4H block r|z|n|·) and r ⊙ h at rh[rhOff..] (the next product's input).
 */
export function gruGatesRow(H: number, fast: boolean,
  gi: FloatArray, giOff: number, bi: FloatArray | null, gh: FloatArray, ghOff: number, bh: FloatArray | null,
  hPrev: FloatArray, hpOff: number, save: FloatArray, sOff: number, rh: FloatArray, rhOff: number): void {
  for (let j = 0; j < H; j++) {
    const p = giOff + j, q = ghOff + j;
    let xr = gi[p]!, xz = gi[p + H]!;
    let hr = gh[q]!, hz = gh[q + H]!;
    if (bi !== null) { xr += bi[j]!; xz += bi[j + H]!; }
    if (bh !== null) { hr += bh[j]!; hz += bh[j + H]!; }
    const r = fast ? sigmoidFast(xr + hr) : sigmoid(xr + hr);
    const z = fast ? sigmoidFast(xz + hz) : sigmoid(xz + hz);
    save[sOff + j] = r;
    save[sOff + H + j] = z;
    rh[rhOff + j] = r * hPrev[hpOff + j]!;
  }
}

/**
 * Second half of a reset-before GRU step, once (r ⊙ h)·W_hnᵀ is at hn[hnOff..]:
 * n = tanh(x_n + ((r ⊙ h)·W_hnᵀ + b_hn)), h' = n + z ⊙ (h − n). Writes h' and n (save, block 2).
 */
export function gruCandidateRow(H: number, fast: boolean, gi: FloatArray, giOff: number, bi: FloatArray | null,
  hn: FloatArray, hnOff: number, bh: FloatArray | null,
  hPrev: FloatArray, hpOff: number, hNext: FloatArray, hOff: number, save: FloatArray, sOff: number): void {
  const H2 = 2 * H;
  for (let j = 0; j < H; j++) {
    let xn = gi[giOff + H2 + j]!;
    if (bi !== null) xn += bi[j + H2]!;
    let hv = hn[hnOff + j]!;
    if (bh !== null) hv += bh[j + H2]!;
    const n = fast ? tanhFast(xn + hv) : Math.tanh(xn + hv);
    const z = save[sOff + H + j]!;
    const hp = hPrev[hpOff + j]!;
    hNext[hOff + j] = n + z * (hp - n);
    save[sOff + H2 + j] = n;
  }
}

/**
 * Backward of a reset-before step, first half (before d(r ⊙ h) is known): with dh̄ = dh (+ dy),
 * dan = dh̄(1 − z)(1 − n²) and daz = dh̄(h − n)z(1 − z) go to dG (blocks n and z; dG is both the x-side
 * and the h-side pre-activation gradient here), and dh̄ ⊙ z to dhp.
 */
export function gruBackwardCandidateRow(H: number, save: FloatArray, sOff: number, hPrev: FloatArray, hpOff: number,
  dh: FloatArray, dhOff: number, dy: FloatArray | null, dyOff: number,
  dG: FloatArray, gOff: number, dhp: FloatArray, dhpOff: number): void {
  const H2 = 2 * H;
  for (let j = 0; j < H; j++) {
    const z = save[sOff + H + j]!, n = save[sOff + H2 + j]!;
    let dhv = dh[dhOff + j]!;
    if (dy !== null) dhv += dy[dyOff + j]!;
    const hp = hPrev[hpOff + j]!;
    dG[gOff + H2 + j] = dhv * (1 - z) * (1 - n * n);
    dG[gOff + H + j] = dhv * (hp - n) * z * (1 - z);
    dhp[dhpOff + j] = dhv * z;
  }
}

/**
 * Backward of a reset-before step, second half, once d(r ⊙ h) = dan·W_hn is at drh[drhOff..]:
 * dar = d(r ⊙ h) ⊙ h ⊙ r(1 − r) to dG (block r), and d(r ⊙ h) ⊙ r added to dhp.
 */
export function gruBackwardGatesRow(H: number, save: FloatArray, sOff: number, hPrev: FloatArray, hpOff: number,
  drh: FloatArray, drhOff: number, dG: FloatArray, gOff: number, dhp: FloatArray, dhpOff: number): void {
  for (let j = 0; j < H; j++) {
    const r = save[sOff + j]!;
    const d = drh[drhOff + j]!;
    dG[gOff + j] = d * hPrev[hpOff + j]! * r * (1 - r);
    dhp[dhpOff + j] += d * r;
  }
}
