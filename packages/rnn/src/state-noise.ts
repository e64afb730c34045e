// What recurrent dropout and zoneout share, for the built-in cells' options and the wrappers:
// one dropout mask per sequence on the state fed back (Gal & Ghahramani 2016), and zoneout's mix
// of the previous and the new state (Krueger et al. 2017), both seeded by a RandomGenerator.
import * as K from '@unroll/core';
import { Tensor, add, mul } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';

/** Zoneout probabilities: one for every state tensor, or one per state key (`{ h, c }`; absent keys 0). */
export type ZoneoutRates = number | { readonly [key: string]: number };

/** Throws unless `p` is a probability in [0, 1); returns it (0 when undefined). */
export function checkRate(who: string, name: string, p: unknown): number {
  const v = p ?? 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${who}: ${name} must be a probability in [0, 1); got ${String(p)}`);
  return v;
}

/** Validates zoneout rates against the state keys the cell has; returns them per key. */
export function checkZoneout(who: string, z: unknown, keys: readonly string[] | null): Map<string, number> {
  const out = new Map<string, number>();
  if (z === undefined) return out;
  if (typeof z === 'number') {
    const p = checkRate(who, 'zoneout', z);
    if (keys === null) out.set('*', p);
    else for (const k of keys) out.set(k, p);
    return out;
  }
  if (typeof z !== 'object' || z === null || Array.isArray(z)) {
    throw new TypeError(`${who}: zoneout must be a probability or { ${(keys ?? ['h', 'c']).join(', ')} } of probabilities; got ${String(z)}`);
  }
  for (const [k, v] of Object.entries(z)) {
    if (keys !== null && !keys.includes(k)) throw new TypeError(`${who}: zoneout.${k}: the state has no '${k}' (its keys: ${keys.join(', ')})`);
    out.set(k, checkRate(who, `zoneout.${k}`, v));
  }
  return out;
}

/** A tensor shaped like `t` with each element 1 with probability `p`, else 0 (one draw per element, row-major). */
function bernoulli(t: Tensor, p: number, scale: number, generator: RandomGenerator | undefined): Tensor {
  const g = generator ?? K.defaultGenerator;
  const m = K.empty(t.shape, t.dtype);
  const d = m.data;
  for (let i = 0; i < d.length; i++) d[i] = g.uniform() < p ? scale : 0;
  return new Tensor(m);
}

/**
 * Variational recurrent dropout: the masks of one sequence, one per state tensor it is applied to
 * (by path), drawn at their first use after `reset()` and kept for every later step, as Keras's
 * recurrent_dropout. Inverted dropout: survivors are scaled by 1/(1 − p).
 */
export class SequenceMasks {
  private masks = new Map<string, Tensor>();
  private begun = false;

  constructor(private readonly who: string, readonly p: number, private readonly generator: RandomGenerator | undefined) {}

  /** A new sequence starts: the next use of each path draws a new mask. */
  reset(): void {
    this.masks.clear();
    this.begun = true;
  }

  /** `t` times the sequence's mask for `path`. */
  apply(t: Tensor, path: string): Tensor {
    if (!this.begun) {
      throw new Error(`${this.who}: recurrent dropout draws one mask per sequence in training: call beginSequence(batch) before the first step of each sequence (unroll, the layers and the modules do it for you)`);
    }
    let m = this.masks.get(path);
    if (m !== undefined && !K.sameShape(m.shape, t.shape)) {
      throw new K.ShapeError(`${this.who}: ${path} is ${K.fmt(t.shape)} but this sequence's dropout mask is ${K.fmt(m.shape)}; call beginSequence(batch) when a new sequence starts`);
    }
    if (m === undefined || m.dtype !== t.dtype) {
      m = bernoulli(t, 1 - this.p, 1 / (1 - this.p), this.generator);
      this.masks.set(path, m);
    }
    return mul(t, m);
  }
}

/**
 * Zoneout of one state tensor: in training each unit keeps its previous value with probability p
 * (a fresh draw every step), d ⊙ prev + (1 − d) ⊙ next; in eval the expectation p·prev + (1 − p)·next.
 */
export function zoneoutMix(prev: Tensor, next: Tensor, p: number, training: boolean, generator: RandomGenerator | undefined): Tensor {
  if (p === 0) return next;
  if (!training) return add(mul(prev, p), mul(next, 1 - p));
  const keep = bernoulli(next, p, 1, generator);
  const take = new Tensor(K.map(keep.data, (v) => 1 - v));
  return add(mul(prev, keep), mul(next, take));
}

/** The options of the built-in cells that add noise to the recurrence (RNNCell, LSTMCell, GRUCell). */
export interface StateNoiseOptions {
  /**
   * Variational recurrent dropout (Keras's `recurrent_dropout`; Gal & Ghahramani 2016): the
   * probability of dropping each unit of h where the recurrent weights read it (W_hh·h), with ONE
   * mask per sequence (drawn when the sequence starts: see `RecurrentCell.beginSequence`), in
   * training mode only. Default 0.
   */
  recurrentDropout?: number;
  /**
   * Zoneout (Krueger et al. 2017): in training each unit of the new state keeps its previous value
   * with probability p (a fresh draw every step); in eval the expectation p·prev + (1 − p)·new.
   * A number for every state tensor, or per tensor: `{ h, c }` (LSTMCell), `{ h }`. The output is
   * the zoned-out h. Default 0.
   */
  zoneout?: ZoneoutRates;
}

/** How a built-in cell applies its `recurrentDropout` and `zoneout` (see `StateNoiseOptions`). */
export class CellNoise {
  readonly recurrentDropout: number;
  /** Zoneout probability per state key (keys with 0 are absent). */
  readonly zoneout: ReadonlyMap<string, number>;
  private readonly masks: SequenceMasks | null;

  constructor(private readonly who: string, opts: StateNoiseOptions, keys: readonly string[], private readonly generator: RandomGenerator | undefined) {
    this.recurrentDropout = checkRate(who, 'recurrentDropout', opts.recurrentDropout);
    this.zoneout = new Map([...checkZoneout(who, opts.zoneout, keys)].filter(([, p]) => p > 0));
    this.masks = this.recurrentDropout > 0 ? new SequenceMasks(`${who}.step`, this.recurrentDropout, generator) : null;
  }

  /** Whether a step differs from the plain cell's (then the whole-sequence kernels do not apply). */
  changesStep(training: boolean): boolean {
    return (training && this.masks !== null) || this.zoneout.size > 0;
  }

  /** Whether a step draws random numbers (training with either): a compiled sequence cannot, so the cell steps. */
  draws(training: boolean): boolean {
    return training && (this.masks !== null || this.zoneout.size > 0);
  }

  /** A new sequence starts: new dropout masks. */
  begin(): void {
    this.masks?.reset();
  }

  /** h as the recurrent weights read it: dropped with the sequence's mask in training. */
  fed(h: Tensor, training: boolean): Tensor {
    return training && this.masks ? this.masks.apply(h, 'state.h') : h;
  }

  /** The new state after zoneout (the same record when there is none). */
  zone<S extends object>(prev: S, next: S, training: boolean): S {
    if (this.zoneout.size === 0) return next;
    const out = { ...next } as Record<string, unknown>;
    for (const [key, p] of this.zoneout) {
      out[key] = zoneoutMix((prev as Record<string, Tensor>)[key]!, (next as Record<string, Tensor>)[key]!, p, training, this.generator);
    }
    return out as S;
  }
}
