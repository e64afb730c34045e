// Matrix products as a differentiable op.
import * as K from '@unroll/core';
import { defineOp } from '../define-op.js';
import type { Tensor } from '../tensor.js';

const matmulOp = defineOp({
  name: 'matmul',
  inputs: ['a', 'b'] as const,
  save: ['a', 'b'],
  forward: ({ a, b }, opts: K.MatmulOptions) => K.matmul(a, b, opts),
  // With C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC; a transposed operand
  // takes the transpose of that, which is again one gemm with the flags flipped (no copies).
  backward: ({ dy, saved: { a, b }, attrs }) => {
    const tA = attrs.transA ?? false, tB = attrs.transB ?? false;
    return {
      a: () => (tA ? K.matmul(b, dy, { transA: tB, transB: true }) : K.matmul(dy, b, { transB: !tB })),
      b: () => (tB ? K.matmul(dy, a, { transA: true, transB: tA }) : K.matmul(a, dy, { transA: !tA })),
    };
  },
});

/**
 * a @ b: [..., m, k] @ [..., k, n] → [..., m, n], batch axes broadcast.
 * `{ transB: true }` multiplies by bᵀ without a copy (x·Wᵀ with W in PyTorch's [out, in] layout).
 */
export const matmul = (a: Tensor, b: Tensor, opts: K.MatmulOptions = {}): Tensor => matmulOp.apply([a, b], opts);
