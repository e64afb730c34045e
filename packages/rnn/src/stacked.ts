// Stacking: cells into one deeper cell (stackCells), and whole sequence layers into a deeper
// layer (stackLayers, what deep bidirectional networks need). Dropout between levels.
import { Module, checkOptions, dropout } from '@unroll/autograd';
import type { RandomGenerator, Tensor } from '@unroll/autograd';
import type { InitialStateOptions, RecurrentCell, StateOf } from './cell.js';
import { CellLayer, RUN_OPTIONS, isSequenceLayer } from './layer.js';
import type { RunOptions, SequenceLayer } from './layer.js';
import { checkCell } from './unroll.js';
import { adoptPart } from './adopt.js';

export interface StackOptions {
  /** Dropout probability on the outputs of every level but the last, in training mode only. Default 0. */
  dropout?: number;
  /** Random source of the dropout masks (the default generator if omitted). */
  generator?: RandomGenerator;
}

/** The state of a stack: one state per level, bottom first. */
export interface StackedState<L extends readonly unknown[] = readonly unknown[]> {
  readonly layers: L;
}

/** The tuple of states of a tuple of cells. */
export type StatesOfCells<Cs extends readonly RecurrentCell<any>[]> = { readonly [K in keyof Cs]: StateOf<Cs[K]> };

function checkDropout(who: string, p: unknown): number {
  const v = p ?? 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${who}: dropout must be in [0, 1); got ${String(p)}`);
  return v;
}

/**
 * Cells stacked into one cell: cell k+1 reads the output of cell k at the same time step.
 * State `{ layers: [S0, S1, ...] }`; the output is the top cell's. Between cells, dropout with
 * probability `dropout` in training mode (a fresh mask every step). Any objects keeping the
 * RecurrentCell protocol stack; those that are Modules are registered as children '0', '1', ...
 */
export class StackedCells<L extends readonly unknown[]> extends Module implements RecurrentCell<StackedState<L>> {
  readonly cells: readonly RecurrentCell<unknown>[];
  readonly dropout: number;
  private readonly generator: RandomGenerator | undefined;

  constructor(cells: readonly RecurrentCell<any>[], opts: StackOptions = {}) {
    super();
    if (!Array.isArray(cells) || cells.length === 0) throw new TypeError('stackCells: needs a non-empty array of cells');
    cells.forEach((c, i) => checkCell('stackCells', c, `cells[${i}]`));
    for (let i = 1; i < cells.length; i++) {
      if (cells[i]!.inputSize !== cells[i - 1]!.outputSize) {
        throw new RangeError(`stackCells: cells[${i}].inputSize (${cells[i]!.inputSize}) must equal cells[${i - 1}].outputSize (${cells[i - 1]!.outputSize})`);
      }
    }
    this.cells = [...cells];
    this.dropout = checkDropout('stackCells', opts.dropout);
    this.generator = opts.generator;
    cells.forEach((c, i) => adoptPart(this, String(i), c, 'stackCells', `cells[${i}]`));
  }
  get inputSize(): number {
    return this.cells[0]!.inputSize;
  }
  get outputSize(): number {
    return this.cells[this.cells.length - 1]!.outputSize;
  }

  /** `{ layers: [each cell's initial state] }`. */
  initialState(batch: number, opts?: InitialStateOptions): StackedState<L> {
    return { layers: this.cells.map((c) => c.initialState(batch, opts)) as unknown as L };
  }

  /** A new sequence starts: tells every cell that has `beginSequence`. */
  beginSequence(batch: number, opts?: InitialStateOptions): void {
    for (const c of this.cells) c.beginSequence?.(batch, opts);
  }

  /** One step through every cell, bottom to top. x: [batch, inputSize] → output: [batch, top outputSize]. */
  step(state: StackedState<L>, x: Tensor): { state: StackedState<L>; output: Tensor } {
    const layers = (state as StackedState | undefined)?.layers;
    if (!Array.isArray(layers) || layers.length !== this.cells.length) {
      throw new TypeError(`StackedCells.step: state.layers must be an array of ${this.cells.length} cell states; got ${Array.isArray(layers) ? `${layers.length}` : typeof layers}`);
    }
    const next: unknown[] = [];
    let input = x;
    this.cells.forEach((cell, k) => {
      if (k > 0 && this.dropout > 0 && this.training) input = dropout(input, this.dropout, { training: true, generator: this.generator });
      const r = cell.step(layers[k], input);
      next.push(r.state);
      input = r.output;
    });
    return { state: { layers: next as unknown as L }, output: input };
  }
}

/**
 * Stacks cells into one RecurrentCell (see `StackedCells`); the runner, `bidirectional` and
 * the seq2seq code take it like any cell.
 */
export function stackCells<const Cs extends readonly RecurrentCell<any>[]>(cells: Cs, opts: StackOptions = {}): StackedCells<StatesOfCells<Cs>> {
  return new StackedCells<StatesOfCells<Cs>>(cells, opts);
}

/** A sequence layer, or a cell (run forward by the runner). */
export type LayerLike = SequenceLayer<any> | RecurrentCell<any>;
/** The state of a layer or a cell. */
export type LayerStateOf<X> = X extends SequenceLayer<infer S> ? S : X extends RecurrentCell<infer S> ? S : never;
/** The tuple of states of a tuple of layers. */
export type StatesOfLayers<Ls extends readonly LayerLike[]> = { readonly [K in keyof Ls]: LayerStateOf<Ls[K]> };

/**
 * Whole sequence layers stacked: layer k+1 reads the complete output sequence of layer k, so
 * bidirectional layers stack (layer k+1 of a concat-merged stack takes 2·hidden inputs).
 * Cells given here are run forward (wrapped in a `CellLayer`). State `{ layers: [S0, S1, ...] }`.
 * Dropout with probability `dropout` on the outputs of every layer but the last, in training mode.
 */
export class StackedLayers<L extends readonly unknown[]> extends Module implements SequenceLayer<StackedState<L>> {
  readonly layers: readonly SequenceLayer<unknown>[];
  readonly dropout: number;
  private readonly generator: RandomGenerator | undefined;

  constructor(layers: readonly LayerLike[], opts: StackOptions = {}) {
    super();
    if (!Array.isArray(layers) || layers.length === 0) throw new TypeError('stackLayers: needs a non-empty array of layers');
    this.layers = layers.map((l, i) => {
      if (isSequenceLayer(l)) return l as SequenceLayer<unknown>;
      checkCell('stackLayers', l, `layers[${i}]`);
      return new CellLayer(l as RecurrentCell<unknown>);
    });
    for (let i = 1; i < this.layers.length; i++) {
      if (this.layers[i]!.inputSize !== this.layers[i - 1]!.outputSize) {
        throw new RangeError(`stackLayers: layers[${i}].inputSize (${this.layers[i]!.inputSize}) must equal layers[${i - 1}].outputSize (${this.layers[i - 1]!.outputSize})`);
      }
    }
    this.dropout = checkDropout('stackLayers', opts.dropout);
    this.generator = opts.generator;
    this.layers.forEach((l, i) => adoptPart(this, String(i), l, 'stackLayers', `layers[${i}]`));
  }
  get inputSize(): number {
    return this.layers[0]!.inputSize;
  }
  get outputSize(): number {
    return this.layers[this.layers.length - 1]!.outputSize;
  }

  /** `{ layers: [each layer's initial state] }`. */
  initialState(batch: number, opts?: InitialStateOptions): StackedState<L> {
    return { layers: this.layers.map((l) => l.initialState(batch, opts)) as unknown as L };
  }

  /** Runs every layer over the whole sequence, bottom to top. */
  run(xs: Tensor, opts: RunOptions<StackedState<L>> = {}): { outputs: Tensor; state: StackedState<L> } {
    checkOptions('StackedLayers.run', opts, RUN_OPTIONS);
    const given = opts.initialState?.layers as readonly unknown[] | undefined;
    if (opts.initialState !== undefined && (!Array.isArray(given) || given.length !== this.layers.length)) {
      throw new TypeError(`StackedLayers.run: initialState.layers must be an array of ${this.layers.length} layer states`);
    }
    const states: unknown[] = [];
    let h = xs;
    this.layers.forEach((layer, k) => {
      if (k > 0 && this.dropout > 0 && this.training) h = dropout(h, this.dropout, { training: true, generator: this.generator });
      const r = layer.run(h, { batchFirst: opts.batchFirst, lengths: opts.lengths, mask: opts.mask, initialState: given?.[k] });
      states.push(r.state);
      h = r.outputs;
    });
    return { outputs: h, state: { layers: states as unknown as L } };
  }
}

/** Stacks sequence layers (or cells) into one sequence layer; see `StackedLayers`. */
export function stackLayers<const Ls extends readonly LayerLike[]>(layers: Ls, opts: StackOptions = {}): StackedLayers<StatesOfLayers<Ls>> {
  return new StackedLayers<StatesOfLayers<Ls>>(layers, opts);
}
