// Recurrent dropout and zoneout for ANY cell (a user's too): wrappers that keep the cell protocol,
// so the wrapped cell unrolls, stacks, goes bidirectional and serves in seq2seq like the original.
import { Module } from '@unroll/autograd';
import type { RandomGenerator, Tensor } from '@unroll/autograd';
import { adoptPart } from './adopt.js';
import { mapState, stateTensors, zipState } from './cell.js';
import type { InitialStateOptions, RecurrentCell } from './cell.js';
import { SequenceMasks, checkRate, checkZoneout, zoneoutMix } from './state-noise.js';
import type { ZoneoutRates } from './state-noise.js';
import { checkCell } from './unroll.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from './unroll.js';

/** The last key of a state path (`state.layers[1].h` → `h`), or '' for an array element. */
const keyOf = (path: string) => /\.([^.[\]]+)$/.exec(path)?.[1] ?? '';

/** What both wrappers share: the wrapped cell (its parameters adopted) and the protocol passed through. */
abstract class WrappedCell<S> extends Module implements RecurrentCell<S> {
  readonly cell: RecurrentCell<S>;

  constructor(who: string, cell: RecurrentCell<S>) {
    super();
    checkCell(who, cell);
    this.cell = cell;
    // A Module is the child 'cell'; a plain cell's trainable tensors are adopted as containers do.
    adoptPart(this, 'cell', cell, who, 'the cell');
  }
  get inputSize(): number {
    return this.cell.inputSize;
  }
  get outputSize(): number {
    return this.cell.outputSize;
  }
  initialState(batch: number, opts?: InitialStateOptions): S {
    return this.cell.initialState(batch, opts);
  }
  beginSequence(batch: number, opts?: InitialStateOptions): void {
    this.cell.beginSequence?.(batch, opts);
  }
  abstract step(state: S, x: Tensor): { state: S; output: Tensor };
}

export interface RecurrentDropoutOptions {
  /** The state keys to drop, at any depth (default ['h']: the hidden state, not an LSTM's c). */
  keys?: readonly string[];
  /** Random source of the masks (the default generator if omitted). */
  generator?: RandomGenerator;
}

/**
 * Variational recurrent dropout on any cell (Gal & Ghahramani 2016): in training, the state tensors
 * named by `keys` are multiplied by a dropout mask (inverted: survivors scaled by 1/(1 − p)) before
 * the cell's step reads them — ONE mask per tensor per sequence, drawn at the first step after
 * `beginSequence` (which the runner calls). In eval mode the cell runs unchanged (and keeps its
 * fused whole-sequence path). For a cell whose h feeds only its recurrent weights (RNN, LSTM) this
 * is exactly Keras's recurrent_dropout; the built-in cells' `recurrentDropout` option is that for
 * GRUCell too (there h also enters the interpolation z ⊙ h, which the option leaves undropped).
 */
export class RecurrentDropoutCell<S> extends WrappedCell<S> implements FusedUnroll<S> {
  readonly p: number;
  readonly keys: readonly string[];
  private readonly masks: SequenceMasks;

  constructor(cell: RecurrentCell<S>, p: number, opts: RecurrentDropoutOptions = {}) {
    super('withRecurrentDropout', cell);
    for (const k of Object.keys(opts)) {
      if (k !== 'keys' && k !== 'generator') throw new TypeError(`withRecurrentDropout: unknown option '${k}' (known: keys, generator)`);
    }
    this.p = checkRate('withRecurrentDropout', 'p', p);
    const keys = opts.keys ?? ['h'];
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
      throw new TypeError(`withRecurrentDropout: keys must be a non-empty array of state keys; got ${String(opts.keys)}`);
    }
    this.keys = [...keys];
    this.masks = new SequenceMasks('RecurrentDropoutCell.step', this.p, opts.generator);
  }

  override beginSequence(batch: number, opts?: InitialStateOptions): void {
    super.beginSequence(batch, opts);
    this.masks.reset();
  }

  /** The cell's step on the state with its `keys` tensors dropped (training mode). */
  step(state: S, x: Tensor): { state: S; output: Tensor } {
    if (!this.training || this.p === 0) return this.cell.step(state, x);
    let hits = 0;
    const fed = mapState(state, (t, path) => {
      if (!this.keys.includes(keyOf(path))) return t;
      hits++;
      return this.masks.apply(t, path);
    });
    if (hits === 0) {
      const have = stateTensors(state).map(([p]) => p).join(', ');
      throw new TypeError(`RecurrentDropoutCell.step: the state has no tensor named ${this.keys.join(' or ')} (its tensors: ${have}); say which with withRecurrentDropout(cell, p, { keys })`);
    }
    return this.cell.step(fed, x);
  }

  /** In eval mode, the cell's own whole-sequence path (dropout is the identity there). */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<S>): UnrollResult<S> | null {
    if (this.training && this.p > 0) return null;
    const f = (this.cell as Partial<FusedUnroll<S>>).fusedUnroll;
    return typeof f === 'function' ? f.call(this.cell, xs, args) : null;
  }
}

/** Any cell with variational recurrent dropout on its state (see `RecurrentDropoutCell`). */
export function withRecurrentDropout<S>(cell: RecurrentCell<S>, p: number, opts: RecurrentDropoutOptions = {}): RecurrentDropoutCell<S> {
  return new RecurrentDropoutCell(cell, p, opts);
}

export interface ZoneoutOptions {
  /** Random source of the per-step draws (the default generator if omitted). */
  generator?: RandomGenerator;
}

/**
 * Zoneout on any cell (Krueger et al. 2017): after each step, every unit of the chosen state tensors
 * keeps its previous value with probability p — in training a fresh draw per unit and step,
 * s = d ⊙ s_prev + (1 − d) ⊙ s_new; in eval the expectation p·s_prev + (1 − p)·s_new. Rates: one
 * number for every state tensor, or `{ h, c }` per state key (at any depth; absent keys 0). When the
 * cell's output IS one of its state tensors (h for the built-in cells), the output is that tensor
 * zoned out, so the next layer reads what the recurrence carries.
 */
export class ZoneoutCell<S> extends WrappedCell<S> {
  /** Probability per state key ('*': every tensor). */
  readonly rates: ReadonlyMap<string, number>;
  private readonly generator: RandomGenerator | undefined;

  constructor(cell: RecurrentCell<S>, rates: ZoneoutRates, opts: ZoneoutOptions = {}) {
    super('withZoneout', cell);
    for (const k of Object.keys(opts)) if (k !== 'generator') throw new TypeError(`withZoneout: unknown option '${k}' (known: generator)`);
    this.rates = checkZoneout('withZoneout', rates, null);
    if (this.rates.size === 0) throw new TypeError('withZoneout: rates must name at least one state key ({ h, c }) or be a number');
    this.generator = opts.generator;
  }

  private rateOf(path: string): number {
    return this.rates.get('*') ?? this.rates.get(keyOf(path)) ?? 0;
  }

  /** The cell's step, its new state zoned out against the previous one. */
  step(state: S, x: Tensor): { state: S; output: Tensor } {
    const r = this.cell.step(state, x);
    const seen = new Set<string>();
    let output = r.output;
    const next = zipState(state, r.state, (prev, now, path) => {
      seen.add(keyOf(path));
      const p = this.rateOf(path);
      const z = zoneoutMix(prev, now, p, this.training, this.generator);
      if (now === r.output) output = z;
      return z;
    });
    for (const k of this.rates.keys()) {
      if (k !== '*' && !seen.has(k)) {
        throw new TypeError(`ZoneoutCell.step: zoneout.${k}: the state has no tensor named '${k}' (its tensors: ${stateTensors(state).map(([p]) => p).join(', ')})`);
      }
    }
    return { state: next, output };
  }
}

/** Any cell with zoneout on its state (see `ZoneoutCell`): `withZoneout(lstm, { h: 0.05, c: 0.5 })`. */
export function withZoneout<S>(cell: RecurrentCell<S>, rates: ZoneoutRates, opts: ZoneoutOptions = {}): ZoneoutCell<S> {
  return new ZoneoutCell(cell, rates, opts);
}
