// GRUCell: the gated recurrent unit in PyTorch's r|z|n layout, with the reset gate applied after
// the recurrent product (PyTorch/cuDNN, the default) or before it (Cho et al. 2014).
import { Module, Parameter, matmul, narrow, split } from '@unroll/autograd';
import type { DType, Generator, Tensor } from '@unroll/autograd';
import type { HiddenState, InitialStateOptions, RecurrentCell } from '../cell.js';
import {
  checkFloatDType, checkInput, checkKnownOptions, checkSize, checkStateTensor, initRecurrent, uniformParameter, zerosState,
} from './common.js';
import type { FloatDType, RecurrentInit } from './common.js';

export interface GRUCellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Keep the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Random source for the initial weights (the default generator if omitted). */
  generator?: Generator;
  /** 'uniform' (default, PyTorch's U(−1/√H, 1/√H)) or 'orthogonal' for each gate block of weight_hh. */
  recurrentInit?: RecurrentInit;
  /**
   * true (default, PyTorch/cuDNN, Keras reset_after=True): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
   * false (Cho et al. 2014, Keras reset_after=False): n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
   */
  resetAfter?: boolean;
}

const OPTIONS = ['inputSize', 'hiddenSize', 'bias', 'dtype', 'generator', 'recurrentInit', 'resetAfter'] as const;

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
 */
export class GRUCell extends Module implements RecurrentCell<HiddenState> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly resetAfter: boolean;
  /** W_ih [3H, I] (`weight_ih`), gate blocks r|z|n. */
  readonly weightIh: Parameter;
  /** W_hh [3H, H] (`weight_hh`). */
  readonly weightHh: Parameter;
  /** b_ih [3H] (`bias_ih`), or null without bias. */
  readonly biasIh: Parameter | null;
  /** b_hh [3H] (`bias_hh`), or null without bias. */
  readonly biasHh: Parameter | null;

  constructor(opts: GRUCellOptions) {
    super();
    checkKnownOptions('GRUCell', opts, OPTIONS);
    this.inputSize = checkSize('GRUCell', 'inputSize', opts.inputSize);
    const H = (this.hiddenSize = checkSize('GRUCell', 'hiddenSize', opts.hiddenSize));
    this.outputSize = H;
    this.resetAfter = opts.resetAfter ?? true;
    const dtype = checkFloatDType('GRUCell', opts.dtype);
    const k = 1 / Math.sqrt(H), gen = opts.generator;
    this.weightIh = this.registerParameter('weight_ih', uniformParameter([3 * H, this.inputSize], k, dtype, gen));
    this.weightHh = this.registerParameter('weight_hh', uniformParameter([3 * H, H], k, dtype, gen));
    const bias = opts.bias ?? true;
    this.biasIh = this.registerParameter('bias_ih', bias ? uniformParameter([3 * H], k, dtype, gen) : null);
    this.biasHh = this.registerParameter('bias_hh', bias ? uniformParameter([3 * H], k, dtype, gen) : null);
    initRecurrent('GRUCell', opts.recurrentInit, this.weightHh, 3, H, gen);
  }

  /** The parameters' dtype (follows `to(dtype)`). */
  get dtype(): DType {
    return this.weightIh.dtype;
  }

  /** `{ h: zeros [batch, H] }`. */
  initialState(batch: number, opts: InitialStateOptions = {}): HiddenState {
    return { h: zerosState('GRUCell.initialState', batch, this.hiddenSize, opts.dtype ?? this.dtype) };
  }

  /** One step: x [batch, I], state.h [batch, H] → `{ state: { h' }, output: h' }`. */
  step(state: HiddenState, x: Tensor): { state: HiddenState; output: Tensor } {
    const batch = checkInput('GRUCell.step', x, this.inputSize, this.dtype);
    const hPrev = checkStateTensor('GRUCell.step', state, 'h', batch, this.hiddenSize, this.dtype);
    const H = this.hiddenSize;
    let gi = matmul(x, this.weightIh, { transB: true });
    if (this.biasIh) gi = gi.add(this.biasIh);
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
}
