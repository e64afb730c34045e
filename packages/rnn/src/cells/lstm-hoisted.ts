// The whole-sequence path of the LSTM variants the fused sequence kernel lacks (projection, layer
// norm): the input's part of every step's gates in one gemm, then the runner over the recurrence.
import { reshape } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { LSTMState, RecurrentCell } from '../cell.js';
import { unroll } from '../unroll.js';
import type { FusedUnrollArgs, UnrollResult } from '../unroll.js';
import type { LSTMCell } from './lstm-cell.js';

/**
 * `unroll(cell, xs)` for a projection or layer-norm LSTMCell: W_ih x (and its layer norm, row-wise)
 * for all T·B rows at once — one gemm [T·B, I]·[I, 4H] instead of T small ones — then the runner
 * steps the recurrence (`cell.advance`: W_hh h, the gates — the fused `lstmStep` op for a projection
 * — and W_hr) with the same lengths, reverse and layout. Equal to stepping the cell (to rounding).
 */
export function hoistedUnroll(cell: LSTMCell, xs: Tensor, args: FusedUnrollArgs<LSTMState>): UnrollResult<LSTMState> {
  const [d0, d1, inputSize] = xs.shape as [number, number, number];
  const gates = reshape(cell.inputGates(reshape(xs, [d0 * d1, inputSize])), [d0, d1, 4 * cell.hiddenSize]);
  const recurrence: RecurrentCell<LSTMState> = {
    inputSize: 4 * cell.hiddenSize,
    outputSize: cell.outputSize,
    initialState: (batch, opts) => cell.initialState(batch, opts),
    step: (state, fromX) => cell.advance(state, fromX),
  };
  return unroll(recurrence, gates, {
    batchFirst: args.batchFirst, reverse: args.reverse, lengths: args.lengths ?? undefined, initialState: args.initialState,
  });
}
