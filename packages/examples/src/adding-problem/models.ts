// Many-to-one models for the adding problem: one recurrent layer (LSTM and its variants, GRU or a
// tanh RNN) read to each sequence's last real step, then a linear read-out of the final hidden state.
import { RandomGenerator, Linear, Module, Tensor } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';

/** The recurrent layers compared on the adding problem. */
export const MODEL_KINDS = ['lstm', 'lstm-peephole', 'lstm-cifg', 'lstm-no-forget', 'gru', 'rnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** One line per kind, for tables and notebooks. */
export const MODEL_DESCRIPTIONS: Record<ModelKind, string> = {
  'lstm': 'LSTM with forget gate',
  'lstm-peephole': 'LSTM with peepholes (Gers & Schmidhuber 2000)',
  'lstm-cifg': 'LSTM with coupled input-forget gate, f = 1 − i (CIFG)',
  'lstm-no-forget': 'the 1997 LSTM: no forget gate, c′ = c + i ⊙ g',
  'gru': 'GRU (PyTorch form, reset after the recurrent product)',
  'rnn': 'Elman RNN, tanh',
};

/** Throws unless `name` is a known kind (the message lists them). */
export function parseModelKind(name: string): ModelKind {
  if (!(MODEL_KINDS as readonly string[]).includes(name)) {
    throw new RangeError(`adding problem: unknown model '${name}'; choose from ${MODEL_KINDS.join(', ')}`);
  }
  return name as ModelKind;
}

export interface AddingModelOptions {
  kind: ModelKind;
  hiddenSize: number;
  /** Features per step (default 2, the adding problem's pairs; 8 one-hot symbols for the temporal-order problem). */
  inputSize?: number;
  /** Outputs of the linear read-out (default 1; one logit per class for a classification task). */
  outputSize?: number;
  /**
   * Initial forget-gate bias of the kinds with their own forget gate ('lstm', 'lstm-peephole'); default 1
   * (Jozefowicz et al. 2015). Larger values start with a longer memory (σ(3) ≈ 0.95).
   */
  forgetBias?: number;
  /**
   * Initial input-gate bias of every LSTM kind, or null (default) for PyTorch's uniform draw. The 1997
   * paper starts the input gates biased negatively so that noise does not drift into the memory
   * cells before the network has learned what to store.
   */
  inputBias?: number | null;
  /**
   * Initial update-gate bias of the GRU, or null (default) for PyTorch's uniform draw. In
   * h′ = (1 − z) ⊙ n + z ⊙ h the gate z plays the forget gate's part: a bias of 3 (z ≈ 0.95) starts
   * with a long memory.
   */
  updateBias?: number | null;
  /** Random source of the initial weights. */
  generator?: RandomGenerator;
}

type Recurrent = LSTM | GRU | RNN;

function makeRecurrent(kind: ModelKind, inputSize: number, hiddenSize: number, forgetBias: number, generator?: RandomGenerator): Recurrent {
  const base = { inputSize, hiddenSize, generator };
  switch (kind) {
    case 'lstm': return new LSTM({ ...base, forgetBias });
    case 'lstm-peephole': return new LSTM({ ...base, peephole: true, forgetBias });
    case 'lstm-cifg': return new LSTM({ ...base, coupledGates: true });
    case 'lstm-no-forget': return new LSTM({ ...base, forgetGate: false });
    case 'gru': return new GRU(base);
    case 'rnn': return new RNN({ ...base, nonlinearity: 'tanh' });
  }
}

/** Sets the i block (rows 0…H−1, gate order i|f|g|o) of bias_ih to `value` and of bias_hh to 0. */
function setInputBias(lstm: LSTM, value: number): void {
  const H = lstm.hiddenSize;
  for (const [name, p] of lstm.namedParameters()) {
    if (name === 'bias_ih_l0') p.data.data.fill(value, 0, H);
    if (name === 'bias_hh_l0') p.data.data.fill(0, 0, H);
  }
}

/** Sets the z block (rows H…2H−1, gate order r|z|n) of the GRU's bias_ih to `value` and of bias_hh to 0. */
function setUpdateBias(gru: GRU, value: number): void {
  const H = gru.hiddenSize;
  for (const [name, p] of gru.namedParameters()) {
    if (name === 'bias_ih_l0') p.data.data.fill(value, H, 2 * H);
    if (name === 'bias_hh_l0') p.data.data.fill(0, H, 2 * H);
  }
}

/**
 * A recurrent layer over [time, batch, inputSize] inputs and a linear read-out of the hidden state after
 * each sequence's last real step: forward(inputs [time, batch, inputSize], lengths) → [batch, outputSize]
 * (inputSize 2 and outputSize 1 for the adding problem; the temporal-order problem reads 8 and gives one
 * logit per class).
 */
export class AddingModel extends Module {
  readonly kind: ModelKind;
  readonly recurrent: Recurrent;
  readonly head: Linear;

  constructor(opts: AddingModelOptions) {
    super();
    this.kind = opts.kind;
    const inputSize = opts.inputSize ?? 2, outputSize = opts.outputSize ?? 1;
    for (const [key, value] of [['inputSize', inputSize], ['outputSize', outputSize], ['hiddenSize', opts.hiddenSize]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`AddingModel: ${key} must be a positive integer; got ${value}`);
    }
    this.recurrent = this.registerModule('recurrent', makeRecurrent(opts.kind, inputSize, opts.hiddenSize, opts.forgetBias ?? 1, opts.generator));
    this.head = this.registerModule('head', new Linear(opts.hiddenSize, outputSize, { generator: opts.generator }));
    const inputBias = opts.inputBias ?? null;
    if (inputBias !== null && this.recurrent instanceof LSTM) setInputBias(this.recurrent, inputBias);
    const updateBias = opts.updateBias ?? null;
    if (updateBias !== null && this.recurrent instanceof GRU) setUpdateBias(this.recurrent, updateBias);
  }

  forward(inputs: Tensor, lengths?: readonly number[]): Tensor {
    // The final state holds each sequence's h after its own last step, so padding is never read.
    const { state } = this.recurrent.forward(inputs, undefined, lengths ? { lengths } : {});
    return this.head.forward(state.h.select(0, 0));
  }
}
