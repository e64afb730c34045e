// LSTMCell: PyTorch's LSTM step and its classic variants (peepholes, no forget gate, coupled
// input-forget gate, chosen activations), all in PyTorch's i|f|g|o parameter layout.
import * as K from '@unroll/core';
import { add, div, matmul, mean, mul, sigmoid, split, sqrt, sub, tanh } from '@unroll/autograd';
import type { Parameter, StateValue, Tensor } from '@unroll/autograd';
import type { LSTMState } from '../cell.js';
import { CellBase } from '../cell-base.js';
import { compiledUnrollBuiltin } from '../compile/builtin.js';
import { lstmSequence } from '../fused/lstm-sequence.js';
import { lstmStep } from '../fused/lstm-step.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { builtinCell, initRecurrent, resolveActivation, shapeOfValue } from './common.js';
import type { Activation, RecurrentCellOptions } from './common.js';
import { hoistedUnroll } from './lstm-hoisted.js';
import { CellNoise } from '../state-noise.js';
import type { StateNoiseOptions } from '../state-noise.js';

export interface LSTMCellOptions extends RecurrentCellOptions, StateNoiseOptions {
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
  /**
   * A projection (PyTorch's `proj_size`; Sak et al. 2014): h = W_hr·(o ⊙ σ_h(c)) with weight_hr
   * [projSize, H], so h (the state fed back and the output) has projSize features and c keeps H;
   * weight_hh is then [4H, projSize]. An integer in [1, hiddenSize); default none (0 as PyTorch).
   */
  projSize?: number;
  /**
   * Layer normalisation (Ba, Kiros & Hinton 2016) of the input and the recurrent pre-activations
   * (all 4H gates together, each product with its own gain and bias) and of the cell state before
   * σ_h (see the class comment for the equations and parameter names). Default false.
   */
  layerNorm?: boolean;
}

/** ε of the layer normalisations (as torch.nn.LayerNorm's default). */
const LN_EPS = 1e-5;

/** (v − mean) / √(var + ε) over the features, times gain, plus bias: v [batch, n], gain and bias [n]. */
function layerNorm(v: Tensor, gain: Tensor, bias: Tensor): Tensor {
  const centered = sub(v, mean(v, { axes: [1], keepdims: true }));
  const variance = mean(mul(centered, centered), { axes: [1], keepdims: true });
  return add(mul(div(centered, sqrt(add(variance, LN_EPS))), gain), bias);
}

const OPTIONS = [
  'inputSize', 'hiddenSize', 'bias', 'dtype', 'generator', 'recurrentInit', 'peephole', 'forgetGate', 'coupledGates',
  'gateActivation', 'cellActivation', 'hiddenActivation', 'forgetBias', 'fused', 'recurrentDropout', 'zoneout', 'projSize', 'layerNorm',
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
 * - `projSize: P` — PyTorch's projection LSTM: h' = W_hr·(o ⊙ σ_h(c')), weight_hr [P, H]; h is [batch, P]
 *   (weight_hh [4H, P]), c stays [batch, H];
 * - `layerNorm: true` — Ba et al. 2016's layer-norm LSTM: the gate pre-activations are
 *   LN(W_ih x; γ_ih, β_ih) + LN(W_hh h; γ_hh, β_hh) + b_ih + b_hh and h' = o ⊙ σ_h(LN(c'; γ_c, β_c))
 *   (c' itself is not normalised), LN(v; γ, β) = (v − mean v)/√(var v + 1e−5) ⊙ γ + β over the
 *   features; γ_ih, β_ih, γ_hh, β_hh [4H] (`weight_ln_ih`, `bias_ln_ih`, `weight_ln_hh`, `bias_ln_hh`),
 *   γ_c, β_c [H] (`weight_ln_c`, `bias_ln_c`), starting at ones and zeros;
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
  /** The projection's features P, or 0 without one. */
  readonly projSize: number;
  /** W_hr [P, H] (`weight_hr`), or null without a projection. */
  readonly weightHr: Parameter | null;
  /** Whether the pre-activations and the cell state are layer-normalised. */
  readonly layerNorm: boolean;
  /** γ, β of the layer normalisations (see the class comment), or null without layerNorm. */
  readonly norms: { readonly weightIh: Parameter; readonly biasIh: Parameter; readonly weightHh: Parameter; readonly biasHh: Parameter; readonly weightC: Parameter; readonly biasC: Parameter } | null;
  /** Its recurrentDropout and zoneout (see `StateNoiseOptions`). */
  readonly noise: CellNoise;
  /** Use the fused ops where this variant has them (see `LSTMCellOptions.fused`). */
  fused: boolean;
  /** Whether the fused ops compute this variant: sigmoid/tanh/tanh and an independent forget gate. */
  readonly fusable: boolean;
  private readonly gateAct: (x: Tensor) => Tensor;
  private readonly cellAct: (x: Tensor) => Tensor;
  private readonly hiddenAct: (x: Tensor) => Tensor;

  constructor(opts: LSTMCellOptions) {
    const who = 'LSTMCell';
    const base = builtinCell(who, opts, OPTIONS, (H) => ({ h: H, c: H }));
    const H = base.outputSize, inputSize = base.inputSize;
    const P = opts.projSize ?? 0;
    if (!Number.isInteger(P) || P < 0 || P >= H) {
      throw new RangeError(`${who}: projSize must be an integer in [1, hiddenSize) = [1, ${H}) (0 or absent: no projection); got ${String(opts.projSize)}`);
    }
    // With a projection h (the output and the state fed back) has P features; c keeps H.
    super({ ...base, outputSize: P || H, state: { h: P || H, c: H } });
    this.hiddenSize = H;
    this.projSize = P;
    if (opts.layerNorm !== undefined && typeof opts.layerNorm !== 'boolean') throw new TypeError(`${who}: layerNorm must be a boolean; got ${String(opts.layerNorm)}`);
    this.layerNorm = opts.layerNorm ?? false;
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
    // (1/√H even with a projection, whose outputSize is P: PyTorch draws from H.)
    const u = { uniform: 1 / Math.sqrt(H) };
    this.weightIh = this.parameter('weight_ih', [4 * H, inputSize], u);
    this.weightHh = this.parameter('weight_hh', [4 * H, P || H], u);
    this.biasIh = this.parameterIf(bias, 'bias_ih', [4 * H], u);
    this.biasHh = this.parameterIf(bias, 'bias_hh', [4 * H], u);
    // PyTorch's order: weight_hr after the biases.
    this.weightHr = this.parameterIf(P > 0, 'weight_hr', [P, H], u);
    const ownF = this.forgetGate && !this.coupledGates;
    this.weightCi = this.parameterIf(this.peephole, 'weight_ci', [H], u);
    this.weightCf = this.parameterIf(this.peephole && ownF, 'weight_cf', [H], u);
    this.weightCo = this.parameterIf(this.peephole, 'weight_co', [H], u);
    this.norms = this.layerNorm
      ? {
        weightIh: this.parameter('weight_ln_ih', [4 * H], 'ones'), biasIh: this.parameter('bias_ln_ih', [4 * H], 'zeros'),
        weightHh: this.parameter('weight_ln_hh', [4 * H], 'ones'), biasHh: this.parameter('bias_ln_hh', [4 * H], 'zeros'),
        weightC: this.parameter('weight_ln_c', [H], 'ones'), biasC: this.parameter('bias_ln_c', [H], 'zeros'),
      }
      : null;
    if (P && opts.recurrentInit === 'orthogonal') throw new TypeError(`${who}: recurrentInit 'orthogonal' needs square H × H gate blocks; with projSize weight_hh is [4H, ${P}]`);
    initRecurrent(who, opts.recurrentInit, this.weightHh, 4, H, opts.generator);
    if (opts.forgetBias !== undefined) {
      (this.biasIh!.data.data as K.FloatArray).fill(opts.forgetBias, H, 2 * H);
      (this.biasHh!.data.data as K.FloatArray).fill(0, H, 2 * H);
    }
    this.noise = new CellNoise(who, opts, ['h', 'c'], opts.generator);
  }

  /** A new sequence starts (the runner calls this): recurrentDropout draws new masks. */
  beginSequence(_batch: number): void {
    this.noise.begin();
  }

  /** One step (after `step`'s checks): x [batch, I], state `{ h, c }` [batch, H] → `{ state: { h', c' }, output: h' }`. */
  protected forward(state: LSTMState, x: Tensor): { state: LSTMState; output: Tensor } {
    return this.advance(state, this.inputGates(x));
  }

  /** The input's part of the gate pre-activations: W_ih x (layer-normalised with layerNorm). x [rows, I] → [rows, 4H]. */
  inputGates(x: Tensor): Tensor {
    const fromX = matmul(x, this.weightIh, { transB: true });
    return this.norms ? layerNorm(fromX, this.norms.weightIh, this.norms.biasIh) : fromX;
  }

  /** The rest of a step (no checks), from the input's part of the pre-activations (see `inputGates`). */
  advance(state: LSTMState, fromX: Tensor): { state: LSTMState; output: Tensor } {
    const { h: hPrev, c: cPrev } = state;
    const n = this.norms;
    const fromH = matmul(this.noise.fed(hPrev, this.training), this.weightHh, { transB: true });
    let gates = fromX.add(n ? layerNorm(fromH, n.weightHh, n.biasHh) : fromH);
    if (this.biasIh && this.biasHh) gates = gates.add(this.biasIh.add(this.biasHh));
    if (this.fused && this.fusable && !n) {
      const peep = this.weightCi ? { weightCi: this.weightCi, weightCf: this.weightCf!, weightCo: this.weightCo! } : null;
      const fusedNext = lstmStep(gates, cPrev, peep);
      // With a projection the fused op's h is o ⊙ tanh(c'), projected here by one matmul.
      const h = this.weightHr ? matmul(fusedNext.h, this.weightHr, { transB: true }) : fusedNext.h;
      const next = this.noise.zone(state, { h, c: fusedNext.c }, this.training);
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
    let h = o.mul(this.hiddenAct(n ? layerNorm(c, n.weightC, n.biasC) : c));
    if (this.weightHr) h = matmul(h, this.weightHr, { transB: true });
    const next = this.noise.zone(state, { h, c }, this.training);
    return { state: next, output: next.h };
  }

  /**
   * The whole sequence as one op: `lstmSequence` when `fused` and the variant is standard; compiled
   * (`compileCell`, from the composed step) for the other variants — no forget gate, coupled gates,
   * other activations, projSize, layerNorm — and for zoneout in eval. Null when not `fused`, when a
   * subclass overrides `step` or `forward`, or when recurrentDropout / zoneout draw in training (the
   * runner then steps the cell). Called by `unroll`; see `FusedUnroll`.
   */
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<LSTMState>): UnrollResult<LSTMState> | null {
    // A subclass that redefines step or forward must be stepped: the fused op would silently skip its change.
    if (!this.fused || this.step !== LSTMCell.prototype.step || this.forward !== LSTMCell.prototype.forward) return null;
    // Random draws in the step (training with recurrentDropout or zoneout): neither kernel nor compiler can.
    if (this.noise.draws(this.training)) return null;
    // Variants without a hand-written kernel run compiled (compileCell) from the composed step; where
    // code cannot be generated, projection and layer-norm cells still hoist their input gemm.
    if (!this.fusable || this.projSize || this.layerNorm || this.noise.changesStep(this.training)) {
      const compiled = compiledUnrollBuiltin(this, xs, args);
      if (compiled !== null || !(this.projSize || this.layerNorm)) return compiled;
      this.checkDType(xs);
      this.checkState(args.initialState, xs.shape[args.batchFirst ? 0 : 1]!);
      return hoistedUnroll(this, xs, args);
    }
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
