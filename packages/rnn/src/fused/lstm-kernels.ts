// The LSTM step's pointwise part for one batch row, forward and backward, on flat typed arrays.
// The fused step op and the fused sequence op both call these, so the two paths cannot drift.
import { sigmoidScalar as sigmoid } from '@unroll/core';
import type { FloatArray } from '@unroll/core';
import { sigmoidFast, tanhFast } from './fast-math.js';

/** Peephole diagonals w_ci, w_cf, w_co, each [H]. */
export interface Peepholes {
  readonly ci: FloatArray;
  readonly cf: FloatArray;
  readonly co: FloatArray;
}

/** float64 sums of the peephole gradients over rows, each [H]. */
export interface PeepholeGrads {
  readonly ci: Float64Array;
  readonly cf: Float64Array;
  readonly co: Float64Array;
}

/**
 * One row of an LSTM step (gate order i|f|g|o, blocks of H):
 *
 *     a = act[aOff..aOff+4H] (+ hh[hhOff..] when given) (+ bias when given)
 *     i = σ(a_i + w_ci ⊙ c)   f = σ(a_f + w_cf ⊙ c)   g = tanh(a_g)      (w_c· only with peepholes)
 *     c' = f ⊙ c + i ⊙ g      o = σ(a_o + w_co ⊙ c')   h' = o ⊙ tanh(c')
 *
 * Overwrites act[aOff..] with i|f|g|o (what backward reads) and writes c' at cNext[cnOff..],
 * h' at hNext[hnOff..] and tanh(c') at tc[tcOff..] (when tc is given). `fast` (float32) uses
 * fast-math.ts's σ and tanh instead of Math's.
 * NOTE: the sums are formed in the composed cell's order, ((x·W_ihᵀ + h·W_hhᵀ) + (b_ih + b_hh)),
 * so in float64 the fused and composed paths give identical forward values.
 */
export function lstmForwardRow(H: number, fast: boolean,
  act: FloatArray, aOff: number, hh: FloatArray | null, hhOff: number, bias: FloatArray | null,
  cPrev: FloatArray, cpOff: number, peep: Peepholes | null,
  cNext: FloatArray, cnOff: number, hNext: FloatArray, hnOff: number, tc: FloatArray | null, tcOff: number): void {
  const H2 = 2 * H, H3 = 3 * H;
  for (let j = 0; j < H; j++) {
    const ki = aOff + j;
    let ai = act[ki]!, af = act[ki + H]!, ag = act[ki + H2]!, ao = act[ki + H3]!;
    if (hh !== null) {
      const q = hhOff + j;
      ai += hh[q]!; af += hh[q + H]!; ag += hh[q + H2]!; ao += hh[q + H3]!;
    }
    if (bias !== null) {
      ai += bias[j]!; af += bias[j + H]!; ag += bias[j + H2]!; ao += bias[j + H3]!;
    }
    const cp = cPrev[cpOff + j]!;
    if (peep !== null) {
      ai += cp * peep.ci[j]!;
      af += cp * peep.cf[j]!;
    }
    const i = fast ? sigmoidFast(ai) : sigmoid(ai);
    const f = fast ? sigmoidFast(af) : sigmoid(af);
    const g = fast ? tanhFast(ag) : Math.tanh(ag);
    const c = f * cp + i * g;
    if (peep !== null) ao += c * peep.co[j]!;
    const o = fast ? sigmoidFast(ao) : sigmoid(ao);
    const th = fast ? tanhFast(c) : Math.tanh(c);
    act[ki] = i; act[ki + H] = f; act[ki + H2] = g; act[ki + H3] = o;
    cNext[cnOff + j] = c;
    hNext[hnOff + j] = o * th;
    if (tc !== null) tc[tcOff + j] = th;
  }
}

/**
 * Backward of `lstmForwardRow` for one row. With dh̄ = dh (+ dy when given), the gradient reaching h':
 *
 *     dao = dh̄ ⊙ tanh(c') ⊙ o(1 − o)
 *     dc̄ = dc + dh̄ ⊙ o ⊙ (1 − tanh²(c')) (+ dao ⊙ w_co)
 *     dai = dc̄ ⊙ g ⊙ i(1 − i)   daf = dc̄ ⊙ c ⊙ f(1 − f)   dag = dc̄ ⊙ i ⊙ (1 − g²)
 *     dc_prev = dc̄ ⊙ f (+ dai ⊙ w_ci + daf ⊙ w_cf)
 *
 * Reads act (i|f|g|o), c at cPrev, c' at cNext (peepholes only), tanh(c') at tc; writes d(pre-activations)
 * at dG[gOff..] (4H) and dc_prev at dcOut[dcOutOff..] (may be dcIn itself: each element is read before
 * it is written). Sets dh[dhOff..] to 0 when `zeroDh` (the caller then adds dG·W_hh into it).
 * Peephole gradients are added into `acc`.
 */
export function lstmBackwardRow(H: number,
  act: FloatArray, aOff: number, cPrev: FloatArray, cpOff: number, cNext: FloatArray, cnOff: number,
  tc: FloatArray, tcOff: number,
  dh: FloatArray, dhOff: number, zeroDh: boolean, dy: FloatArray | null, dyOff: number,
  dcIn: FloatArray, dcInOff: number, dcOut: FloatArray, dcOutOff: number,
  dG: FloatArray, gOff: number, peep: Peepholes | null, acc: PeepholeGrads | null): void {
  const H2 = 2 * H, H3 = 3 * H;
  for (let j = 0; j < H; j++) {
    const ki = aOff + j;
    const i = act[ki]!, f = act[ki + H]!, g = act[ki + H2]!, o = act[ki + H3]!;
    const th = tc[tcOff + j]!;
    let dhv = dh[dhOff + j]!;
    if (dy !== null) dhv += dy[dyOff + j]!;
    if (zeroDh) dh[dhOff + j] = 0;
    const dao = dhv * th * o * (1 - o);
    let dc = dcIn[dcInOff + j]! + dhv * o * (1 - th * th);
    if (peep !== null) {
      dc += dao * peep.co[j]!;
      acc!.co[j] += dao * cNext[cnOff + j]!;
    }
    const cp = cPrev[cpOff + j]!;
    const dai = dc * g * i * (1 - i);
    const daf = dc * cp * f * (1 - f);
    const dag = dc * i * (1 - g * g);
    let dcp = dc * f;
    if (peep !== null) {
      dcp += dai * peep.ci[j]! + daf * peep.cf[j]!;
      acc!.ci[j] += dai * cp;
      acc!.cf[j] += daf * cp;
    }
    const q = gOff + j;
    dG[q] = dai; dG[q + H] = daf; dG[q + H2] = dag; dG[q + H3] = dao;
    dcOut[dcOutOff + j] = dcp;
  }
}
