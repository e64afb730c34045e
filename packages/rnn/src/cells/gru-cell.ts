// GRUCell: the gated recurrent unit in PyTorch's r|z|n layout, with the reset gate applied after
// the recurrent product (PyTorch/cuDNN, the default) or before it (Cho et al. 2014).
import { matmul, narrow, split } from '@unroll/autograd';
import type { Parameter, Tensor } from '@unroll/autograd';
import type { HiddenState } from '../cell.js';
import { CellBase } from '../cell-base.js';
import { gruSequence } from '../fused/gru-sequence.js';
import { gruStep } from '../fused/gru-step.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { builtinCell, initRecurrent } from './common.js';
import type { RecurrentCellOptions } from './common.js';

export interface GRUCellOptions extends RecurrentCellOptions {
  /**
   * true (default, PyTorch/cuDNN, Keras reset_after=True): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
   * false (Cho et al. 2014, Keras reset_after=False): n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
   */
  resetAfter?: boolean;
  /**
   * Run as fused ops: `unroll` as one `gruSequence` op for the whole sequence (both forms), `step`
   * (reset-after form) as one `gruStep` op after the two matmuls. Default true; false keeps the composed
   * ops (for debugging, or to compare). Also settable later: `cell.fused = false`.
   */
  fused?: boolean;
}

const OPTIONS = ['inputSize', 'hiddenSize', 'bias', 'dtype', 'generator', 'recurrentInit', 'resetAfter', 'fused'] as const;

/**
 * The gated recurrent unit, as torch.nn.GRUCell by default:
 *
 *     r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))         (resetAfter: true)
 *     n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)         (resetAfter: false, Cho et al. 2014)
 *     h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Parameters (PyTorch names and layout, gate order r|z|n): weight_ih [3H, I], weight_hh [3H, H],
 * bias_ih [3H], bias_hh [3H]; both biases are kept because b_hn sits inside r ⊙ (…).
 * State `{ h }`, h: [batch, H]; the output is h'.
 *
 * Speed: by default `unroll` runs one `gruSequence` op for the whole sequence (both forms) and the
 * reset-after `step` ends in one `gruStep` op; the composed code in `step` is the definition they
 * are checked against, and `fused: false` runs it.
 */
export class GRUCell extends CellBase<HiddenState> implements FusedUnroll<HiddenState> {
  readonly hiddenSize: number;
  readonly resetAfter: boolean;
  /** W_ih [3H, I] (`weight_ih`), gate blocks r|z|n. */
  readonly weightIh: Parameter;
  /** W_hh [3H, H] (`weight_hh`). */
  readonly weightHh: Parameter;
  /** b_ih [3H] (`bias_ih`), or null without bias. */
  readonly biasIh: Parameter | null;
  /** b_hh [3H] (`bias_hh`), or null without bias. */
  readonly biasHh: Parameter | null;
  /** Use the fused ops (see `GRUCellOptions.fused`). */
  fused: boolean;

  constructor(opts: GRUCellOptions) {
    super(builtinCell('GRUCell', opts, OPTIONS, (H) => ({ h: H })));
    const H = (this.hiddenSize = this.outputSize), inputSize = this.inputSize;
    this.resetAfter = opts.resetAfter ?? true;
    if (opts.fused !== undefined && typeof opts.fused !== 'boolean') throw new TypeError(`GRUCell: fused must be a boolean; got ${String(opts.fused)}`);
    this.fused = opts.fused ?? true;
    // PyTorch's init: every weight and bias U(−1/√H, 1/√H), drawn in this order.
    this.weightIh = this.parameter('weight_ih', [3 * H, inputSize]);
    this.weightHh = this.parameter('weight_hh', [3 * H, H]);
    const bias = opts.bias ?? true;
    this.biasIh = this.parameterIf(bias, 'bias_ih', [3 * H]);
    this.biasHh = this.parameterIf(bias, 'bias_hh', [3 * H]);
    initRecurrent('GRUCell', opts.recurrentInit, this.weightHh, 3, H, opts.generator);
  }

  /** One step (after `step`'s checks): x [batch, I], state.h [batch, H] → `{ state: { h' }, output: h' }`. */
  protected forward(state: HiddenState, x: Tensor): { state: HiddenState; output: Tensor } {
    const hPrev = state.h;
    const H = this.hiddenSize;
    let gi = matmul(x, this.weightIh, { transB: true });
    if (this.biasIh) gi = gi.add(this.biasIh);
    if (this.fused && this.resetAfter) {
      let gh = matmul(hPrev, this.weightHh, { transB: true });
      if (this.biasHh) gh = gh.add(this.biasHh);
      const h = gruStep(gi, gh, hPrev);
      return { state: { h }, output: h };
    }
    // The composed definition (the fused op computes the same).
    const [xr, xz, xn] = split(gi, H, 1) as [Tensor, Tensor, Tensor];
    let r: Tensor, z: Tensor, n: Tensor;
    if (this.resetAfter) {
      let gh = matmul(hPrev, this.weightHh, { transB: true });
      if (this.biasHh) gh = gh.add(this.biasHh);
      const [hr, hz, hn] = split(gh, H, 1) as [Tensor, Tensor, Tensor];
      r = xr.add(hr).sigmoid();
      z = xz.add(hz).sigmoid();
      n = xn.add(r.mul(hn)).tanh();
    } else {
      // r must exist before the n block's product, so the recurrent matmul is done in two parts.
      let ghRz = matmul(hPrev, narrow(this.weightHh, 0, 0, 2 * H), { transB: true });
      if (this.biasHh) ghRz = ghRz.add(narrow(this.biasHh, 0, 0, 2 * H));
      const [hr, hz] = split(ghRz, H, 1) as [Tensor, Tensor];
      r = xr.add(hr).sigmoid();
      z = xz.add(hz).sigmoid();
      let hn = matmul(r.mul(hPrev), narrow(this.weightHh, 0, 2 * H, H), { transB: true });
      if (this.biasHh) hn = hn.add(narrow(this.biasHh, 0, 2 * H, H));
      n = xn.add(hn).tanh();
    }
    // h' = (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n): one op fewer, the same value.
    const h = n.add(z.mul(hPrev.sub(n)));
    return { state: { h }, output: h };
  }

  /**
   * The whole sequence as one `gruSequence` op when `fused` (either form); null otherwise, or when a
   * subclass overrides `step` (the runner then steps the cell). Called by `unroll`; see `FusedUnroll`.
   */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<HiddenState>): UnrollResult<HiddenState> | null {
    // A subclass that redefines step or forward must be stepped: the fused op would silently skip its change.
    if (!this.fused || this.step !== GRUCell.prototype.step || this.forward !== GRUCell.prototype.forward) return null;
    // The checks (and messages) step would make.
    this.checkDType(xs);
    const { h } = this.checkState(args.initialState, xs.shape[args.batchFirst ? 0 : 1]!);
    const r = gruSequence(xs, { h }, this, {
      batchFirst: args.batchFirst, reverse: args.reverse, lengths: args.lengths, resetAfter: this.resetAfter,
    });
    return { outputs: r.outputs, state: r.state };
  }
}
