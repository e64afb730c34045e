// What the built-in cells share: option checks, activations by name, orthogonal recurrent init
// and reading shapes out of state-dict values (the rest of a cell's set-up is CellBase).
import * as K from '@unroll/core';
import { Parameter, Tensor, init, sigmoid, tanh, relu } from '@unroll/autograd';
import type { FloatDType } from '@unroll/core';
import type { CellBaseOptions, StateShape } from '../cell-base.js';
import type { DType, RandomGenerator, StateValue } from '@unroll/autograd';

/** An activation by name, or any function Tensor → Tensor (elementwise, shape-preserving). */
export type Activation = 'sigmoid' | 'tanh' | 'relu' | 'identity' | ((x: Tensor) => Tensor);

/** The dtypes parameters can have (declared once, in core). */
export type { FloatDType } from '@unroll/core';

/** The options every built-in cell takes (`RNNCellOptions`, `LSTMCellOptions` and `GRUCellOptions` add their own). */
export interface RecurrentCellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Keep the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Random source for the initial weights (the default generator if omitted). */
  generator?: RandomGenerator;
  /** 'uniform' (default, PyTorch's U(−1/√H, 1/√H)) or 'orthogonal' for weight_hh (each gate block on its own). */
  recurrentInit?: RecurrentInit;
}

const ACTIVATIONS = {
  sigmoid,
  tanh,
  relu,
  identity: (x: Tensor) => x,
} as const;

/** Resolves an activation option; `who` and `option` name it in the error. */
export function resolveActivation(who: string, option: string, a: Activation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  if (typeof a === 'string' && Object.hasOwn(ACTIVATIONS, a)) return ACTIVATIONS[a as keyof typeof ACTIVATIONS];
  throw new TypeError(`${who}: ${option} must be 'sigmoid', 'tanh', 'relu', 'identity' or a function; got ${String(a)}`);
}

/** Throws unless `v` is a positive integer. */
export function checkSize(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${who}: ${name} must be a positive integer; got ${String(v)}`);
  }
  return v;
}

/** Throws unless `dtype` is a float dtype; returns it (float32 when omitted). */
export function checkFloatDType(who: string, dtype: DType | undefined): FloatDType {
  const d = dtype ?? 'float32';
  if (d !== 'float32' && d !== 'float64') throw new K.DTypeError(`${who}: dtype must be 'float32' or 'float64'; got ${String(d)}`);
  return d;
}

/**
 * The `CellBase` options of a built-in cell, after checking its options object (unknown keys, the
 * sizes, the dtype): `super(builtinCell('GRUCell', opts, OPTIONS, (H) => ({ h: H })))`.
 */
export function builtinCell<S>(
  who: string, opts: RecurrentCellOptions, known: readonly string[], state: (hiddenSize: number) => StateShape<S>,
): CellBaseOptions<S> {
  checkKnownOptions(who, opts, known);
  const inputSize = checkSize(who, 'inputSize', opts.inputSize);
  const H = checkSize(who, 'hiddenSize', opts.hiddenSize);
  const dtype = checkFloatDType(who, opts.dtype);
  return { name: who, inputSize, outputSize: H, state: state(H), dtype, generator: opts.generator };
}

/** Throws when `opts` holds a key this constructor does not know (no option is silently ignored). */
export function checkKnownOptions(who: string, opts: object, known: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new TypeError(`${who}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/** How weight_hh starts: 'uniform' (PyTorch's default) or 'orthogonal' (each gate block). */
export type RecurrentInit = 'uniform' | 'orthogonal';

/**
 * Applies `recurrentInit` to a [G·H, H] recurrent weight: for 'orthogonal', each gate's H × H block
 * becomes a random orthogonal matrix (init.orthogonal), so every gate's recurrence starts
 * norm-preserving; 'uniform' (or undefined) keeps the U(−1/√H, 1/√H) draw.
 */
export function initRecurrent(
  who: string, mode: RecurrentInit | undefined, w: Parameter, gates: number, hidden: number, generator?: RandomGenerator,
): void {
  if (mode === undefined || mode === 'uniform') return;
  if (mode !== 'orthogonal') throw new TypeError(`${who}: recurrentInit must be 'uniform' or 'orthogonal'; got ${String(mode)}`);
  const values = w.data.data as K.FloatArray;
  for (let g = 0; g < gates; g++) {
    const block = new Tensor(K.zeros([hidden, hidden], { dtype: 'float64' }));
    init.orthogonal(block, { generator });
    values.set(K.contiguous(K.cast(block.data, w.dtype)), g * hidden * hidden);
  }
}

/** The shape of a state-dict value (a Tensor, an ndarray or nested arrays). */
export function shapeOfValue(v: StateValue): number[] {
  if (v instanceof Tensor) return v.shape;
  if (typeof v === 'object' && v !== null && 'stride' in v) return [...(v as K.NdArray).shape];
  return K.shapeOfNested(v as K.Nested);
}
