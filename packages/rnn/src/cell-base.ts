// CellBase: what every recurrent cell needs besides its equations — parameters registered under
// their state-dict names, x and the state validated with the house messages before each step, and
// the initial state derived from a declared state shape.
import * as K from '@unroll/core';
import type { FloatDType } from '@unroll/core';
import { Module, Parameter, Tensor } from '@unroll/autograd';
import type { DType, RandomGenerator } from '@unroll/autograd';
import type { InitialStateOptions, RecurrentCell } from './cell.js';

/** Each state tensor's shape after the batch axis: `{ h: 6 }` is h: [batch, 6]; `{ m: [2, 6] }` is m: [batch, 2, 6]. */
export type StateShape<S> = { readonly [K in keyof S]: number | readonly number[] };

/** How `CellBase.parameter` fills a new parameter. */
export type ParameterInit = 'uniform' | 'zeros' | 'ones' | { readonly uniform: number };

export interface CellBaseOptions<S> {
  /** Features of each input x_t. */
  inputSize: number;
  /** Features of each output y_t. */
  outputSize: number;
  /** The state's tensors by name and their shape after the batch axis (`{ h: hiddenSize, c: hiddenSize }`). */
  state: StateShape<S>;
  /** dtype of the parameters `parameter()` creates (default float32). */
  dtype?: FloatDType;
  /** Random source for `parameter()`'s initial values (the default generator if omitted). */
  generator?: RandomGenerator;
  /** The name in error messages (`MyCell.step: …`); default the class name. */
  name?: string;
}

/**
 * A base class for recurrent cells: extend it, create weights with `this.parameter(...)` in the
 * constructor, and write the step's equations in `forward(state, x)`. The base supplies the rest of
 * the `RecurrentCell` protocol:
 *
 * - `step(state, x)` checks x ([batch, inputSize], the parameters' dtype) and every declared state
 *   tensor ([batch, ...shape], same dtype), then calls `forward`; a wrong shape is reported as
 *   `MyCell.step: state.h must be [2, 6]; got [2, 5]` instead of surfacing as a matmul error. The
 *   checks read shapes and dtypes only (no op runs on values), so tracing a step is unaffected.
 * - `initialState(batch, { dtype })` returns zeros of the declared shapes.
 * - parameters are registered under the names given (the state-dict keys), so optimizers,
 *   `stateDict`, `to(dtype)` and `gradcheckModule` find them.
 *
 * The state is a flat record of tensors ({ h }, { h, c }, …). A cell whose state is nested, or that
 * must not be a Module, can still implement `RecurrentCell` directly.
 *
 * @example
 * class MGU extends CellBase<{ h: Tensor }> { … }  // see the rnn README ("Writing a cell")
 */
export abstract class CellBase<S extends Record<keyof S, Tensor>> extends Module implements RecurrentCell<S> {
  readonly inputSize: number;
  readonly outputSize: number;
  /** The declared state: each tensor's shape after the batch axis. */
  readonly stateShape: { readonly [K in keyof S]: readonly number[] };
  /** The name in error messages (`${cellName}.step`). */
  readonly cellName: string;
  private readonly defaultDType: FloatDType;
  private readonly generator: RandomGenerator | undefined;
  // An ES private field: not an own enumerable property, so code that walks a cell's fields sees only its weights.
  #firstParameter: Parameter | null = null;

  constructor(opts: CellBaseOptions<S>) {
    super();
    const name = opts.name ?? new.target.name;
    this.cellName = name;
    this.inputSize = checkPositive(name, 'inputSize', opts.inputSize);
    this.outputSize = checkPositive(name, 'outputSize', opts.outputSize);
    if (typeof opts.state !== 'object' || opts.state === null || Object.keys(opts.state).length === 0) {
      throw new TypeError(`${name}: state must name at least one state tensor and its size ({ h: hiddenSize }); got ${String(opts.state)}`);
    }
    const shapes: Record<string, readonly number[]> = {};
    for (const [key, size] of Object.entries(opts.state as Record<string, number | readonly number[]>)) {
      const dims = typeof size === 'number' ? [size] : Array.isArray(size) ? [...size] : null;
      if (!dims || dims.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new RangeError(`${name}: state.${key} must be a positive integer or a list of them (its shape after the batch); got ${String(size)}`);
      }
      shapes[key] = dims;
    }
    this.stateShape = shapes as { readonly [K in keyof S]: readonly number[] };
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new K.DTypeError(`${name}: dtype must be 'float32' or 'float64'; got ${String(dtype)}`);
    this.defaultDType = dtype;
    this.generator = opts.generator;
  }

  /** The parameters' dtype (follows `to(dtype)`); the constructor's `dtype` while there are none. */
  get dtype(): DType {
    return this.#firstParameter?.dtype ?? this.defaultDType;
  }

  /**
   * Creates and registers a parameter `name` (its state-dict key) of `shape`, in the cell's dtype.
   * `init`: 'uniform' (default) draws U(−1/√outputSize, 1/√outputSize), PyTorch's RNN init;
   * `{ uniform: k }` draws U(−k, k); 'zeros' and 'ones' fill.
   */
  protected parameter(name: string, shape: readonly number[], init: ParameterInit = 'uniform'): Parameter {
    const dtype = this.dtype as FloatDType;
    let value: K.NdArray;
    if (init === 'zeros' || init === 'ones') {
      value = K.zeros([...shape], { dtype });
      if (init === 'ones') (value.data as K.FloatArray).fill(1);
    } else {
      const k = init === 'uniform' ? 1 / Math.sqrt(this.outputSize) : init.uniform;
      if (!(typeof k === 'number' && k >= 0 && Number.isFinite(k))) {
        throw new RangeError(`${this.cellName}: parameter '${name}' init must be 'uniform', 'zeros', 'ones' or { uniform: k ≥ 0 }; got ${JSON.stringify(init)}`);
      }
      value = K.randUniform([...shape], -k, k, { dtype, generator: this.generator });
    }
    return this.registerParameter(name, new Parameter(value));
  }

  /** `parameter(name, shape, init)` when `present`, else registers `name` as absent (null) and returns null. */
  protected parameterIf(present: boolean, name: string, shape: readonly number[], init?: ParameterInit): Parameter | null {
    return present ? this.parameter(name, shape, init) : this.registerParameter(name, null);
  }

  override registerParameter<P extends Parameter | null>(name: string, p: P): P {
    this.#firstParameter ??= p;
    return super.registerParameter(name, p);
  }

  /** Zeros of the declared state shapes, [batch, ...shape] each, in `opts.dtype` (default the parameters'). */
  initialState(batch: number, opts: InitialStateOptions = {}): S {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new RangeError(`${this.cellName}.initialState: batch must be a positive integer; got ${batch}`);
    }
    const dtype = opts.dtype ?? this.dtype;
    const state: Record<string, Tensor> = {};
    for (const [key, dims] of Object.entries(this.stateShape as Record<string, readonly number[]>)) {
      state[key] = new Tensor(K.zeros([batch, ...dims], { dtype }));
    }
    return state as S;
  }

  /** One step: checks x and the state (see the class comment), then runs `forward`. */
  step(state: S, x: Tensor): { state: S; output: Tensor } {
    const batch = this.checkInput(x);
    this.checkState(state, batch);
    return this.forward(state, x);
  }

  /** The step's equations: x [batch, inputSize], a checked state → the next state and output [batch, outputSize]. */
  protected abstract forward(state: S, x: Tensor): { state: S; output: Tensor };

  /** Validates x: a Tensor [batch, inputSize] of the parameters' dtype; returns the batch. */
  checkInput(x: unknown, who = `${this.cellName}.step`): number {
    const inputSize = this.inputSize, dtype = this.dtype;
    if (!(x instanceof Tensor)) throw new TypeError(`${who}: x must be a Tensor [batch, ${inputSize}]; got ${describe(x)}`);
    if (x.rank !== 2 || x.shape[1] !== inputSize || x.shape[0] === 0) {
      throw new K.ShapeError(`${who}: x must be [batch, ${inputSize}]; got ${K.fmt(x.shape)}`);
    }
    this.checkDType(x, who);
    return x.shape[0]!;
  }

  /** Throws unless `x` (an input or a whole sequence) has the parameters' dtype. */
  checkDType(x: Tensor, who = `${this.cellName}.step`): void {
    const dtype = this.dtype;
    if (x.dtype !== dtype) {
      throw new K.DTypeError(`${who}: x is ${x.dtype} but the parameters are ${dtype}; convert one (x.to('${dtype}') or cell.to('${x.dtype}'))`);
    }
  }

  /**
   * Validates a state for `batch` sequences: a record with the declared keys, each a Tensor
   * [batch, ...shape] of the parameters' dtype. Returns it, typed.
   */
  checkState(state: unknown, batch: number, who = `${this.cellName}.step`): S {
    const shapes = this.stateShape as Record<string, readonly number[]>;
    const keys = Object.keys(shapes);
    if (typeof state !== 'object' || state === null || Array.isArray(state) || state instanceof Tensor) {
      throw new TypeError(`${who}: state must be a record with ${keys.map((k) => `'${k}'`).join(', ')}; got ${describe(state)}`);
    }
    // Other keys are left alone (a GRU may be handed an LSTM's { h, c }, as built-in cells always allowed).
    const record = state as Record<string, unknown>;
    const dtype = this.dtype;
    for (const key of keys) {
      const want = [batch, ...shapes[key]!];
      const t = record[key];
      if (!(t instanceof Tensor)) throw new TypeError(`${who}: state.${key} must be a Tensor ${K.fmt(want)}; got ${describe(t)}`);
      if (!K.sameShape(t.shape, want)) throw new K.ShapeError(`${who}: state.${key} must be ${K.fmt(want)}; got ${K.fmt(t.shape)}`);
      if (t.dtype !== dtype) {
        throw new K.DTypeError(`${who}: state.${key} is ${t.dtype} but the parameters are ${dtype}; convert it with .to('${dtype}')`);
      }
    }
    return state as S;
  }
}

function checkPositive(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${who}: ${name} must be a positive integer; got ${String(v)}`);
  }
  return v;
}

/** A value as error messages name it. */
export function describe(v: unknown): string {
  if (v instanceof Tensor) return `Tensor ${K.fmt(v.shape)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
