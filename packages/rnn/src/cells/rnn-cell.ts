// RNNCell: the vanilla (Elman) recurrent cell with tanh or relu, in PyTorch's parameter layout.
import { matmul } from '@unroll/autograd';
import type { Parameter, Tensor } from '@unroll/autograd';
import type { HiddenState } from '../cell.js';
import { CellBase } from '../cell-base.js';
import { compiledUnrollBuiltin } from '../compile/builtin.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { builtinCell, initRecurrent } from './common.js';
import type { RecurrentCellOptions } from './common.js';

export interface RNNCellOptions extends RecurrentCellOptions {
  /** The activation: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /**
   * Run `unroll` compiled (default true): one op for the whole sequence generated from `step` by
   * `compileCell` (input projection in one gemm, one gemm and one fused kernel per step). false runs
   * the composed step loop (for debugging, or to compare). Also settable later: `cell.fused = false`.
   */
  fused?: boolean;
}

const OPTIONS = ['inputSize', 'hiddenSize', 'nonlinearity', 'bias', 'dtype', 'generator', 'recurrentInit', 'fused'] as const;

/**
 * The vanilla recurrent cell, as torch.nn.RNNCell:
 *
 *     h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh | relu
 *
 * Parameters (PyTorch names and layout): weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H],
 * all drawn from U(−1/√H, 1/√H). State `{ h }`, h: [batch, H]; the output is h'.
 *
 * Speed: `unroll` runs it compiled (see `compileCell` and `RNNCellOptions.fused`); `step` is the
 * composed definition the compiled sequence is checked against.
 */
export class RNNCell extends CellBase<HiddenState> implements FusedUnroll<HiddenState> {
  readonly hiddenSize: number;
  readonly nonlinearity: 'tanh' | 'relu';
  /** W_ih [H, I] (`weight_ih`). */
  readonly weightIh: Parameter;
  /** W_hh [H, H] (`weight_hh`). */
  readonly weightHh: Parameter;
  /** b_ih [H] (`bias_ih`), or null without bias. */
  readonly biasIh: Parameter | null;
  /** b_hh [H] (`bias_hh`), or null without bias. */
  readonly biasHh: Parameter | null;
  /** Run `unroll` compiled (see `RNNCellOptions.fused`). */
  fused: boolean;

  constructor(opts: RNNCellOptions) {
    super(builtinCell('RNNCell', opts, OPTIONS, (H) => ({ h: H })));
    const H = (this.hiddenSize = this.outputSize), inputSize = this.inputSize;
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new TypeError(`RNNCell: nonlinearity must be 'tanh' or 'relu'; got ${String(this.nonlinearity)}`);
    }
    if (opts.fused !== undefined && typeof opts.fused !== 'boolean') throw new TypeError(`RNNCell: fused must be a boolean; got ${String(opts.fused)}`);
    this.fused = opts.fused ?? true;
    // PyTorch's init: every weight and bias U(−1/√H, 1/√H), drawn in this order.
    this.weightIh = this.parameter('weight_ih', [H, inputSize]);
    this.weightHh = this.parameter('weight_hh', [H, H]);
    const bias = opts.bias ?? true;
    this.biasIh = this.parameterIf(bias, 'bias_ih', [H]);
    this.biasHh = this.parameterIf(bias, 'bias_hh', [H]);
    initRecurrent('RNNCell', opts.recurrentInit, this.weightHh, 1, H, opts.generator);
  }

  /** One step (after `step`'s checks): x [batch, I], state.h [batch, H] → `{ state: { h' }, output: h' }`. */
  protected forward(state: HiddenState, x: Tensor): { state: HiddenState; output: Tensor } {
    const hPrev = state.h;
    let pre = matmul(x, this.weightIh, { transB: true }).add(matmul(hPrev, this.weightHh, { transB: true }));
    // One [H] add of both biases, then one broadcast add over the batch.
    if (this.biasIh && this.biasHh) pre = pre.add(this.biasIh.add(this.biasHh));
    const h = this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
    return { state: { h }, output: h };
  }

  /**
   * The whole sequence as one compiled op (see `compileCell`) when `fused`; null otherwise, or when a
   * subclass overrides `step` or `forward` (the runner then steps the cell). Called by `unroll`; see `FusedUnroll`.
   */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<HiddenState>): UnrollResult<HiddenState> | null {
    if (!this.fused || this.step !== RNNCell.prototype.step || this.forward !== RNNCell.prototype.forward) return null;
    return compiledUnrollBuiltin(this, xs, args);
  }
}
