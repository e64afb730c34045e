// The runner: unrolls any RecurrentCell over time (time-major or batch-first), with an initial
// state, per-sequence lengths (padded steps leave the state alone) and reverse order.
import * as K from '@unroll/core';
import { isPadded, paddingBounds } from './padding.js';
import { Tensor, checkOptions, optionKeys, select, stack, where, zeros } from '@unroll/autograd';
import { stateTensors, whereState } from './cell.js';
import type { RecurrentCell } from './cell.js';

/** Per-sequence lengths: a number[] or an int32 tensor [batch]. */
export type Lengths = readonly number[] | Tensor;

export interface UnrollOptions<S> {
  /** xs (and outputs) are [batch, time, features] instead of [time, batch, features]. Default false. */
  batchFirst?: boolean;
  /** The state before the first step (default `cell.initialState(batch, { dtype: xs.dtype })`). */
  initialState?: S;
  /**
   * Real length of each sequence, in [1, time]; steps at and after it are padding: they leave the
   * state unchanged and their outputs are zero. The final state is each sequence's state after
   * its last real step. Default: every sequence is `time` long.
   */
  lengths?: Lengths;
  /**
   * Process each sequence from its last REAL step back to its first (padding stays at the end, as
   * with packed sequences in PyTorch). Outputs stay in input time order. Default false.
   */
  reverse?: boolean;
}

/** Every option `unroll` understands; any other key is refused. Adding an option adds one line here. */
export const UNROLL_OPTIONS = optionKeys<UnrollOptions<unknown>>({ batchFirst: true, initialState: true, lengths: true, reverse: true });

export interface UnrollResult<S> {
  /** [time, batch, outputSize], or [batch, time, outputSize] with batchFirst. */
  outputs: Tensor;
  /** The state after each sequence's last processed step. */
  state: S;
}

/** The validated arguments `unroll` hands a cell's `fusedUnroll`. */
export interface FusedUnrollArgs<S> {
  readonly batchFirst: boolean;
  readonly reverse: boolean;
  /** Each sequence's length in [1, time], or null when every sequence fills the time axis. */
  readonly lengths: readonly number[] | null;
  /** The state before the first step (given, or the cell's initialState); its batch is checked. */
  readonly initialState: S;
}

/**
 * An optional extra a cell may have besides the four protocol members: a whole-sequence kernel
 * (LSTMCell and GRUCell run a fused op here). `unroll` calls it after validating xs, lengths and the
 * initial state's batch, and uses its result unless it returns null (a variant it does not fuse, or
 * fusion switched off). It must return exactly what the step loop would: same layout, same final state.
 */
export interface FusedUnroll<S> {
  fusedUnroll(xs: Tensor, args: FusedUnrollArgs<S>): UnrollResult<S> | null;
}

/**
 * Runs `cell.step` over every time step of `xs`, threading the state.
 * xs: [time, batch, inputSize] (or [batch, time, inputSize] with `batchFirst`) →
 * outputs: [time, batch, outputSize] in the same layout, and the final state.
 * The cell is used only through the `RecurrentCell` protocol — plus, when the cell has one, its
 * `fusedUnroll` (see `FusedUnroll`), which runs the whole sequence as one op.
 */
export function unroll<S>(cell: RecurrentCell<S>, xs: Tensor, opts: UnrollOptions<S> = {}): UnrollResult<S> {
  checkCell('unroll', cell);
  checkOptions('unroll', opts, UNROLL_OPTIONS);
  const { batchFirst = false, reverse = false } = opts;
  const { time, batch } = checkSequence('unroll', xs, cell.inputSize, batchFirst);
  const lengths = opts.lengths === undefined ? null : normalizeLengths('unroll', opts.lengths, batch, time);
  const timeAxis = batchFirst ? 1 : 0;

  let state = opts.initialState ?? cell.initialState(batch, { dtype: xs.dtype });
  checkStateBatch('unroll', state, batch, xs.shape, opts.initialState === undefined ? 'cell.initialState()' : 'initialState');
  const fused = (cell as Partial<FusedUnroll<S>>).fusedUnroll;
  if (typeof fused === 'function') {
    const r = fused.call(cell, xs, { batchFirst, reverse, lengths, initialState: state });
    if (r !== null) return r;
  }
  const { minLen: minLength, maxLen: maxLength } = paddingBounds(lengths, time);
  const ys: Tensor[] = new Array(time);
  for (let k = 0; k < time; k++) {
    const t = reverse ? time - 1 - k : k;
    if (t >= maxLength) {
      // Every sequence is padded here: nothing to compute, the state is unchanged, outputs are zero.
      ys[t] = zeros([batch, cell.outputSize], { dtype: xs.dtype });
      continue;
    }
    const r = cell.step(state, select(xs, timeAxis, t));
    checkOutput(r.output, batch, cell.outputSize);
    if (t < minLength) {
      state = r.state;
      ys[t] = r.output;
    } else {
      // Some sequences are padded at t: keep their old state, zero their output.
      const mask = lengths!.map((_, b) => (isPadded(lengths, t, b) ? 0 : 1));
      state = whereState(mask, r.state, state);
      ys[t] = where(new Tensor(K.fromNested(mask.map((m) => [m]), { dtype: 'int32' })), r.output, 0);
    }
  }
  return { outputs: stack(ys, timeAxis), state };
}

/** Throws unless `cell` keeps the protocol (checked by shape of the object, never by class). */
export function checkCell(who: string, cell: unknown, name = 'cell'): void {
  const c = cell as Partial<RecurrentCell<unknown>> | null;
  if (typeof c !== 'object' || c === null || typeof c.step !== 'function' || typeof c.initialState !== 'function') {
    throw new TypeError(`${who}: ${name} must be a RecurrentCell (step(state, x), initialState(batch), inputSize, outputSize)`);
  }
  for (const k of ['inputSize', 'outputSize'] as const) {
    if (!Number.isInteger(c[k]) || (c[k] as number) < 1) {
      throw new TypeError(`${who}: ${name}.${k} must be a positive integer; got ${String(c[k])}`);
    }
  }
}

/** Validates a sequence batch [time, batch, features] (or batch-first); returns its sizes. */
export function checkSequence(
  who: string, xs: unknown, inputSize: number, batchFirst: boolean, name = 'xs',
): { time: number; batch: number } {
  const layout = batchFirst ? '[batch, time, features]' : '[time, batch, features]';
  if (!(xs instanceof Tensor)) throw new TypeError(`${who}: ${name} must be a Tensor ${layout}; got ${typeof xs}`);
  if (xs.rank !== 3) throw new K.ShapeError(`${who}: ${name} must be rank 3 ${layout}; got ${K.fmt(xs.shape)}`);
  const [time, batch] = batchFirst ? [xs.shape[1]!, xs.shape[0]!] : [xs.shape[0]!, xs.shape[1]!];
  if (xs.shape[2] !== inputSize) {
    const want = batchFirst ? `[batch, time, ${inputSize}]` : `[time, batch, ${inputSize}]`;
    throw new K.ShapeError(`${who}: ${name} must be ${want} (the input size); got ${K.fmt(xs.shape)}`);
  }
  if (time === 0) throw new K.ShapeError(`${who}: ${name} has no time steps (time = 0): ${K.fmt(xs.shape)} ${layout}`);
  if (batch === 0) throw new K.ShapeError(`${who}: ${name} has an empty batch (batch = 0): ${K.fmt(xs.shape)} ${layout}`);
  if (xs.dtype === 'int32') throw new K.DTypeError(`${who}: ${name} must be float32 or float64; got int32 (embed token ids first)`);
  return { time, batch };
}

/** Lengths as a number[] of `batch` integers in [1, time]; throws naming `who` otherwise. */
export function normalizeLengths(who: string, lengths: Lengths, batch: number, time: number): number[] {
  let list: number[];
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== 'int32' || lengths.rank !== 1) {
      throw new K.ShapeError(`${who}: lengths must be a number[] or an int32 tensor [batch]; got ${lengths.dtype} ${K.fmt(lengths.shape)}`);
    }
    list = [...lengths.values()];
  } else if (Array.isArray(lengths)) {
    list = [...lengths];
  } else {
    throw new TypeError(`${who}: lengths must be a number[] or an int32 tensor [batch]; got ${typeof lengths}`);
  }
  if (list.length !== batch) {
    throw new K.ShapeError(`${who}: lengths must have one entry per sequence (batch ${batch}); got ${list.length}`);
  }
  list.forEach((len, b) => {
    if (!Number.isInteger(len) || len < 1 || len > time) {
      throw new RangeError(`${who}: lengths[${b}] = ${len} is outside [1, ${time}] (the time steps of the input)`);
    }
  });
  return list;
}

/** Every tensor of a state must have the batch on axis 0. */
export function checkStateBatch(who: string, state: unknown, batch: number, xsShape: readonly number[], what: string): void {
  if (state === undefined || state === null) throw new TypeError(`${who}: ${what} returned no state`);
  for (const [path, t] of stateTensors(state, what)) {
    if (t.shape[0] !== batch) {
      throw new K.ShapeError(`${who}: ${path} must have batch ${batch} on axis 0 (xs is ${K.fmt(xsShape)}); got ${K.fmt(t.shape)}`);
    }
  }
}

function checkOutput(output: unknown, batch: number, outputSize: number): void {
  if (!(output instanceof Tensor)) throw new TypeError(`unroll: cell.step must return { state, output } with output a Tensor; got ${typeof output}`);
  if (output.rank !== 2 || output.shape[0] !== batch || output.shape[1] !== outputSize) {
    throw new K.ShapeError(`unroll: cell.step returned output ${K.fmt(output.shape)}; expected [${batch}, ${outputSize}] ([batch, outputSize])`);
  }
}
