// Dropout: zeroes random elements in training and rescales the rest (inverted dropout).
import * as K from '@unroll/core';
import type { RandomGenerator } from '@unroll/core';
import { mul } from '../ops/elementwise.js';
import { Tensor } from '../tensor.js';
import { checkInput } from './checks.js';
import { Module } from './module.js';

export interface DropoutOptions {
  /** Apply dropout (default true, as torch.nn.functional.dropout); false returns x unchanged. */
  training?: boolean;
  /** Random source of the mask (the default generator if omitted). */
  generator?: RandomGenerator;
}

/**
 * Inverted dropout, as torch.nn.functional.dropout: in training each element is zeroed with
 * probability p and the survivors are scaled by 1/(1 − p), so the expected value is unchanged and
 * evaluation needs no rescaling. x [...] → [...]; the gradient goes through the same mask.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  checkP('dropout', p);
  checkInput('dropout', x);
  const training = opts.training ?? true;
  if (!training || p === 0) return x;
  const g = opts.generator ?? K.defaultGenerator;
  const keep = 1 / (1 - p);
  const mask = K.empty(x.shape, x.dtype);
  const m = mask.data;
  // One uniform draw per element in row-major order: the same generator state gives the same mask.
  for (let i = 0; i < m.length; i++) m[i] = g.uniform() < p ? 0 : keep;
  return mul(x, new Tensor(mask));
}

/**
 * The dropout layer: `dropout(x, p)` while `training` (see Module.train / eval), identity in eval mode.
 * x [...] → [...].
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly generator: RandomGenerator | undefined;

  /** p in [0, 1): the probability of zeroing an element. */
  constructor(p = 0.5, opts: { generator?: RandomGenerator } = {}) {
    super();
    checkP('Dropout', p);
    this.p = p;
    this.generator = opts.generator;
  }

  /** x [...] → [...]: dropped and rescaled in training, x itself in eval mode. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }
}

function checkP(where: string, p: unknown): void {
  // NOTE: p = 1 would scale by 1/0; torch returns zeros there, but a layer that drops everything is a bug.
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new RangeError(`${where}: p must be a probability in [0, 1); got ${String(p)}`);
  }
}
