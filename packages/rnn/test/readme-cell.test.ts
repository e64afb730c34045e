// The README's "Writing a cell" snippets, run as written (so the docs cannot rot).
import { describe, expect, it } from 'vitest';
import { Tensor, concat, gradcheckModule, manualSeed, matmul, randUniform } from '@unroll/autograd';
import { CellBase, bidirectional, stackCells, unroll } from '../src/index.js';

describe('README: Writing a cell', () => {
  it('defines the MGU with CellBase, runs it, stacks it, goes bidirectional and gradchecks it', () => {
    manualSeed(0);
    // --- README snippet 1 ---
    /** Minimal gated unit: f = σ(W_f[x, h] + b_f), h̃ = tanh(W_h[x, f⊙h] + b_h), h' = (1 − f)⊙h + f⊙h̃. */
    class MGU extends CellBase<{ h: Tensor }> {
      readonly wF: Tensor; readonly bF: Tensor; readonly wH: Tensor; readonly bH: Tensor;
      constructor(inputSize: number, readonly hiddenSize: number) {
        super({ inputSize, outputSize: hiddenSize, state: { h: hiddenSize } });   // state: h [B, hiddenSize]
        this.wF = this.parameter('w_f', [hiddenSize, inputSize + hiddenSize]);   // U(−1/√H, 1/√H), as PyTorch
        this.bF = this.parameter('b_f', [hiddenSize]);
        this.wH = this.parameter('w_h', [hiddenSize, inputSize + hiddenSize]);
        this.bH = this.parameter('b_h', [hiddenSize]);
      }
      protected forward(state: { h: Tensor }, x: Tensor) {
        const f = matmul(concat([x, state.h], 1), this.wF, { transB: true }).add(this.bF).sigmoid();
        const hTilde = matmul(concat([x, f.mul(state.h)], 1), this.wH, { transB: true }).add(this.bH).tanh();
        const h = state.h.add(f.mul(hTilde.sub(state.h)));
        return { state: { h }, output: h };
      }
    }

    const xs = randUniform([10, 4, 3], -1, 1);                       // [T, B, I]
    const { outputs, state } = unroll(new MGU(3, 8), xs);            // [10, 4, 8], { h: [4, 8] }
    const deep = unroll(stackCells([new MGU(3, 8), new MGU(8, 8)]), xs);
    const both = bidirectional(new MGU(3, 8), new MGU(3, 8)).run(xs); // outputs [10, 4, 16]
    // --- end ---
    expect(outputs.shape).toEqual([10, 4, 8]);
    expect(state.h.shape).toEqual([4, 8]);
    expect(deep.outputs.shape).toEqual([10, 4, 8]);
    expect(both.outputs.shape).toEqual([10, 4, 16]);
    expect(() => new MGU(3, 8).step({ h: randUniform([4, 5], -1, 1) }, xs.select(0, 0))).toThrow('MGU.step: state.h must be [4, 8]; got [4, 5]');
    expect(Object.keys(new MGU(3, 8).stateDict())).toEqual(['w_f', 'b_f', 'w_h', 'b_h']);

    // --- README snippet 2 ---
    const cell = new MGU(3, 3).to('float64');
    const x = randUniform([4, 2, 3], -1, 1, { dtype: 'float64', requiresGrad: true });
    const r = gradcheckModule(cell, (x) => unroll(cell, x).outputs, { inputs: [x] });
    if (!r.ok) throw new Error(r.report);   // names the parameter: "w_f [3, 6] element [1, 4]: analytic …, numeric …"
    // --- end ---
    expect(r.ok).toBe(true);
  });
});
