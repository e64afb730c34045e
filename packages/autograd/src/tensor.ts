// Tensor: an ndarray value plus what autograd needs (requiresGrad, grad, the node that made it).
import * as K from '@unroll/core';
import type { DType, NdArray, Nested } from '@unroll/core';
import type { Node } from './node.js';
import { formatTensor } from './print.js';

/**
 * An n-dimensional array that remembers how it was computed.
 * `data` is a contiguous scijs ndarray (float32, float64 or int32); `shape` is a number array.
 * Leaves (made by `tensor`, `zeros`, …, or `Parameter`) accumulate `.grad` in `backward()`;
 * results of ops carry `node`, the recorded op, when any input requires a gradient.
 */
export class Tensor {
  /** The value. Ops treat it as immutable; optimizers update parameters' data in place. */
  data: NdArray;
  /** Whether gradients flow to (and, for a leaf, accumulate in) this tensor. */
  requiresGrad: boolean;
  /** The accumulated gradient (a leaf's, or a non-leaf's after `retainGrad()`). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for a leaf. */
  readonly node: Node | null;
  /** Which output of `node` this is (ops such as a fused LSTM step have several). */
  readonly outputIndex: number;
  /** Set by `retainGrad()`: keep `.grad` on this non-leaf too. */
  retainsGrad = false;
  /** The in-place change count, shared with tensors that share this value (`detach()`). */
  private readonly versions: { value: number };

  constructor(data: NdArray, opts: { requiresGrad?: boolean; node?: Node | null; outputIndex?: number; versions?: { value: number } } = {}) {
    this.data = data;
    this.versions = opts.versions ?? { value: 0 };
    this.node = opts.node ?? null;
    this.outputIndex = opts.outputIndex ?? 0;
    this.requiresGrad = opts.requiresGrad ?? false;
    if (this.requiresGrad && this.dtype === 'int32') {
      throw new K.DTypeError('Tensor: only float tensors can require gradients; got int32');
    }
  }

  get shape(): number[] {
    return this.data.shape;
  }
  get dtype(): DType {
    return K.dtypeOf(this.data.data);
  }
  /** Number of elements. */
  get size(): number {
    return this.data.size;
  }
  /** Number of axes. */
  get rank(): number {
    return this.data.shape.length;
  }
  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The values as nested number arrays (a number for a rank-0 tensor). */
  toArray(): Nested {
    return K.toNested(this.data);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new K.ShapeError(`item: needs a one-element tensor; got ${K.fmt(this.shape)}`);
    return K.contiguous(this.data)[0]!;
  }
  /** The flat row-major values (shares storage; do not write). */
  values(): K.TypedArray {
    return K.contiguous(this.data);
  }
  /** A tensor sharing this value but cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    return new Tensor(this.data, { versions: this.versions });
  }
  /**
   * How many times `data` was changed in place (optimizer steps, `loadStateDict`, `bumpVersion()`),
   * as PyTorch's `_version`. An op that saved this tensor for backward records it; backward throws
   * if it changed since, instead of computing a gradient from the new values.
   */
  get _version(): number {
    return this.versions.value;
  }
  /** Records an in-place change of `data`: call it after writing into `t.data` yourself. */
  bumpVersion(): this {
    this.versions.value++;
    return this;
  }
  /** Sets `requiresGrad` on a leaf and returns it (like `requires_grad_()`). */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad; use detach() first');
    if (flag && this.dtype === 'int32') throw new K.DTypeError('requiresGrad_: int32 tensors cannot require gradients');
    this.requiresGrad = flag;
    return this;
  }
  /** Keep `.grad` on this non-leaf tensor in the next `backward()`. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }
  /** Drops the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** PyTorch-style text: aligned values (summarized past 1000 elements), shape, dtype, requiresGrad. */
  toString(): string {
    return formatTensor(this);
  }
  /** What `console.log` and `util.inspect` show in Node (a symbol, so no Node import is needed). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
