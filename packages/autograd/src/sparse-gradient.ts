// Gradients that are zero outside a region (a slice's, a selected time step's), and the running
// sum the engine keeps per tensor: sparse parts are added in place into one buffer, so a loop that
// takes T slices of one tensor costs O(T · slice) in backward, not O(T · whole tensor).
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';

/**
 * A gradient of `shape` that is `value` added somewhere (by `addTo`, into a fresh contiguous array
 * of `shape`) and zero everywhere else. Backward rules of slice and indexSelect return one.
 */
export class SparseGradient {
  constructor(
    readonly shape: readonly number[],
    readonly value: NdArray,
    private readonly addTo: (into: NdArray, value: NdArray) => void,
  ) {}

  get dtype(): K.DType {
    return K.dtypeOf(this.value.data);
  }
  /** The stored elements (what adding it costs). */
  get size(): number {
    return this.value.size;
  }
  /** Adds the gradient into `into` (of `shape`) in place. */
  addInto(into: NdArray): void {
    this.addTo(into, this.value);
  }
  /** The same gradient with its values in `dtype`. */
  cast(dtype: K.DType): SparseGradient {
    return new SparseGradient(this.shape, K.cast(this.value, dtype), this.addTo);
  }
  /** As a dense array (freshly allocated). */
  dense(): NdArray {
    const out = K.zeros(this.shape, { dtype: this.dtype });
    this.addInto(out);
    return out;
  }
}

export type Gradient = NdArray | SparseGradient;

/** Elements of gradients added and buffers allocated by the engine since the count was reset (see backwardStats). */
let elements = 0;
export const countedElements = (): number => elements;
export const resetCount = (): void => { elements = 0; };

/**
 * The sum of the gradients reaching one tensor. The first is kept as given (no copy); the second
 * makes a buffer the sum owns, into which later ones are added in place.
 */
export class GradientSum {
  private sum: Gradient | null = null;
  private owned_ = false;

  add(g: Gradient): void {
    elements += g.size;
    if (this.sum === null) {
      this.sum = g;
      return;
    }
    const into = this.own();
    if (g instanceof SparseGradient) {
      g.addInto(into);
    } else {
      const a = into.data as K.TypedArray, b = K.contiguous(g);
      for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
    }
  }

  /** The sum as a dense array (null before any was added); see `owned`. */
  value(): NdArray | null {
    if (this.sum instanceof SparseGradient) this.own();
    return this.sum as NdArray | null;
  }

  /** Whether `value()` is the sum's own buffer (else it may be shared with other nodes). */
  get owned(): boolean {
    return this.owned_;
  }

  private own(): NdArray {
    if (!this.owned_) {
      const s = this.sum!;
      elements += K.sizeOf(s.shape);
      this.sum = s instanceof SparseGradient ? s.dense() : K.clone(s);
      this.owned_ = true;
    }
    return this.sum as NdArray;
  }
}
