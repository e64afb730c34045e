// Bidirectional: two runs of the runner over any cells, one reading each sequence backwards,
// with their outputs merged time step by time step.
import * as K from '@unroll/core';
import { Module, add, checkOptions, concat, mul } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { InitialStateOptions, RecurrentCell } from './cell.js';
import { RUN_OPTIONS } from './layer.js';
import type { RunOptions, SequenceLayer } from './layer.js';
import { checkCell, unroll } from './unroll.js';
import { adoptPart } from './adopt.js';

/** How the two directions' outputs combine: 'concat' (default) on features, elementwise 'sum' | 'mul' | 'ave', or 'none'. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | 'none';

export interface BidirectionalOptions<M extends MergeMode = MergeMode> {
  /** Default 'concat': outputs [.., fwd.outputSize + bwd.outputSize]. */
  merge?: M;
}

/** The state of a bidirectional layer: each direction's final state. */
export interface BidirectionalState<SF, SB> {
  readonly forward: SF;
  readonly backward: SB;
}

/** The outputs of a bidirectional layer with merge 'none': each direction's, both in input time order. */
export interface BidirectionalOutputs {
  readonly forward: Tensor;
  readonly backward: Tensor;
}

type MergedOutputs<M extends MergeMode> = M extends 'none' ? BidirectionalOutputs : Tensor;

/**
 * A bidirectional layer: `run(xs)` unrolls `forwardCell` over each sequence and `backwardCell`
 * over it from its last real step to its first (`unroll(…, { reverse: true })`), then merges the
 * two outputs at each time step t — both describe position t, so the backward output at t has
 * read x_t … x_{len−1}. State `{ forward, backward }`, each the direction's final state (for the
 * backward direction, after reading x_0). With lengths, padded outputs are zero in both directions.
 *
 * outputs: [time, batch, F] (or batch-first) with F = fwd + bwd outputSize for 'concat', the common
 * outputSize for 'sum' | 'mul' | 'ave', or `{ forward, backward }` for 'none'.
 */
export class Bidirectional<SF, SB, M extends MergeMode = 'concat'>
  extends Module implements SequenceLayer<BidirectionalState<SF, SB>, MergedOutputs<M>> {
  readonly forwardCell: RecurrentCell<SF>;
  readonly backwardCell: RecurrentCell<SB>;
  readonly merge: M;
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(forwardCell: RecurrentCell<SF>, backwardCell: RecurrentCell<SB>, opts: BidirectionalOptions<M> = {}) {
    super();
    checkCell('bidirectional', forwardCell, 'forward cell');
    checkCell('bidirectional', backwardCell, 'backward cell');
    this.merge = (opts.merge ?? 'concat') as M;
    if (!['concat', 'sum', 'mul', 'ave', 'none'].includes(this.merge)) {
      throw new TypeError(`bidirectional: merge must be 'concat', 'sum', 'mul', 'ave' or 'none'; got ${String(this.merge)}`);
    }
    if (forwardCell.inputSize !== backwardCell.inputSize) {
      throw new RangeError(`bidirectional: the cells must read one input size; got ${forwardCell.inputSize} (forward) and ${backwardCell.inputSize} (backward)`);
    }
    const elementwise = this.merge === 'sum' || this.merge === 'mul' || this.merge === 'ave';
    if (elementwise && forwardCell.outputSize !== backwardCell.outputSize) {
      throw new RangeError(`bidirectional: merge '${this.merge}' needs equal output sizes; got ${forwardCell.outputSize} (forward) and ${backwardCell.outputSize} (backward)`);
    }
    this.forwardCell = forwardCell;
    this.backwardCell = backwardCell;
    this.inputSize = forwardCell.inputSize;
    this.outputSize = this.merge === 'concat' ? forwardCell.outputSize + backwardCell.outputSize : forwardCell.outputSize;
    adoptPart(this, 'forward', forwardCell, 'bidirectional', 'the forward cell');
    if ((backwardCell as unknown) !== forwardCell) adoptPart(this, 'backward', backwardCell, 'bidirectional', 'the backward cell');
  }

  /** `{ forward, backward }`: each cell's initial state. */
  initialState(batch: number, opts?: InitialStateOptions): BidirectionalState<SF, SB> {
    return { forward: this.forwardCell.initialState(batch, opts), backward: this.backwardCell.initialState(batch, opts) };
  }

  /** Runs both directions over xs [time, batch, inputSize] (or batch-first) and merges their outputs. */
  run(xs: Tensor, opts: RunOptions<BidirectionalState<SF, SB>> = {}): { outputs: MergedOutputs<M>; state: BidirectionalState<SF, SB> } {
    checkOptions('Bidirectional.run', opts, RUN_OPTIONS);
    const init = opts.initialState;
    if (init !== undefined && (typeof init !== 'object' || init === null || !('forward' in init) || !('backward' in init))) {
      throw new TypeError('Bidirectional.run: initialState must be { forward, backward }');
    }
    const common = { batchFirst: opts.batchFirst, lengths: opts.lengths };
    const fwd = unroll(this.forwardCell, xs, { ...common, initialState: init?.forward });
    const bwd = unroll(this.backwardCell, xs, { ...common, initialState: init?.backward, reverse: true });
    const state = { forward: fwd.state, backward: bwd.state };
    return { outputs: mergeOutputs(this.merge, fwd.outputs, bwd.outputs) as MergedOutputs<M>, state };
  }
}

/** Combines the two directions' outputs (same layout, features last). */
function mergeOutputs(mode: MergeMode, f: Tensor, b: Tensor): Tensor | BidirectionalOutputs {
  switch (mode) {
    case 'concat': return concat([f, b], -1);
    case 'sum': return add(f, b);
    case 'mul': return mul(f, b);
    case 'ave': return mul(add(f, b), 0.5);
    case 'none': return { forward: f, backward: b };
  }
  throw new K.ShapeError(`bidirectional: unknown merge '${String(mode)}'`);
}

/**
 * A bidirectional layer over any two cells (see `Bidirectional`). With one cell, the SAME cell
 * (shared weights) reads both directions; pass two cells for separate weights, as PyTorch does.
 */
export function bidirectional<SF, SB = SF, M extends MergeMode = 'concat'>(
  forwardCell: RecurrentCell<SF>, backwardCell?: RecurrentCell<SB> | null, opts: BidirectionalOptions<M> = {},
): Bidirectional<SF, SB, M> {
  return new Bidirectional<SF, SB, M>(forwardCell, (backwardCell ?? forwardCell) as RecurrentCell<SB>, opts);
}
