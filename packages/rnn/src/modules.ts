// RNN, LSTM, GRU: multi-layer, optionally bidirectional modules with PyTorch's options, parameter
// names, shapes and state layout, built from the cells, the runner and the layer combinators.
import * as K from '@unroll/core';
import { Module, Tensor, checkOptions, optionKeys, select, squeeze, stack, unsqueeze } from '@unroll/autograd';
import type { RandomGenerator, StateValue } from '@unroll/autograd';
import type { HiddenState, LSTMState } from './cell.js';
import { GRUCell } from './cells/gru-cell.js';
import type { GRUCellOptions } from './cells/gru-cell.js';
import { LSTMCell, lstmStateDictHint } from './cells/lstm-cell.js';
import type { LSTMCellOptions } from './cells/lstm-cell.js';
import { RNNCell } from './cells/rnn-cell.js';
import type { RNNCellOptions } from './cells/rnn-cell.js';
import { checkFloatDType, checkKnownOptions, checkSize } from './cells/common.js';
import type { FloatDType, RecurrentInit } from './cells/common.js';
import type { ZoneoutRates } from './state-noise.js';
import { Bidirectional } from './bidirectional.js';
import { CellLayer } from './layer.js';
import type { SequenceLayer } from './layer.js';
import { StackedLayers } from './stacked.js';
import { checkSequence, normalizeLengths, normalizeMask } from './unroll.js';
import type { Lengths, Mask } from './unroll.js';

/** Options every PyTorch-style recurrent module takes (PyTorch's names, camelCased, and defaults). */
export interface RecurrentModuleOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Add a backward direction per layer; outputs concatenate both (default false). */
  bidirectional?: boolean;
  /** x and output are [batch, time, features] (default false: [time, batch, features]). The state is never batch-first. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Keep the biases (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Random source for the initial weights and the dropout masks. */
  generator?: RandomGenerator;
  /** 'uniform' (default, PyTorch's U(−1/√H, 1/√H)) or 'orthogonal' for the recurrent weights. */
  recurrentInit?: RecurrentInit;
  /** Variational recurrent dropout in every cell (Keras's name; see `StateNoiseOptions.recurrentDropout`). Default 0. */
  recurrentDropout?: number;
  /** Zoneout in every cell: a probability, or `{ h, c }` for LSTM (see `StateNoiseOptions.zoneout`). Default 0. */
  zoneout?: ZoneoutRates;
}
export interface RNNOptions extends RecurrentModuleOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /**
   * Run each layer compiled (default true; see `compileCell`): one op per layer and direction. false
   * runs the composed cells step by step — for debugging, or to compare. Settable: `rnn.fused = false`.
   */
  fused?: boolean;
}
/** LSTM options: the module's plus every LSTMCell variant option (peephole, forgetGate, coupledGates, activations, forgetBias). */
export interface LSTMOptions extends RecurrentModuleOptions,
  Pick<LSTMCellOptions, 'peephole' | 'forgetGate' | 'coupledGates' | 'gateActivation' | 'cellActivation' | 'hiddenActivation' | 'forgetBias' | 'projSize' | 'layerNorm'> {
  /**
   * Run each layer as one fused `lstmSequence` op (default true) when the variant allows it
   * (sigmoid/tanh, a forget gate of its own; peepholes are fine), and compiled (`compileCell`, one op
   * per layer) for the other variants. false runs the composed cells step by step — for debugging,
   * or to compare. Also settable later: `lstm.fused = false`.
   */
  fused?: boolean;
}
export interface GRUOptions extends RecurrentModuleOptions {
  /** true (default, PyTorch): r applied after the recurrent product; false: Cho et al. 2014. */
  resetAfter?: boolean;
  /**
   * Run each layer as one fused `gruSequence` op (default true, both forms). false runs the composed
   * cells step by step — for debugging, or to compare. Also settable later: `gru.fused = false`.
   */
  fused?: boolean;
}

type FusableCell = { fused: boolean };

/** Options of `forward` besides the state. */
export interface RecurrentForwardOptions {
  /** Real length of each sequence, in [1, time] (as a packed sequence in PyTorch); padded outputs are zero. */
  lengths?: Lengths;
  /**
   * Which steps are real, for any padding pattern (Keras's masking; see `UnrollOptions.mask`):
   * [time, batch], or [batch, time] with batchFirst, or [time] for unbatched input; booleans or 0/1.
   * Masked steps keep every layer's state and output zeros. Not together with `lengths`.
   */
  mask?: Mask | readonly (boolean | number)[];
}

/** Every option of the modules' `forward`; any other key is refused. */
const FORWARD_OPTIONS = optionKeys<RecurrentForwardOptions>({ lengths: true, mask: true });

const MODULE_OPTIONS = [
  'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'batchFirst', 'dropout', 'bias', 'dtype', 'generator', 'recurrentInit',
  'recurrentDropout', 'zoneout',
] as const;

type Cell<S> = Module & { step(state: S, x: Tensor): { state: S; output: Tensor }; initialState(batch: number): S; inputSize: number; outputSize: number };

/**
 * The shared machinery of RNN, LSTM and GRU: numLayers × directions cells, registered under
 * PyTorch's names (`weight_ih_l{k}`, `…_reverse`), run as stacked (bidirectional) layers.
 * `S` is the module's state record: `{ h }` or `{ h, c }`, each [numLayers · directions, batch, H].
 */
abstract class RecurrentModule<S extends HiddenState> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  /** cells[k][0] is layer k's forward cell, cells[k][1] its backward cell (bidirectional only). */
  readonly cells: readonly (readonly Cell<S>[])[];
  private readonly stack: StackedLayers<readonly unknown[]>;
  private readonly stateKeys: readonly (keyof S & string)[];

  protected constructor(
    who: string, opts: RecurrentModuleOptions, extraOptions: readonly string[], stateKeys: readonly (keyof S & string)[],
    makeCell: (inputSize: number, dtype: FloatDType) => Cell<S>,
  ) {
    super();
    checkKnownOptions(who, opts, [...MODULE_OPTIONS, ...extraOptions]);
    this.inputSize = checkSize(who, 'inputSize', opts.inputSize);
    this.hiddenSize = checkSize(who, 'hiddenSize', opts.hiddenSize);
    this.numLayers = checkSize(who, 'numLayers', opts.numLayers ?? 1);
    this.bidirectional = opts.bidirectional ?? false;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (typeof this.dropout !== 'number' || !(this.dropout >= 0 && this.dropout < 1)) {
      throw new RangeError(`${who}: dropout must be in [0, 1); got ${String(opts.dropout)}`);
    }
    this.stateKeys = stateKeys;
    const dtype = checkFloatDType(who, opts.dtype);
    const D = this.bidirectional ? 2 : 1;
    const cells: Cell<S>[][] = [];
    const layers: SequenceLayer<unknown>[] = [];
    for (let k = 0; k < this.numLayers; k++) {
      // Layer k + 1 reads layer k's outputs: D · hiddenSize features (D · projSize with a projection).
      const inSize = k === 0 ? this.inputSize : D * cells[k - 1]![0]!.outputSize;
      const pair: Cell<S>[] = [];
      for (let d = 0; d < D; d++) {
        const cell = makeCell(inSize, dtype);
        // PyTorch's names: the cell's own names with the layer (and direction) appended.
        for (const [name, p] of cell.namedParameters()) this.registerParameter(`${name}_l${k}${d === 1 ? '_reverse' : ''}`, p);
        pair.push(cell);
      }
      cells.push(pair);
      layers.push(D === 2 ? new Bidirectional(pair[0]!, pair[1]!, { merge: 'concat' }) : new CellLayer(pair[0]!));
    }
    this.cells = cells;
    // Not registered as a child: the parameters are registered above under PyTorch's flat names.
    this.stack = new StackedLayers(layers, { dropout: this.dropout, generator: opts.generator });
  }

  /** The parameters' dtype (follows `to(dtype)`). */
  get dtype(): K.DType {
    return this.cells[0]![0]!.parameters()[0]!.dtype;
  }
  /** Features of each output step: directions · the cells' output size (hiddenSize, or projSize). */
  get outputSize(): number {
    return (this.bidirectional ? 2 : 1) * this.cells[0]![0]!.outputSize;
  }

  /** The features of state tensor `key` per row: hiddenSize (an LSTM's h with a projection: projSize). */
  protected stateSize(_key: string): number {
    return this.hiddenSize;
  }
  /** The name of that size in messages. */
  protected stateSizeName(_key: string): string {
    return 'hiddenSize';
  }

  /**
   * Runs every layer over the sequence.
   * x: [time, batch, inputSize] (or [batch, time, inputSize] with batchFirst);
   * state (optional, zeros by default): each of its tensors [numLayers · directions, batch, hiddenSize],
   * ordered layer 0 forward, layer 0 backward, layer 1 forward, … (PyTorch's h_0 / c_0).
   * Returns output [time, batch, directions · hiddenSize] (or batch-first) and the final state in the
   * same layout as the given one (PyTorch's h_n / c_n).
   *
   * Unbatched input, as PyTorch: x [time, inputSize] (batchFirst does not apply) gives output
   * [time, directions · hiddenSize] and state tensors [numLayers · directions, hiddenSize]; a given
   * state must then be unbatched too, and a mask is [time].
   */
  forward(x: Tensor, state?: S, opts: RecurrentForwardOptions = {}): { output: Tensor; state: S } {
    const who = `${this.constructor.name}.forward`;
    checkOptions(who, opts, FORWARD_OPTIONS);
    if (x instanceof Tensor && x.rank === 2) return this.forwardUnbatched(who, x, state, opts);
    if (x instanceof Tensor && x.rank !== 3) {
      const layout = this.batchFirst ? '[batch, time, features]' : '[time, batch, features]';
      throw new K.ShapeError(`${who}: x must be rank 3 ${layout} or rank 2 [time, features] (unbatched); got ${K.fmt(x.shape)}`);
    }
    return this.forwardBatched(who, x, state, opts, this.batchFirst);
  }

  private forwardBatched(who: string, x: Tensor, state: S | undefined, opts: RecurrentForwardOptions, batchFirst: boolean): { output: Tensor; state: S } {
    const { time, batch } = checkSequence(who, x, this.inputSize, batchFirst, 'x');
    if (x.dtype !== this.dtype) {
      throw new K.DTypeError(`${who}: x is ${x.dtype} but the parameters are ${this.dtype}; convert one (x.to('${this.dtype}') or module.to('${x.dtype}'))`);
    }
    if (opts.lengths !== undefined && opts.mask !== undefined) {
      throw new TypeError(`${who}: give lengths or mask, not both (a mask says everything lengths do)`);
    }
    const lengths = opts.lengths === undefined ? undefined : normalizeLengths(who, opts.lengths, batch, time);
    if (opts.mask !== undefined) normalizeMask(who, opts.mask as Mask, batch, time, batchFirst);
    const mask = opts.mask as Mask | undefined;
    const D = this.bidirectional ? 2 : 1;
    const rows = this.numLayers * D;
    let initialState: { layers: unknown[] } | undefined;
    if (state !== undefined) {
      // forward(x, { lengths }) puts the options where the state goes; say so instead of "state.h must be a Tensor".
      const stray = typeof state === 'object' && state !== null ? Object.keys(state).filter((k) => !(this.stateKeys as string[]).includes(k)) : [];
      if (stray.length) {
        throw new TypeError(`${who}: state has unknown key(s) ${stray.join(', ')}; a state is { ${this.stateKeys.join(', ')} }, and options go third: forward(x, state | undefined, { lengths })`);
      }
      const parts = this.stateKeys.map((key) => {
        const t = (state as Record<string, unknown>)[key];
        const size = this.stateSize(key), want = `[${rows}, ${batch}, ${size}]`;
        if (!(t instanceof Tensor)) throw new TypeError(`${who}: state.${key} must be a Tensor ${want}; got ${typeof t}`);
        if (t.rank !== 3 || t.shape[0] !== rows || t.shape[1] !== batch || t.shape[2] !== size) {
          throw new K.ShapeError(`${who}: state.${key} must be ${want} ([numLayers · directions, batch, ${this.stateSizeName(key)}]); got ${K.fmt(t.shape)}`);
        }
        if (t.dtype !== this.dtype) throw new K.DTypeError(`${who}: state.${key} is ${t.dtype} but the parameters are ${this.dtype}`);
        return t;
      });
      const cellState = (row: number) => Object.fromEntries(this.stateKeys.map((key, i) => [key, select(parts[i]!, 0, row)]));
      initialState = {
        layers: Array.from({ length: this.numLayers }, (_, k) =>
          D === 2 ? { forward: cellState(2 * k), backward: cellState(2 * k + 1) } : cellState(k)),
      };
    }
    // The cells are not children (their parameters are registered under PyTorch's names): pass the mode on.
    this.stack.train(this.training);
    const r = this.stack.run(x, { batchFirst, lengths, mask, initialState });
    // Back to PyTorch's layout: one [rows, batch, H] tensor per state key.
    const finals = (r.state.layers as unknown[]).flatMap((s) =>
      D === 2 ? [(s as { forward: S }).forward, (s as { backward: S }).backward] : [s as S]);
    const out = Object.fromEntries(this.stateKeys.map((key) => [key, stack(finals.map((s) => s[key] as Tensor), 0)])) as unknown as S;
    return { output: r.outputs, state: out };
  }

  /** x [time, inputSize]: one sequence, run as a batch of one, without the batch axis in and out. */
  private forwardUnbatched(who: string, x: Tensor, state: S | undefined, opts: RecurrentForwardOptions): { output: Tensor; state: S } {
    if (x.shape[1] !== this.inputSize || x.shape[0] === 0) {
      throw new K.ShapeError(`${who}: unbatched x must be [time, ${this.inputSize}] (time ≥ 1); got ${K.fmt(x.shape)}`);
    }
    if (opts.lengths !== undefined) {
      throw new TypeError(`${who}: lengths need batched input [time, batch, features]; an unbatched x [time, features] is one sequence (narrow it, or give a mask [time])`);
    }
    let mask: Mask | undefined;
    if (opts.mask !== undefined) {
      const m = opts.mask as unknown;
      const flat = m instanceof Tensor ? (m.rank === 1 ? [...m.values()] : null) : Array.isArray(m) && m.every((v) => !Array.isArray(v)) ? m as unknown[] : null;
      const shape = m instanceof Tensor ? K.fmt(m.shape) : Array.isArray(m) ? (flat ? `[${m.length}]` : 'nested arrays') : typeof m;
      if (flat === null || flat.length !== x.shape[0]) {
        throw new K.ShapeError(`${who}: for unbatched x ${K.fmt(x.shape)} the mask must be [time] = [${x.shape[0]}]; got ${shape}`);
      }
      mask = flat.map((v) => [v as boolean | number]);
    }
    let batched: S | undefined;
    if (state !== undefined) {
      const rows = this.numLayers * (this.bidirectional ? 2 : 1);
      const entries = this.stateKeys.map((key) => {
        const t = (state as Record<string, unknown>)[key];
        const size = this.stateSize(key), want = `[${rows}, ${size}]`;
        if (!(t instanceof Tensor)) throw new TypeError(`${who}: state.${key} must be a Tensor ${want} (unbatched, as x); got ${typeof t}`);
        if (t.rank !== 2 || t.shape[0] !== rows || t.shape[1] !== size) {
          throw new K.ShapeError(`${who}: for unbatched x, state.${key} must be ${want} ([numLayers · directions, ${this.stateSizeName(key)}]); got ${K.fmt(t.shape)}`);
        }
        return [key, unsqueeze(t, 1)];
      });
      batched = Object.fromEntries(entries) as unknown as S;
    }
    // Time-major with a batch of one, whatever batchFirst says (as in PyTorch, it does not apply).
    const r = this.forwardBatched(who, unsqueeze(x, 1), batched, { mask }, false);
    const out = Object.fromEntries(this.stateKeys.map((key) => [key, squeeze(r.state[key] as Tensor, 1)])) as unknown as S;
    return { output: squeeze(r.output, 1), state: out };
  }

  protected override stateDictHint(entries: Map<string, StateValue>, targets: Map<string, Tensor>): string | null {
    const hints: string[] = [];
    const keys = [...entries.keys()];
    const reverse = keys.some((k) => k.endsWith('_reverse'));
    if (reverse && !this.bidirectional) hints.push('the state dict has _reverse weights (a bidirectional module): build with bidirectional: true');
    if (!reverse && this.bidirectional && keys.some((k) => /_l\d+$/.test(k))) {
      hints.push('this module is bidirectional but the state dict has no _reverse weights: build with bidirectional: false');
    }
    const layerIds = keys.map((k) => /_l(\d+)(_reverse)?$/.exec(k)).filter((m) => m !== null).map((m) => Number(m![1]));
    if (layerIds.length && Math.max(...layerIds) + 1 !== this.numLayers) {
      hints.push(`the state dict has ${Math.max(...layerIds) + 1} layer(s) but this module has numLayers: ${this.numLayers}`);
    }
    const extra = this.layoutHint(entries, targets);
    if (extra) hints.push(extra);
    return hints.length ? hints.join('\n  ') : null;
  }

  /** A subclass's explanation of a cell-layout difference. */
  protected layoutHint(_entries: Map<string, StateValue>, _targets: Map<string, Tensor>): string | null {
    return null;
  }
}

/**
 * A multi-layer Elman RNN, as torch.nn.RNN: each layer runs h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 * (see RNNCell) over the sequence; layer k+1 reads layer k's outputs (both directions concatenated).
 * Parameters weight_ih_l{k}[_reverse] [H, I or D·H], weight_hh_l{k} [H, H], bias_ih_l{k}, bias_hh_l{k} [H].
 * forward(x [T, B, I], { h } [L·D, B, H]?) → output [T, B, D·H], state { h } [L·D, B, H].
 */
export class RNN extends RecurrentModule<HiddenState> {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(opts: RNNOptions) {
    const cellOpts = (inputSize: number, dtype: FloatDType): RNNCellOptions => ({
      inputSize, hiddenSize: opts.hiddenSize, nonlinearity: opts.nonlinearity, bias: opts.bias, dtype,
      generator: opts.generator, recurrentInit: opts.recurrentInit, fused: opts.fused, recurrentDropout: opts.recurrentDropout, zoneout: opts.zoneout,
    });
    super('RNN', opts, ['nonlinearity', 'fused'], ['h'], (i, d) => new RNNCell(cellOpts(i, d)));
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
  }
  /** Whether the layers run compiled (see `RNNOptions.fused`). Settable. */
  get fused(): boolean {
    return (this.cells[0]![0] as unknown as FusableCell).fused;
  }
  set fused(on: boolean) {
    setFused('RNN', this.cells, on);
  }
}

/**
 * A multi-layer LSTM, as torch.nn.LSTM (gate order i|f|g|o; see LSTMCell for the equations and the
 * variants: peephole, forgetGate, coupledGates, activations, forgetBias). Parameters
 * weight_ih_l{k}[_reverse] [4H, I or D·H], weight_hh_l{k} [4H, H], bias_ih_l{k}, bias_hh_l{k} [4H],
 * and with peepholes weight_ci_l{k}, weight_cf_l{k}, weight_co_l{k} [H].
 * forward(x [T, B, I], { h, c } [L·D, B, H]?) → output [T, B, D·H], state { h, c } [L·D, B, H].
 */
export class LSTM extends RecurrentModule<LSTMState> {
  constructor(opts: LSTMOptions) {
    const variant = [
      'peephole', 'forgetGate', 'coupledGates', 'gateActivation', 'cellActivation', 'hiddenActivation', 'forgetBias', 'fused', 'projSize', 'layerNorm',
    ] as const;
    const cellOpts = (inputSize: number, dtype: FloatDType): LSTMCellOptions => {
      const o: LSTMCellOptions = {
        inputSize, hiddenSize: opts.hiddenSize, bias: opts.bias, dtype, generator: opts.generator, recurrentInit: opts.recurrentInit,
        recurrentDropout: opts.recurrentDropout, zoneout: opts.zoneout,
      };
      for (const k of variant) if (opts[k] !== undefined) (o as unknown as Record<string, unknown>)[k] = opts[k];
      return o;
    };
    super('LSTM', opts, variant, ['h', 'c'], (i, d) => new LSTMCell(cellOpts(i, d)));
  }
  /** The projection's size P (PyTorch's proj_size), or 0. */
  get projSize(): number {
    return (this.cells[0]![0] as unknown as LSTMCell).projSize;
  }
  protected override stateSize(key: string): number {
    return key === 'h' && this.projSize ? this.projSize : this.hiddenSize;
  }
  protected override stateSizeName(key: string): string {
    return key === 'h' && this.projSize ? 'projSize' : 'hiddenSize';
  }
  /** Whether the layers run as fused ops (where the variant allows; see `LSTMOptions.fused`). Settable. */
  get fused(): boolean {
    return (this.cells[0]![0] as unknown as FusableCell).fused;
  }
  set fused(on: boolean) {
    setFused('LSTM', this.cells, on);
  }
  protected override layoutHint(entries: Map<string, StateValue>, targets: Map<string, Tensor>): string | null {
    return lstmStateDictHint(entries, targets, this.hiddenSize);
  }
}

/**
 * A multi-layer GRU, as torch.nn.GRU (gate order r|z|n, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
 * or Cho et al.'s reset-before form with resetAfter: false; see GRUCell). Parameters
 * weight_ih_l{k}[_reverse] [3H, I or D·H], weight_hh_l{k} [3H, H], bias_ih_l{k}, bias_hh_l{k} [3H].
 * forward(x [T, B, I], { h } [L·D, B, H]?) → output [T, B, D·H], state { h } [L·D, B, H].
 */
export class GRU extends RecurrentModule<HiddenState> {
  readonly resetAfter: boolean;
  constructor(opts: GRUOptions) {
    const cellOpts = (inputSize: number, dtype: FloatDType): GRUCellOptions => ({
      inputSize, hiddenSize: opts.hiddenSize, resetAfter: opts.resetAfter, bias: opts.bias, dtype,
      generator: opts.generator, recurrentInit: opts.recurrentInit, fused: opts.fused, recurrentDropout: opts.recurrentDropout, zoneout: opts.zoneout,
    });
    super('GRU', opts, ['resetAfter', 'fused'], ['h'], (i, d) => new GRUCell(cellOpts(i, d)));
    this.resetAfter = opts.resetAfter ?? true;
  }
  /** Whether the layers run as fused ops (see `GRUOptions.fused`). Settable. */
  get fused(): boolean {
    return (this.cells[0]![0] as unknown as FusableCell).fused;
  }
  set fused(on: boolean) {
    setFused('GRU', this.cells, on);
  }
}

function setFused(who: string, cells: readonly (readonly Module[])[], on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`${who}.fused must be a boolean; got ${String(on)}`);
  for (const row of cells) for (const cell of row) (cell as unknown as FusableCell).fused = on;
}
