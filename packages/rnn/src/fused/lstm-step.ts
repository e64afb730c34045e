// lstmStep: the pointwise part of one LSTM step as a single op (gate pre-activations and c in,
// h' and c' out) with a hand-written backward — what LSTMCell.step runs for the standard cell.
import * as K from '@unroll/core';
import { defineOp } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { FloatArray } from '@unroll/core';
import type { LSTMState } from '../cell.js';
import { checkMatrix, checkShape, commonDType, dtypeOfArray, flat, newArray, wrap } from './common.js';
import type { FloatDType } from './common.js';
import { lstmBackwardRow, lstmForwardRow } from './lstm-kernels.js';
import type { PeepholeGrads, Peepholes } from './lstm-kernels.js';
import { giveBack, takeBuffer } from './pool.js';
import { scratch, scratchZeros64 } from './scratch.js';

interface Saved {
  B: number; H: number; dtype: FloatDType;
  /** [B, 4H]: i|f|g|o. */
  act: FloatArray;
  cPrev: FloatArray;
  cNext: FloatArray;
  /** [B, H]: tanh(c'). */
  tc: FloatArray;
  peep: Peepholes | null;
}

const lstmStepOp = defineOp({
  name: 'lstmStep',
  inputs: ['gates', 'c', 'weightCi', 'weightCf', 'weightCo'] as const,
  optional: ['weightCi', 'weightCf', 'weightCo'],
  // Backward reads c and the peepholes through `saved` (flat views): declared so an in-place change is caught.
  save: ['c', 'weightCi', 'weightCf', 'weightCo'],
  forward: ({ gates, c, weightCi, weightCf, weightCo }, _: undefined, { recording }) => {
    const [B, G] = gates.shape as [number, number];
    const H = G / 4;
    const pre = flat(gates);
    const dtype = dtypeOfArray(pre);
    // The activations overwrite a copy of the pre-activations (the input is never written); what only
    // backward reads comes from the pool when recording (back to it on release), else is scratch.
    const act = recording ? takeBuffer(dtype, B * G) : scratch('lstmStep.act', dtype, B * G);
    act.set(pre);
    const cPrev = flat(c);
    const cNext = newArray(dtype, B * H), hNext = newArray(dtype, B * H);
    const tc = recording ? takeBuffer(dtype, B * H) : scratch('lstmStep.tc', dtype, B * H);
    const peep = weightCi && weightCf && weightCo ? { ci: flat(weightCi), cf: flat(weightCf), co: flat(weightCo) } : null;
    for (let b = 0; b < B; b++) {
      lstmForwardRow(H, dtype === 'float32', act, b * G, null, 0, null, cPrev, b * H, peep, cNext, b * H, hNext, b * H, tc, b * H);
    }
    const saved: Saved | undefined = recording ? { B, H, dtype, act, cPrev, cNext, tc, peep } : undefined;
    return { outputs: [wrap(hNext, [B, H]), wrap(cNext, [B, H])], saved };
  },
  backward: ({ dys: [dhOut, dcOut], saved: { B, H, dtype, act, cPrev, cNext, tc, peep } }) => {
    const G = 4 * H;
    const dh = flat(dhOut).slice(); // the kernel zeroes dh as it goes: work on a copy
    const dcIn = flat(dcOut);
    const dG = newArray(dtype, B * G), dc = newArray(dtype, B * H);
    const acc: PeepholeGrads | null = peep
      ? { ci: scratchZeros64('lstmStep.dci', H), cf: scratchZeros64('lstmStep.dcf', H), co: scratchZeros64('lstmStep.dco', H) }
      : null;
    for (let b = 0; b < B; b++) {
      lstmBackwardRow(H, act, b * G, cPrev, b * H, cNext, b * H, tc, b * H, dh, b * H, false, null, 0,
        dcIn, b * H, dc, b * H, dG, b * G, peep, acc);
    }
    // The peephole sums are float64 scratch: each gradient is a copy in the op's dtype.
    const peephole = (v: Float64Array) => { const o = newArray(dtype, H); o.set(v); return () => wrap(o, [H]); };
    return {
      gates: () => wrap(dG, [B, G]),
      c: () => wrap(dc, [B, H]),
      ...(acc && { weightCi: peephole(acc.ci), weightCf: peephole(acc.cf), weightCo: peephole(acc.co) }),
    };
  },
  // act and tc were read only by backward (cPrev is the input's, cNext an output).
  release: (s) => giveBack(s.act, s.tc),
});

/** Peephole diagonals for `lstmStep`, each [H]. */
export interface LSTMStepPeepholes {
  readonly weightCi: Tensor;
  readonly weightCf: Tensor;
  readonly weightCo: Tensor;
}

/**
 * The pointwise part of one LSTM step as one op (gate order i|f|g|o), from the gate
 * pre-activations a = W_ih x + b_ih + W_hh h + b_hh:
 *
 *     i = σ(a_i + w_ci ⊙ c)   f = σ(a_f + w_cf ⊙ c)   g = tanh(a_g)      (w_c· only with peepholes)
 *     c' = f ⊙ c + i ⊙ g      o = σ(a_o + w_co ⊙ c')   h' = o ⊙ tanh(c')
 *
 * Backward is hand-written: from dh', dc' it gives d(gates) [B, 4H], dc [B, H] (and the peepholes').
 * Shapes: gates [B, 4H], c [B, H] → { h, c } [B, H].
 */
export function lstmStep(gates: Tensor, c: Tensor, peepholes: LSTMStepPeepholes | null = null): LSTMState {
  const who = 'lstmStep';
  const [B, G] = checkMatrix(who, 'gates', gates, '[batch, 4·hidden]');
  if (G % 4 !== 0) throw new K.ShapeError(`${who}: gates must be [batch, 4·hidden]; got ${K.fmt(gates.shape)} (${G} is not a multiple of 4)`);
  const H = G / 4;
  checkShape(who, 'c', c, [B, H], '[batch, hidden]');
  if (peepholes) (['weightCi', 'weightCf', 'weightCo'] as const).forEach((n) => checkShape(who, `peepholes.${n}`, peepholes[n], [H], '[hidden]'));
  commonDType(who, [['gates', gates], ['c', c], ['peepholes.weightCi', peepholes?.weightCi],
    ['peepholes.weightCf', peepholes?.weightCf], ['peepholes.weightCo', peepholes?.weightCo]]);
  const [h, cNext] = lstmStepOp.applyMulti({
    gates, c, weightCi: peepholes?.weightCi, weightCf: peepholes?.weightCf, weightCo: peepholes?.weightCo,
  });
  return { h, c: cNext };
}
