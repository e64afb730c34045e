// Bridges: explicit functions from the encoder's final state to the decoder's initial state —
// identity, zeros, and a learned Linear + tanh for states of different shapes.
import * as K from '@unroll/core';
import { Linear, Module, Tensor, concat, reshape, tanh } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';
import { mapState, stateTensors } from '../cell.js';
import type { InitialStateOptions } from '../cell.js';
import { checkFloatDType } from '../cells/common.js';
import type { FloatDType } from '../cells/common.js';

/** encoder state → decoder cell state, as a plain function. */
export type BridgeFn<SE, SD> = (encoderState: SE) => SD;
/** A bridge with parameters (a Module with `forward`, e.g. LinearBridge). */
export interface BridgeModule<SE, SD> {
  forward(encoderState: SE): SD;
}
/** What Seq2Seq accepts as its bridge: any function, or an object with `forward` (registered when a Module). */
export type Bridge<SE, SD> = BridgeFn<SE, SD> | BridgeModule<SE, SD>;

/** Something that makes states: an Encoder, a cell, a decoder's cell. */
export interface StateSource<S> {
  initialState(batch: number, opts?: InitialStateOptions): S;
}

/** The encoder's final state passed on unchanged: for an encoder cell and a decoder cell of one state shape. */
export function identityBridge<S>(): BridgeFn<S, S> {
  return (state) => state;
}

/**
 * The decoder starts from its cell's initial state (zeros), whatever the encoder ends in — common
 * with attention, where the decoder reads the source through the attention instead.
 */
export function zeroBridge<SE, SD>(decoderCell: StateSource<SD>): BridgeFn<SE, SD> {
  return (state) => {
    const first = stateTensors(state)[0]?.[1];
    if (!first) throw new TypeError('zeroBridge: the encoder state holds no tensor to read the batch size from');
    return decoderCell.initialState(first.shape[0]!, { dtype: first.dtype });
  };
}

export interface LinearBridgeOptions {
  /** 'tanh' (default, Bahdanau et al.: s₀ = tanh(W h)) or 'identity'. */
  activation?: 'tanh' | 'identity';
  /**
   * Which encoder-state tensors feed the bridge, by path (`state.h`, `state.backward.h`,
   * `state.layers[1].c`); default all. E.g. `(p) => p.endsWith('.h')` reads only hidden states.
   */
  select?: (path: string) => boolean;
  dtype?: FloatDType;
  generator?: RandomGenerator;
}

/**
 * A learned bridge for states of any shapes: the selected encoder-state tensors are flattened per
 * row and concatenated into u [B, F], and every tensor of the decoder state is act(W_k u + b_k),
 * reshaped to its place. Covers bidirectional → unidirectional, different hidden sizes and
 * different state records (LSTM { h, c } → GRU { h }). `from` and `to` only provide the state
 * shapes (initialState(1)): pass the Encoder and the decoder's cell.
 */
export class LinearBridge<SE, SD> extends Module implements BridgeModule<SE, SD> {
  readonly activation: 'tanh' | 'identity';
  /** Encoder-state paths read, in order. */
  readonly inputPaths: readonly string[];
  /** Decoder-state paths written, each with its shape after the batch axis. */
  readonly outputs: readonly { path: string; shape: readonly number[]; linear: Linear }[];
  private readonly select: (path: string) => boolean;
  private readonly template: SD;
  private readonly inputShapes: readonly (readonly number[])[];

  constructor(from: StateSource<SE>, to: StateSource<SD>, opts: LinearBridgeOptions = {}) {
    super();
    const who = 'LinearBridge';
    this.activation = opts.activation ?? 'tanh';
    if (this.activation !== 'tanh' && this.activation !== 'identity') {
      throw new TypeError(`${who}: activation must be 'tanh' or 'identity'; got ${String(this.activation)}`);
    }
    if (typeof from?.initialState !== 'function' || typeof to?.initialState !== 'function') {
      throw new TypeError(`${who}: from and to must have initialState(batch) (pass the Encoder and the decoder's cell)`);
    }
    this.select = opts.select ?? (() => true);
    const dtype = checkFloatDType(who, opts.dtype);
    const inputs = stateTensors(from.initialState(1, { dtype })).filter(([p]) => this.select(p));
    if (inputs.length === 0) throw new TypeError(`${who}: no encoder-state tensor was selected`);
    this.inputPaths = inputs.map(([p]) => p);
    this.inputShapes = inputs.map(([, t]) => t.shape.slice(1));
    const inFeatures = this.inputShapes.reduce((n, s) => n + K.sizeOf(s), 0);
    this.template = to.initialState(1, { dtype });
    this.outputs = stateTensors(this.template).map(([path, t]) => {
      const shape = t.shape.slice(1);
      const linear = new Linear(inFeatures, K.sizeOf(shape), { dtype, generator: opts.generator });
      this.registerModule(path.replace(/^state\.?/, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'state', linear);
      return { path, shape, linear };
    });
  }

  /** The decoder cell's initial state, computed from the encoder's final state. */
  forward(state: SE): SD {
    const who = 'LinearBridge.forward';
    const picked = stateTensors(state).filter(([p]) => this.select(p));
    if (picked.length !== this.inputPaths.length || picked.some(([p], i) => p !== this.inputPaths[i])) {
      throw new TypeError(`${who}: the encoder state has tensors ${picked.map(([p]) => p).join(', ') || '(none)'}; expected ${this.inputPaths.join(', ')}`);
    }
    const batch = picked[0]![1].shape[0]!;
    const flat = picked.map(([p, t], i) => {
      if (t.shape[0] !== batch || !K.sameShape(t.shape.slice(1), this.inputShapes[i]!)) {
        throw new K.ShapeError(`${who}: ${p} must be [${[batch, ...this.inputShapes[i]!].join(', ')}]; got ${K.fmt(t.shape)}`);
      }
      return t.rank === 2 ? t : reshape(t, [batch, K.sizeOf(this.inputShapes[i]!)]);
    });
    const u = flat.length === 1 ? flat[0]! : concat(flat, 1);
    let k = 0;
    return mapState(this.template, () => {
      const { shape, linear } = this.outputs[k++]!;
      let y = linear.forward(u);
      if (this.activation === 'tanh') y = tanh(y);
      return shape.length === 1 ? y : reshape(y, [batch, ...shape]);
    });
  }
}

/** Calls a bridge (a function or an object with forward). */
export function applyBridge<SE, SD>(bridge: Bridge<SE, SD>, state: SE): SD {
  return typeof bridge === 'function' ? bridge(state) : bridge.forward(state);
}

/**
 * Throws unless `state` has the structure of `template` (same paths) and every tensor is
 * [batch, ...the template's shape after its batch axis].
 */
export function checkBridgedState(who: string, state: unknown, template: unknown, batch: number): void {
  const got = state === undefined || state === null ? [] : stateTensors(state);
  const want = stateTensors(template);
  const hint = 'use a LinearBridge (or your own function) to map the encoder state to the decoder cell\'s state';
  if (got.length !== want.length || got.some(([p], i) => p !== want[i]![0])) {
    throw new TypeError(`${who}: the bridge returned a state with ${got.map(([p]) => p).join(', ') || 'no tensors'}; the decoder cell's state has ${want.map(([p]) => p).join(', ')} — ${hint}`);
  }
  got.forEach(([p, t], i) => {
    const shape = [batch, ...want[i]![1].shape.slice(1)];
    if (!(t instanceof Tensor) || !K.sameShape(t.shape, shape)) {
      throw new K.ShapeError(`${who}: the bridge returned ${p} ${K.fmt(t.shape)}; the decoder cell needs ${K.fmt(shape)} — ${hint}`);
    }
  });
}
