// LSTMCell: PyTorch's LSTM step and its classic variants (peepholes, no forget gate, coupled
// input-forget gate, chosen activations), all in PyTorch's i|f|g|o parameter layout.
import * as K from '@unroll/core';
import { matmul, sigmoid, split, sub, tanh } from '@unroll/autograd';
import type { Parameter, StateValue, Tensor } from '@unroll/autograd';
import type { LSTMState } from '../cell.js';
import { CellBase } from '../cell-base.js';
import { compiledUnrollBuiltin } from '../compile/builtin.js';
import { lstmSequence } from '../fused/lstm-sequence.js';
import { lstmStep } from '../fused/lstm-step.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { builtinCell, initRecurrent, resolveActivation, shapeOfValue } from './common.js';
import type { Activation, RecurrentCellOptions } from './common.js';

export interface LSTMCellOptions extends RecurrentCellOptions {
  /** Diagonal peepholes weight_ci, weight_cf, weight_co [H] (Gers & Schmidhuber 2000). Default false. */
  peephole?: boolean;
  /** false: the 1997 LSTM without a forget gate, c_t = c_{t−1} + i ⊙ g. Default true. */
  forgetGate?: boolean;
  /** Coupled input and forget gates (CIFG): f = 1 − i. Default false. */
  coupledGates?: boolean;
  /** σ_g, the gates' activation (default 'sigmoid'). */
  gateActivation?: Activation;
  /** σ_c, the candidate's activation (default 'tanh'). */
  cellActivation?: Activation;
  /** σ_h, applied to c_t before the output gate (default 'tanh'). */
  hiddenActivation?: Activation;
  /**
   * Initial forget-gate bias: the f block of bias_ih is SET to this value and the f block of
   * bias_hh to 0, so b_if + b_hf starts at exactly `forgetBias` (Jozefowicz et al. 2015 recommend 1).
   * Default: PyTorch's uniform draw. Needs bias and an independent forget gate.
   */
  forgetBias?: number;
  /**
   * Run the standard cell (sigmoid/tanh activations, a forget gate of its own, peepholes or not) as
   * fused ops: `step` as one `lstmStep` op after the gate matmuls, `unroll` as one `lstmSequence` op
   * for the whole sequence. The other variants run `unroll` compiled (`compileCell`: one op for the
   * whole sequence, generated from the composed step) and `step` composed. Default true; false keeps
   * the composed ops everywhere (for debugging, or to compare). Also settable later: `cell.fused = false`.
   */
  fused?: boolean;
}

const OPTIONS = [
  'inputSize', 'hiddenSize', 'bias', 'dtype', 'generator', 'recurrentInit', 'peephole', 'forgetGate', 'coupledGates',
  'gateActivation', 'cellActivation', 'hiddenActivation', 'forgetBias', 'fused',
] as const;

/**
 * The long short-term memory cell, as torch.nn.LSTMCell by default:
 *
 *     [a_i, a_f, a_g, a_o] = W_ih x + b_ih + W_hh h + b_hh            (gate order i|f|g|o, one matmul each)
 *     i = σ_g(a_i + w_ci ⊙ c)       f = σ_g(a_f + w_cf ⊙ c)            (w_c· only with peephole)
 *     g = σ_c(a_g)
 *     c' = f ⊙ c + i ⊙ g
 *     o = σ_g(a_o + w_co ⊙ c')                                         (the output gate sees the NEW cell state)
 *     h' = o ⊙ σ_h(c')
 *
 * with σ_g = sigmoid, σ_c = σ_h = tanh unless chosen otherwise. Variants:
 * - `forgetGate: false` — Hochreiter & Schmidhuber 1997: c' = c + i ⊙ g;
 * - `coupledGates: true` — CIFG (Greff et al. 2017): f = 1 − i;
 * - `peephole: true` — diagonal peepholes w_ci, w_cf, w_co [H] (Gers & Schmidhuber 2000).
 *
 * Layout: weight_ih [4H, I], weight_hh [4H, H], bias_ih [4H], bias_hh [4H] — PyTorch's names,
 * shapes and gate order. Without a forget gate (or with coupled gates) the f rows are KEPT and
 * unused (their gradient is zero), so a PyTorch state dict loads unchanged whichever variant is
 * built; a 3H state dict is refused with a message saying so. weight_cf exists only when f is its
 * own gate. State `{ h, c }`, both [batch, H]; the output is h'.
 *
 * Speed: the standard cell (sigmoid/tanh, its own forget gate, peepholes or not) runs fused by
 * default — `step` ends in one `lstmStep` op, `unroll` runs one `lstmSequence` op for the whole
 * sequence; every other variant's `unroll` runs compiled (see `compileCell`). The code below the fused
 * branch in `forward` is the definition all of them are checked against; `fused: false` runs it.
 */
export class LSTMCell extends CellBase<LSTMState> implements FusedUnroll<LSTMState> {
  readonly hiddenSize: number;
  readonly peephole: boolean;
  readonly forgetGate: boolean;
  readonly coupledGates: boolean;
  /** W_ih [4H, I] (`weight_ih`), gate blocks i|f|g|o. */
  readonly weightIh: Parameter;
  /** W_hh [4H, H] (`weight_hh`). */
  readonly weightHh: Parameter;
  /** b_ih [4H] (`bias_ih`), or null without bias. */
  readonly biasIh: Parameter | null;
  /** b_hh [4H] (`bias_hh`), or null without bias. */
  readonly biasHh: Parameter | null;
  /** w_ci [H] (`weight_ci`), or null without peepholes. */
  readonly weightCi: Parameter | null;
  /** w_cf [H] (`weight_cf`), or null without peepholes or without an independent forget gate. */
  readonly weightCf: Parameter | null;
  /** w_co [H] (`weight_co`), or null without peepholes. */
  readonly weightCo: Parameter | null;
  /** Use the fused ops where this variant has them (see `LSTMCellOptions.fused`). */
  fused: boolean;
  /** Whether the fused ops compute this variant: sigmoid/tanh/tanh and an independent forget gate. */
  readonly fusable: boolean;
  private readonly gateAct: (x: Tensor) => Tensor;
  private readonly cellAct: (x: Tensor) => Tensor;
  private readonly hiddenAct: (x: Tensor) => Tensor;

  constructor(opts: LSTMCellOptions) {
    const who = 'LSTMCell';
    super(builtinCell(who, opts, OPTIONS, (H) => ({ h: H, c: H })));
    const H = (this.hiddenSize = this.outputSize), inputSize = this.inputSize;
    this.peephole = opts.peephole ?? false;
    this.forgetGate = opts.forgetGate ?? true;
    this.coupledGates = opts.coupledGates ?? false;
    const bias = opts.bias ?? true;
    if (this.coupledGates && !this.forgetGate) {
      throw new TypeError(`${who}: coupledGates (f = 1 − i) needs a forget gate; it cannot be combined with forgetGate: false`);
    }
    if (opts.forgetBias !== undefined) {
      if (!Number.isFinite(opts.forgetBias)) throw new TypeError(`${who}: forgetBias must be a finite number; got ${opts.forgetBias}`);
      if (!bias) throw new TypeError(`${who}: forgetBias needs bias: true`);
      if (!this.forgetGate || this.coupledGates) {
        throw new TypeError(`${who}: forgetBias has no effect ${this.coupledGates ? 'with coupledGates (f = 1 − i)' : 'without a forget gate'}`);
      }
    }
    this.gateAct = resolveActivation(who, 'gateActivation', opts.gateActivation ?? 'sigmoid');
    this.cellAct = resolveActivation(who, 'cellActivation', opts.cellActivation ?? 'tanh');
    this.hiddenAct = resolveActivation(who, 'hiddenActivation', opts.hiddenActivation ?? 'tanh');
    if (opts.fused !== undefined && typeof opts.fused !== 'boolean') throw new TypeError(`${who}: fused must be a boolean; got ${String(opts.fused)}`);
    this.fused = opts.fused ?? true;
    this.fusable = this.gateAct === sigmoid && this.cellAct === tanh && this.hiddenAct === tanh && this.forgetGate && !this.coupledGates;

    // PyTorch's init: every weight and bias U(−1/√H, 1/√H), drawn in this order.
    this.weightIh = this.parameter('weight_ih', [4 * H, inputSize]);
    this.weightHh = this.parameter('weight_hh', [4 * H, H]);
    this.biasIh = this.parameterIf(bias, 'bias_ih', [4 * H]);
    this.biasHh = this.parameterIf(bias, 'bias_hh', [4 * H]);
    const ownF = this.forgetGate && !this.coupledGates;
    this.weightCi = this.parameterIf(this.peephole, 'weight_ci', [H]);
    this.weightCf = this.parameterIf(this.peephole && ownF, 'weight_cf', [H]);
    this.weightCo = this.parameterIf(this.peephole, 'weight_co', [H]);
    initRecurrent(who, opts.recurrentInit, this.weightHh, 4, H, opts.generator);
    if (opts.forgetBias !== undefined) {
      (this.biasIh!.data.data as K.FloatArray).fill(opts.forgetBias, H, 2 * H);
      (this.biasHh!.data.data as K.FloatArray).fill(0, H, 2 * H);
    }
  }

  /** One step (after `step`'s checks): x [batch, I], state `{ h, c }` [batch, H] → `{ state: { h', c' }, output: h' }`. */
  protected forward(state: LSTMState, x: Tensor): { state: LSTMState; output: Tensor } {
    const { h: hPrev, c: cPrev } = state;
    let gates = matmul(x, this.weightIh, { transB: true }).add(matmul(hPrev, this.weightHh, { transB: true }));
    if (this.biasIh && this.biasHh) gates = gates.add(this.biasIh.add(this.biasHh));
    if (this.fused && this.fusable) {
      const peep = this.weightCi ? { weightCi: this.weightCi, weightCf: this.weightCf!, weightCo: this.weightCo! } : null;
      const next = lstmStep(gates, cPrev, peep);
      return { state: next, output: next.h };
    }
    // The composed definition (every variant; the fused op computes the same for the standard one).
    let [ai, af, ag, ao] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    if (this.weightCi) ai = ai.add(cPrev.mul(this.weightCi));
    if (this.weightCf) af = af.add(cPrev.mul(this.weightCf));
    const i = this.gateAct(ai);
    const g = this.cellAct(ag);
    let c: Tensor;
    if (!this.forgetGate) {
      c = cPrev.add(i.mul(g)); // the f block (af) is left unused: its rows get zero gradient
    } else {
      const f = this.coupledGates ? sub(1, i) : this.gateAct(af);
      c = f.mul(cPrev).add(i.mul(g));
    }
    if (this.weightCo) ao = ao.add(c.mul(this.weightCo));
    const o = this.gateAct(ao);
    const h = o.mul(this.hiddenAct(c));
    return { state: { h, c }, output: h };
  }

  /**
   * The whole sequence as one `lstmSequence` op, when `fused` and the variant is standard; the other
   * variants (no forget gate, coupled gates, other activations) as one compiled op (see `compileCell`).
   * Null when not `fused`, or when a subclass overrides `step` or `forward` (the runner then steps the
   * cell). Called by `unroll`; see `FusedUnroll`.
   */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<LSTMState>): UnrollResult<LSTMState> | null {
    // A subclass that redefines step or forward must be stepped: the fused op would silently skip its change.
    if (!this.fused || this.step !== LSTMCell.prototype.step || this.forward !== LSTMCell.prototype.forward) return null;
    // Variants without a hand-written kernel run compiled (compileCell) from the composed step.
    if (!this.fusable) return compiledUnrollBuiltin(this, xs, args);
    // The checks (and messages) step would make.
    this.checkDType(xs);
    const { h, c } = this.checkState(args.initialState, xs.shape[args.batchFirst ? 0 : 1]!);
    const r = lstmSequence(xs, { h, c }, this, { batchFirst: args.batchFirst, reverse: args.reverse, lengths: args.lengths });
    return { outputs: r.outputs, state: r.state };
  }

  protected override stateDictHint(entries: Map<string, StateValue>, targets: Map<string, Tensor>): string | null {
    return lstmStateDictHint(entries, targets, this.hiddenSize);
  }
}

/**
 * Explains the two layout differences an LSTM state dict can have: 3H gate blocks (a state dict
 * from a layout that drops the unused f rows) and peephole weights present on one side only.
 * Works for the cell's names (`weight_ih`) and the module's (`weight_ih_l0_reverse`).
 */
export function lstmStateDictHint(entries: Map<string, StateValue>, targets: Map<string, Tensor>, hidden: number): string | null {
  const hints: string[] = [];
  for (const [name, target] of targets) {
    const value = entries.get(name);
    if (!/^(weight_ih|weight_hh|bias_ih|bias_hh)/.test(name) || value === undefined) continue;
    const rows = shapeOfValue(value)[0];
    if (target.shape[0] === 4 * hidden && rows === 3 * hidden) {
      hints.push(
        `${name} has 3H = ${3 * hidden} rows: LSTMCell always keeps PyTorch's 4H layout (i|f|g|o), even without a ` +
        'forget gate or with coupled gates, where the f rows are unused; insert a block of H zero rows after the i block to load it');
      break;
    }
  }
  const peep = (keys: Iterable<string>) => [...keys].filter((k) => /^weight_c[ifo](_|$)/.test(k));
  const given = peep(entries.keys()).filter((k) => !targets.has(k));
  const absent = peep(targets.keys()).filter((k) => !entries.has(k));
  if (given.some((k) => k.startsWith('weight_cf')) && !given.some((k) => !k.startsWith('weight_cf'))) {
    hints.push(`${given.join(', ')}: this LSTM has no independent forget gate (forgetGate: false or coupledGates), so it has no weight_cf`);
  } else if (given.length) {
    hints.push(`${given.join(', ')} are peephole weights: build the LSTM with peephole: true to load them`);
  }
  if (absent.length) {
    hints.push(`${absent.join(', ')} (peepholes) are not in the state dict (a PyTorch nn.LSTM has none): ` +
      'build with peephole: false, or load with { strict: false } to keep their initial values');
  }
  return hints.length ? hints.join('\n  ') : null;
}
