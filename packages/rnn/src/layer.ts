// Sequence layers: things that map a whole sequence to a sequence (a cell under the runner, a
// bidirectional pair, a stack of layers). Deep bidirectional networks are built from these.
import { Module, checkOptions, optionKeys } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { InitialStateOptions, RecurrentCell } from './cell.js';
import { checkCell, unroll } from './unroll.js';
import { adoptPart } from './adopt.js';
import type { Lengths, UnrollResult } from './unroll.js';

/** Options of `SequenceLayer.run`. */
export interface RunOptions<S> {
  /** xs (and outputs) are [batch, time, features]. Default false: [time, batch, features]. */
  batchFirst?: boolean;
  /** The state before the first step (default: the layer's `initialState`). */
  initialState?: S;
  /** Per-sequence lengths in [1, time]; see `UnrollOptions.lengths`. */
  lengths?: Lengths;
}

/** Every option of `run` (CellLayer, Bidirectional, StackedLayers); any other key is refused. */
export const RUN_OPTIONS = optionKeys<RunOptions<unknown>>({ batchFirst: true, initialState: true, lengths: true });

/**
 * A layer over whole sequences: xs [time, batch, inputSize] → outputs [time, batch, outputSize]
 * (or batch-first) and a final state. `O` is the outputs' type: a Tensor, except for
 * `bidirectional(..., { merge: 'none' })`, which returns `{ forward, backward }`.
 */
export interface SequenceLayer<S, O = Tensor> {
  readonly inputSize: number;
  readonly outputSize: number;
  initialState(batch: number, opts?: InitialStateOptions): S;
  run(xs: Tensor, opts?: RunOptions<S>): { outputs: O; state: S };
}

export interface CellLayerOptions {
  /** Run each sequence from its last real step backwards (outputs stay in time order). Default false. */
  reverse?: boolean;
}

/**
 * A cell under the runner as a sequence layer: `run(xs, opts)` is `unroll(cell, xs, { ...opts, reverse })`.
 * A cell that is a Module is registered as the child 'cell'.
 */
export class CellLayer<S> extends Module implements SequenceLayer<S> {
  readonly cell: RecurrentCell<S>;
  readonly reverse: boolean;

  constructor(cell: RecurrentCell<S>, opts: CellLayerOptions = {}) {
    super();
    checkCell('CellLayer', cell);
    this.cell = cell;
    this.reverse = opts.reverse ?? false;
    adoptPart(this, 'cell', cell, 'CellLayer', 'the cell');
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
  run(xs: Tensor, opts: RunOptions<S> = {}): UnrollResult<S> {
    checkOptions('CellLayer.run', opts, RUN_OPTIONS);
    return unroll(this.cell, xs, { ...opts, reverse: this.reverse });
  }
}

/** Wraps a cell as a sequence layer (see `CellLayer`); with `reverse` it reads sequences backwards. */
export function cellLayer<S>(cell: RecurrentCell<S>, opts: CellLayerOptions = {}): CellLayer<S> {
  return new CellLayer(cell, opts);
}

/** True for an object with `run` (a sequence layer) rather than `step` alone (a cell). */
export function isSequenceLayer(x: unknown): x is SequenceLayer<unknown, unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { run?: unknown }).run === 'function';
}
