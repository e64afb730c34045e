// RNNCell: the vanilla (Elman) recurrent cell with tanh or relu, in PyTorch's parameter layout.
import { Module, Parameter, matmul } from '@unroll/autograd';
import type { DType, Tensor } from '@unroll/autograd';
import type { HiddenState, InitialStateOptions, RecurrentCell } from '../cell.js';
import {
  checkFloatDType, checkInput, checkKnownOptions, checkSize, checkStateTensor, initRecurrent, uniformParameter, zerosState,
} from './common.js';
import type { RecurrentCellOptions } from './common.js';
import { CellNoise } from '../state-noise.js';
import type { StateNoiseOptions } from '../state-noise.js';

export interface RNNCellOptions extends RecurrentCellOptions, StateNoiseOptions {
  /** The activation: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

const OPTIONS = ['inputSize', 'hiddenSize', 'nonlinearity', 'bias', 'dtype', 'generator', 'recurrentInit', 'recurrentDropout', 'zoneout'] as const;

/**
 * The vanilla recurrent cell, as torch.nn.RNNCell:
 *
 *     h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh | relu
 *
 * Parameters (PyTorch names and layout): weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H],
 * all drawn from U(−1/√H, 1/√H). State `{ h }`, h: [batch, H]; the output is h'.
 */
export class RNNCell extends Module implements RecurrentCell<HiddenState> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly nonlinearity: 'tanh' | 'relu';
  /** W_ih [H, I] (`weight_ih`). */
  readonly weightIh: Parameter;
  /** W_hh [H, H] (`weight_hh`). */
  readonly weightHh: Parameter;
  /** b_ih [H] (`bias_ih`), or null without bias. */
  readonly biasIh: Parameter | null;
  /** b_hh [H] (`bias_hh`), or null without bias. */
  readonly biasHh: Parameter | null;
  /** Its recurrentDropout and zoneout (see `StateNoiseOptions`). */
  readonly noise: CellNoise;

  constructor(opts: RNNCellOptions) {
    super();
    checkKnownOptions('RNNCell', opts, OPTIONS);
    this.inputSize = checkSize('RNNCell', 'inputSize', opts.inputSize);
    const H = (this.hiddenSize = checkSize('RNNCell', 'hiddenSize', opts.hiddenSize));
    this.outputSize = H;
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new TypeError(`RNNCell: nonlinearity must be 'tanh' or 'relu'; got ${String(this.nonlinearity)}`);
    }
    const dtype = checkFloatDType('RNNCell', opts.dtype);
    const k = 1 / Math.sqrt(H), gen = opts.generator;
    this.weightIh = this.registerParameter('weight_ih', uniformParameter([H, this.inputSize], k, dtype, gen));
    this.weightHh = this.registerParameter('weight_hh', uniformParameter([H, H], k, dtype, gen));
    const bias = opts.bias ?? true;
    this.biasIh = this.registerParameter('bias_ih', bias ? uniformParameter([H], k, dtype, gen) : null);
    this.biasHh = this.registerParameter('bias_hh', bias ? uniformParameter([H], k, dtype, gen) : null);
    initRecurrent('RNNCell', opts.recurrentInit, this.weightHh, 1, H, gen);
    this.noise = new CellNoise('RNNCell', opts, ['h'], gen);
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
    return { h: zerosState('RNNCell.initialState', batch, this.hiddenSize, opts.dtype ?? this.dtype) };
  }

  /** One step: x [batch, I], state.h [batch, H] → `{ state: { h' }, output: h' }`. */
  step(state: HiddenState, x: Tensor): { state: HiddenState; output: Tensor } {
    const batch = checkInput('RNNCell.step', x, this.inputSize, this.dtype);
    const hPrev = checkStateTensor('RNNCell.step', state, 'h', batch, this.hiddenSize, this.dtype);
    let pre = matmul(x, this.weightIh, { transB: true }).add(matmul(this.noise.fed(hPrev, this.training), this.weightHh, { transB: true }));
    // One [H] add of both biases, then one broadcast add over the batch.
    if (this.biasIh && this.biasHh) pre = pre.add(this.biasIh.add(this.biasHh));
    const next = this.noise.zone(state, { h: this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu() }, this.training);
    return { state: next, output: next.h };
  }
}
