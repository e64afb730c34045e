// GRUCell: the gated recurrent unit in PyTorch's r|z|n layout, with the reset gate applied after
// the recurrent product (PyTorch/cuDNN, the default) or before it (Cho et al. 2014).
import * as K from '@unroll/core';
import { Module, Parameter, matmul, narrow, split } from '@unroll/autograd';
import type { DType, Tensor } from '@unroll/autograd';
import type { HiddenState, InitialStateOptions, RecurrentCell } from '../cell.js';
import { gruSequence } from '../fused/gru-sequence.js';
import { gruStep } from '../fused/gru-step.js';
import { CellNoise } from '../state-noise.js';
import type { StateNoiseOptions } from '../state-noise.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import {
  checkFloatDType, checkInput, checkKnownOptions, checkSize, checkStateTensor, initRecurrent, uniformParameter, zerosState,
} from './common.js';
import type { RecurrentCellOptions } from './common.js';

export interface GRUCellOptions extends RecurrentCellOptions, StateNoiseOptions {
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

const OPTIONS = ['inputSize', 'hiddenSize', 'bias', 'dtype', 'generator', 'recurrentInit', 'resetAfter', 'fused', 'recurrentDropout', 'zoneout'] as const;

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
export class GRUCell extends Module implements RecurrentCell<HiddenState>, FusedUnroll<HiddenState> {
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
  /** Use the fused ops (see `GRUCellOptions.fused`). */
  fused: boolean;
  /** Its recurrentDropout and zoneout (see `StateNoiseOptions`). */
  readonly noise: CellNoise;

  constructor(opts: GRUCellOptions) {
    super();
    checkKnownOptions('GRUCell', opts, OPTIONS);
    this.inputSize = checkSize('GRUCell', 'inputSize', opts.inputSize);
    const H = (this.hiddenSize = checkSize('GRUCell', 'hiddenSize', opts.hiddenSize));
    this.outputSize = H;
    this.resetAfter = opts.resetAfter ?? true;
    if (opts.fused !== undefined && typeof opts.fused !== 'boolean') throw new TypeError(`GRUCell: fused must be a boolean; got ${String(opts.fused)}`);
    this.fused = opts.fused ?? true;
    const dtype = checkFloatDType('GRUCell', opts.dtype);
    const k = 1 / Math.sqrt(H), gen = opts.generator;
    this.weightIh = this.registerParameter('weight_ih', uniformParameter([3 * H, this.inputSize], k, dtype, gen));
    this.weightHh = this.registerParameter('weight_hh', uniformParameter([3 * H, H], k, dtype, gen));
    const bias = opts.bias ?? true;
    this.biasIh = this.registerParameter('bias_ih', bias ? uniformParameter([3 * H], k, dtype, gen) : null);
    this.biasHh = this.registerParameter('bias_hh', bias ? uniformParameter([3 * H], k, dtype, gen) : null);
    initRecurrent('GRUCell', opts.recurrentInit, this.weightHh, 3, H, gen);
    this.noise = new CellNoise('GRUCell', opts, ['h'], gen);
  }

  /** A new sequence starts (the runner calls this): recurrentDropout draws new masks. */
  beginSequence(_batch: number): void {
    this.noise.begin();
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
    // With recurrentDropout, the recurrent weights read a dropped h (Keras); the interpolation keeps h.
    const hIn = this.noise.fed(hPrev, this.training);
    let gi = matmul(x, this.weightIh, { transB: true });
    if (this.biasIh) gi = gi.add(this.biasIh);
    if (this.fused && this.resetAfter) {
      let gh = matmul(hIn, this.weightHh, { transB: true });
      if (this.biasHh) gh = gh.add(this.biasHh);
      const next = this.noise.zone(state, { h: gruStep(gi, gh, hPrev) }, this.training);
      return { state: next, output: next.h };
    }
    // The composed definition (the fused op computes the same).
    const [xr, xz, xn] = split(gi, H, 1) as [Tensor, Tensor, Tensor];
    let r: Tensor, z: Tensor, n: Tensor;
    if (this.resetAfter) {
      let gh = matmul(hIn, this.weightHh, { transB: true });
      if (this.biasHh) gh = gh.add(this.biasHh);
      const [hr, hz, hn] = split(gh, H, 1) as [Tensor, Tensor, Tensor];
      r = xr.add(hr).sigmoid();
      z = xz.add(hz).sigmoid();
      n = xn.add(r.mul(hn)).tanh();
    } else {
      // r must exist before the n block's product, so the recurrent matmul is done in two parts.
      let ghRz = matmul(hIn, narrow(this.weightHh, 0, 0, 2 * H), { transB: true });
      if (this.biasHh) ghRz = ghRz.add(narrow(this.biasHh, 0, 0, 2 * H));
      const [hr, hz] = split(ghRz, H, 1) as [Tensor, Tensor];
      r = xr.add(hr).sigmoid();
      z = xz.add(hz).sigmoid();
      let hn = matmul(r.mul(hIn), narrow(this.weightHh, 0, 2 * H, H), { transB: true });
      if (this.biasHh) hn = hn.add(narrow(this.biasHh, 0, 2 * H, H));
      n = xn.add(hn).tanh();
    }
    // h' = (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n): one op fewer, the same value.
    const next = this.noise.zone(state, { h: n.add(z.mul(hPrev.sub(n))) }, this.training);
    return { state: next, output: next.h };
  }

  /**
   * The whole sequence as one `gruSequence` op when `fused` (either form); null otherwise, or when a
   * subclass overrides `step` (the runner then steps the cell). Called by `unroll`; see `FusedUnroll`.
   */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<HiddenState>): UnrollResult<HiddenState> | null {
    // A subclass that redefines step must be stepped: the fused op would silently skip its change.
    if (!this.fused || this.step !== GRUCell.prototype.step || this.noise.changesStep(this.training)) return null;
    const who = 'GRUCell.step';
    if (xs.dtype !== this.dtype) {
      throw new K.DTypeError(`${who}: x is ${xs.dtype} but the parameters are ${this.dtype}; convert one (x.to('${this.dtype}') or cell.to('${xs.dtype}'))`);
    }
    const batch = xs.shape[args.batchFirst ? 0 : 1]!;
    const h = checkStateTensor(who, args.initialState, 'h', batch, this.hiddenSize, this.dtype);
    const r = gruSequence(xs, { h }, this, {
      batchFirst: args.batchFirst, reverse: args.reverse, lengths: args.lengths, resetAfter: this.resetAfter,
    });
    return { outputs: r.outputs, state: r.state };
  }
}
