// The recurrent-cell protocol (one step: state-first, explicit initial state) and helpers
// that work on any state record: map over its tensors, detach, pick batch rows, mask.
import * as K from '@unroll/core';
import { Tensor, indexSelect, tensor, where, ShapeError } from '@unroll/autograd';
import type { DType } from '@unroll/autograd';

/** Options of `RecurrentCell.initialState`. */
export interface InitialStateOptions {
  /** dtype of the state tensors (a cell with parameters defaults to theirs). */
  dtype?: DType;
}

/**
 * One step of a recurrent network. That is the whole protocol: any object with these four
 * members — a class of ours, a user's class, a plain object — runs under `unroll`, stacks
 * with `stackCells`, goes `bidirectional`, and serves as an encoder or a decoder.
 *
 * The state is a named record of tensors (`{ h }`, `{ h, c }`, or nested records and arrays
 * of them), never a tuple. Every tensor in a state has the batch as its first axis
 * ([batch, ...]): the runner masks padded steps and picks rows along that axis.
 */
export interface RecurrentCell<S> {
  /** Features of each input x_t. */
  readonly inputSize: number;
  /** Features of each output y_t. */
  readonly outputSize: number;
  /** The state before the first step (zeros for the built-in cells), for `batch` sequences. */
  initialState(batch: number, opts?: InitialStateOptions): S;
  /** One step. x: [batch, inputSize] → output: [batch, outputSize] and the next state. */
  step(state: S, x: Tensor): { state: S; output: Tensor };
  /**
   * Optional: a new sequence of `batch` rows starts. The runner calls it before the first step of
   * every run (so do stackCells, the layers, the modules and the seq2seq Decoder's initialState);
   * a cell that draws something once per sequence — recurrent dropout's masks — draws it anew.
   * A loop that calls `step` itself calls it at the start of each sequence.
   */
  beginSequence?(batch: number, opts?: InitialStateOptions): void;
}

/** The state type of a cell. */
export type StateOf<C> = C extends RecurrentCell<infer S> ? S : never;

/** `{ h }`: the state of RNNCell and GRUCell. h: [batch, hiddenSize]. */
export interface HiddenState {
  readonly h: Tensor;
}
/** `{ h, c }`: the state of LSTMCell (hidden state and cell state). h, c: [batch, hiddenSize]. */
export interface LSTMState {
  readonly h: Tensor;
  readonly c: Tensor;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * A copy of `state` with `f` applied to every tensor in it, at any depth (records and arrays are
 * rebuilt, other values are kept). `path` names the tensor (`layers[1].c`) for error messages.
 */
export function mapState<S>(state: S, f: (t: Tensor, path: string) => Tensor, path = 'state'): S {
  if (state instanceof Tensor) return f(state, path) as S;
  if (Array.isArray(state)) return state.map((v, i) => mapState(v, f, `${path}[${i}]`)) as S;
  if (isRecord(state)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state)) out[k] = mapState(v, f, `${path}.${k}`);
    return out as S;
  }
  return state;
}

/**
 * Combines two states of one structure tensor by tensor: `f(a_t, b_t)` at every tensor position.
 * Throws when the structures differ (a key or a length missing).
 */
export function zipState<S>(a: S, b: S, f: (x: Tensor, y: Tensor, path: string) => Tensor, path = 'state'): S {
  if (a instanceof Tensor) {
    if (!(b instanceof Tensor)) throw new TypeError(`zipState: ${path} is a Tensor in one state but not in the other`);
    return f(a, b, path) as S;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || b.length !== a.length) throw new TypeError(`zipState: ${path} differs in length between the states`);
    return a.map((v, i) => zipState(v, b[i], f, `${path}[${i}]`)) as S;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) throw new TypeError(`zipState: ${path} is a record in one state but not in the other`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) {
      if (!(k in b)) throw new TypeError(`zipState: ${path}.${k} is missing from the second state`);
      out[k] = zipState(v, b[k], f, `${path}.${k}`);
    }
    return out as S;
  }
  return a;
}

/** Every tensor in `state` with its path, in a fixed order (records by key order, arrays by index). */
export function stateTensors(state: unknown, path = 'state'): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  mapState(state, (t, p) => { out.push([p, t]); return t; }, path);
  return out;
}

/**
 * The state cut from the graph: the same values, no gradient flows back through them.
 * Carrying a state across chunks with this is truncated backpropagation through time.
 */
export function detachState<S>(state: S): S {
  return mapState(state, (t) => t.detach());
}

/**
 * Rows `rows` of every tensor in the state (axis 0, the batch): `selectStateRows(s, [2, 0])`
 * reorders or subsets a batch (e.g. keeping the surviving hypotheses in beam search).
 */
export function selectStateRows<S>(state: S, rows: readonly number[] | Tensor): S {
  const ids = rows instanceof Tensor ? rows : tensor([...rows], { dtype: 'int32' });
  if (ids.dtype !== 'int32' || ids.rank !== 1) {
    throw new ShapeError(`selectStateRows: rows must be a number[] or an int32 tensor [rows]; got ${ids.dtype} [${ids.shape.join(', ')}]`);
  }
  const picked = ids.values();
  return mapState(state, (t, path) => {
    const batch = t.shape[0] ?? 0;
    for (const r of picked) {
      if (!(r >= 0 && r < batch)) {
        throw new RangeError(`selectStateRows: row ${r} is out of range for ${path} [${t.shape.join(', ')}]`);
      }
    }
    return indexSelect(t, 0, ids);
  });
}

/**
 * Per batch row, the row of `a` where `mask` is true (nonzero), else the row of `b`.
 * `mask` is boolean[] / number[] or a tensor [batch]; it is broadcast over each tensor's other
 * axes. Gradients flow to whichever state was picked, row by row.
 */
export function whereState<S>(mask: readonly (boolean | number)[] | Tensor, a: S, b: S): S {
  const m = mask instanceof Tensor ? mask : tensor(mask.map((v) => (v ? 1 : 0)), { dtype: 'int32' });
  if (m.rank !== 1) throw new ShapeError(`whereState: mask must be [batch]; got [${m.shape.join(', ')}]`);
  const batch = m.shape[0]!;
  return zipState(a, b, (x, y, path) => {
    if (x.shape[0] !== batch || y.shape[0] !== batch) {
      throw new ShapeError(`whereState: ${path} must have batch ${batch} on axis 0 (the mask's length); got [${x.shape.join(', ')}] and [${y.shape.join(', ')}]`);
    }
    // The mask takes no gradient, so it is reshaped as a plain array (int32 masks too).
    return where(new Tensor(K.reshape(m.data, [batch, ...x.shape.slice(1).map(() => 1)])), x, y);
  });
}
