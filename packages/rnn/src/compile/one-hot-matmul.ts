// A hoisted x·op(W) that is not one of the compiled op's own input projections (its value feeds other
// hoisted ops, e.g. a layer norm of the projection) runs as a recorded op over all T·B rows; when x is
// one-hot this op takes its place: the gather forward and the scatter-add for dW of one-hot-input.ts,
// dx (when wanted) as matmul's own rule. Defined on first use, like the other hoisted ops.
import * as K from '@unroll/core';
import { defineOp } from '@unroll/autograd';
import type { Op } from '@unroll/autograd';
import type { FloatArray } from '@unroll/core';
import { projectOneHot, projectionGradOneHot } from './one-hot-input.js';
import type { ProjectionGroup } from './plan.js';

interface Attrs { readonly transB: boolean; readonly hot: Int32Array }

const flat = (a: K.NdArray) => K.contiguous(a) as FloatArray;
/** x [rows, I]·op(W) as a projection group of one member. */
const groupOf = (I: number, N: number, transB: boolean): ProjectionGroup => ({ members: [0], cols: [0], N, I, transB });

let op: Op<Attrs, 'a' | 'b'> | null = null;

/** The one-hot matmul op: inputs x [rows, I] (one-hot, its hot columns in attrs.hot) and W [N, I] (transB) or [I, N]. */
export function oneHotMatmul(): Op<Attrs, 'a' | 'b'> {
  op ??= defineOp<Attrs, 'a' | 'b'>({
    name: 'matmul (hoisted by compileCell, one-hot x)',
    inputs: ['a', 'b'] as const,
    save: ['a', 'b'],
    forward: ({ a, b }, { transB, hot }) => {
      const [rows, I] = a.shape as [number, number];
      const N = transB ? b.shape[0]! : b.shape[1]!;
      const dtype = a.dtype as 'float32' | 'float64';
      const out = dtype === 'float32' ? new Float32Array(rows * N) : new Float64Array(rows * N);
      projectOneHot(groupOf(I, N, transB), rows, 1, dtype, flat(a), hot, flat(b), out, false);
      return K.fromData(out, [rows, N]);
    },
    backward: ({ dy, saved: { a, b }, attrs: { transB, hot } }) => ({
      a: () => K.matmul(dy, b, { transB: !transB }),
      b: () => {
        const [rows, I] = a.shape as [number, number];
        const N = dy.shape[1]!;
        const dw = projectionGradOneHot(groupOf(I, N, transB), rows, 1, a.dtype as 'float32' | 'float64', flat(a), hot, flat(dy), false);
        return K.fromData(dw, [...b.shape]);
      },
    }),
  });
  return op;
}
