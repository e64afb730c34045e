// Node: one recorded op application in the graph (its inputs, saved values and backward rule).
import type { NdArray } from '@unroll/core';
import type { SparseGradient } from './sparse-gradient.js';
import type { Tensor } from './tensor.js';

/** A gradient thunk: called only when the input it belongs to needs a gradient. */
export type GradThunk = () => NdArray | SparseGradient;

export interface Node {
  /** The op's registered name (shown in errors and anomaly reports). */
  readonly op: string;
  /** The op's attributes as given at the call (axes, shapes, flags), for tools that read the graph. */
  readonly attrs: unknown;
  /** Input names, for messages (`input 'b'`). */
  readonly inputNames: readonly string[];
  readonly inputs: readonly Tensor[];
  readonly outputShapes: readonly (readonly number[])[];
  /** Given one gradient per output, returns a thunk per input (undefined: no gradient). */
  backward(dys: NdArray[]): readonly (GradThunk | undefined | null)[];
  /** Frees what backward needed; a later backward through this node is an error. */
  release(): void;
  readonly released: boolean;
}
