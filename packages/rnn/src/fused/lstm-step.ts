// lstmStep: the pointwise part of one LSTM step as a single op (gate pre-activations and c in,
// h' and c' out) with a hand-written backward — what LSTMCell.step runs for the standard cell.
import * as K from '@unroll/core';
import { defineOp } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { FloatArray, NdArray } from '@unroll/core';
import type { LSTMState } from '../cell.js';
import { absent, checkMatrix, checkShape, commonDType, dtypeOfArray, flat, newArray, willRecord, wrap } from './common.js';
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

const lstmStepOp = defineOp<{ peephole: boolean; record: boolean }>({
  name: 'lstmStep',
  inputs: ['gates', 'c', 'weightCi', 'weightCf', 'weightCo'],
  forward: ([gates, c, wci, wcf, wco], { peephole, record }) => {
    const [B, G] = gates!.shape as [number, number];
    const H = G / 4;
    const pre = flat(gates!);
    const dtype = dtypeOfArray(pre);
    // The activations overwrite a copy of the pre-activations (the input is never written); what only
    // backward reads comes from the pool when recording (back to it on release), else is scratch.
    const act = record ? takeBuffer(dtype, B * G) : scratch('lstmStep.act', dtype, B * G);
    act.set(pre);
    const cPrev = flat(c!);
    const cNext = newArray(dtype, B * H), hNext = newArray(dtype, B * H);
    const tc = record ? takeBuffer(dtype, B * H) : scratch('lstmStep.tc', dtype, B * H);
    const peep = peephole ? { ci: flat(wci!), cf: flat(wcf!), co: flat(wco!) } : null;
    for (let b = 0; b < B; b++) {
      lstmForwardRow(H, dtype === 'float32', act, b * G, null, 0, null, cPrev, b * H, peep, cNext, b * H, hNext, b * H, tc, b * H);
    }
    const saved: Saved | undefined = record ? { B, H, dtype, act, cPrev, cNext, tc, peep } : undefined;
    return { outputs: [wrap(hNext, [B, H]), wrap(cNext, [B, H])], saved };
  },
  backward: ({ dys, saved, needs }) => {
    const { B, H, dtype, act, cPrev, cNext, tc, peep } = saved as Saved;
    const G = 4 * H;
    const dh = flat(dys[0]!).slice(); // the kernel zeroes dh as it goes: work on a copy
    const dcIn = flat(dys[1]!);
    const dG = newArray(dtype, B * G), dc = newArray(dtype, B * H);
    const acc: PeepholeGrads | null = peep
      ? { ci: scratchZeros64('lstmStep.dci', H), cf: scratchZeros64('lstmStep.dcf', H), co: scratchZeros64('lstmStep.dco', H) }
      : null;
    for (let b = 0; b < B; b++) {
      lstmBackwardRow(H, act, b * G, cPrev, b * H, cNext, b * H, tc, b * H, dh, b * H, false, null, 0,
        dcIn, b * H, dc, b * H, dG, b * G, peep, acc);
    }
    const out: (NdArray | undefined)[] = [wrap(dG, [B, G]), wrap(dc, [B, H])];
    if (acc) {
      const toDType = (v: Float64Array) => { const o = newArray(dtype, H); o.set(v); return wrap(o, [H]); };
      out.push(needs[2] ? toDType(acc.ci) : undefined, needs[3] ? toDType(acc.cf) : undefined, needs[4] ? toDType(acc.co) : undefined);
    }
    return out.map((g) => (g === undefined ? undefined : () => g));
  },
  // act and tc were read only by backward (cPrev is the input's, cNext an output).
  release: (saved) => giveBack((saved as Saved).act, (saved as Saved).tc),
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
  const dtype = commonDType(who, [['gates', gates], ['c', c], ['peepholes.weightCi', peepholes?.weightCi],
    ['peepholes.weightCf', peepholes?.weightCf], ['peepholes.weightCo', peepholes?.weightCo]]);
  const none = absent(dtype);
  const inputs = [gates, c, peepholes?.weightCi ?? none, peepholes?.weightCf ?? none, peepholes?.weightCo ?? none];
  const [h, cNext] = lstmStepOp.applyMulti(inputs, { peephole: peepholes !== null, record: willRecord(inputs) });
  return { h: h!, c: cNext! };
}
