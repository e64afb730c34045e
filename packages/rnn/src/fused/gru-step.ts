// gruStep: the pointwise part of one reset-after GRU step as a single op (both projections and h in,
// h' out) with a hand-written backward — what GRUCell.step runs by default.
import * as K from '@unroll/core';
import { defineOp } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { FloatArray } from '@unroll/core';
import { checkMatrix, checkShape, commonDType, dtypeOfArray, flat, newArray, wrap } from './common.js';
import type { FloatDType } from './common.js';
import { gruBackwardRow, gruForwardRow } from './gru-kernels.js';
import { giveBack, takeBuffer } from './pool.js';
import { scratch } from './scratch.js';

interface Saved {
  B: number; H: number; dtype: FloatDType;
  /** [B, 4H]: r|z|n|h_n. */
  save: FloatArray;
  hPrev: FloatArray;
}

const gruStepOp = defineOp({
  name: 'gruStep',
  inputs: ['gi', 'gh', 'h'] as const,
  // Backward reads h through `saved` (a flat view): declared so an in-place change is caught.
  save: ['h'],
  forward: ({ gi, gh, h }, _: undefined, { recording }) => {
    const [B, G] = gi.shape as [number, number];
    const H = G / 3;
    const xi = flat(gi), hi = flat(gh), hPrev = flat(h);
    const dtype = dtypeOfArray(xi);
    const fast = dtype === 'float32';
    const save = recording ? takeBuffer(dtype, B * 4 * H) : scratch('gruStep.save', dtype, B * 4 * H);
    const hNext = newArray(dtype, B * H);
    for (let b = 0; b < B; b++) gruForwardRow(H, fast, xi, b * G, null, hi, b * G, null, hPrev, b * H, hNext, b * H, save, b * 4 * H);
    return { outputs: [wrap(hNext, [B, H])], saved: recording ? ({ B, H, dtype, save, hPrev } satisfies Saved) : undefined };
  },
  backward: ({ dy, saved: { B, H, dtype, save, hPrev } }) => {
    const G = 3 * H;
    const dgi = newArray(dtype, B * G), dgh = newArray(dtype, B * G), dh = newArray(dtype, B * H);
    const DY = flat(dy);
    for (let b = 0; b < B; b++) gruBackwardRow(H, save, b * 4 * H, hPrev, b * H, DY, b * H, null, 0, dgi, b * G, dgh, b * G, dh, b * H);
    return { gi: () => wrap(dgi, [B, G]), gh: () => wrap(dgh, [B, G]), h: () => wrap(dh, [B, H]) };
  },
  // save was read only by backward (hPrev is the input's).
  release: (s) => giveBack(s.save),
});

/**
 * The pointwise part of one reset-after GRU step (PyTorch/cuDNN) as one op (gate order r|z|n), from
 * the two projections gi = W_ih x + b_ih and gh = W_hh h + b_hh:
 *
 *     r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)   n = tanh(gi_n + r ⊙ gh_n)   h' = n + z ⊙ (h − n)
 *
 * Backward is hand-written: from dh' it gives d(gi), d(gh) [B, 3H] and dh [B, H] (the direct part z ⊙ dh').
 * Shapes: gi, gh [B, 3H], h [B, H] → h' [B, H].
 */
export function gruStep(gi: Tensor, gh: Tensor, h: Tensor): Tensor {
  const who = 'gruStep';
  const [B, G] = checkMatrix(who, 'gi', gi, '[batch, 3·hidden]');
  if (G % 3 !== 0) throw new K.ShapeError(`${who}: gi must be [batch, 3·hidden]; got ${K.fmt(gi.shape)} (${G} is not a multiple of 3)`);
  checkShape(who, 'gh', gh, [B, G], '[batch, 3·hidden], as gi');
  checkShape(who, 'h', h, [B, G / 3], '[batch, hidden]');
  commonDType(who, [['gi', gi], ['gh', gh], ['h', h]]);
  return gruStepOp.apply({ gi, gh, h });
}
