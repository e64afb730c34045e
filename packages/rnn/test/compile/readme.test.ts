// The README's compileCell snippet, run as written (so the docs cannot rot).
import { describe, expect, it } from 'vitest';
import { Module, Parameter, Tensor, matmul, sigmoid, split, tanh, randUniform, zeros } from '@unroll/autograd';
import { compileCell, unroll } from '../../src/index.js';

describe('README: compileCell', () => {
  it('compiles a user LSTM and runs a sequence forward and backward', () => {
    // --- README snippet ---
    /** An LSTM written with public ops: [i, f, g, o] = W x + U h + b; c' = σ(f)⊙c + σ(i)⊙tanh(g); h' = σ(o)⊙tanh(c'). */
    class MyLSTM extends Module {
      readonly outputSize: number;
      readonly weightX: Parameter; readonly weightH: Parameter; readonly bias: Parameter;
      constructor(readonly inputSize: number, readonly hiddenSize: number) {
        super();
        this.outputSize = hiddenSize;
        const k = 1 / Math.sqrt(hiddenSize), u = (shape: number[]) => new Parameter(randUniform(shape, -k, k).data);
        this.weightX = this.registerParameter('weight_x', u([4 * hiddenSize, inputSize]));
        this.weightH = this.registerParameter('weight_h', u([4 * hiddenSize, hiddenSize]));
        this.bias = this.registerParameter('bias', u([4 * hiddenSize]));
      }
      initialState(batch: number) {
        return { h: zeros([batch, this.hiddenSize]), c: zeros([batch, this.hiddenSize]) };
      }
      step(state: { h: Tensor; c: Tensor }, x: Tensor) {
        const gates = matmul(x, this.weightX, { transB: true }).add(matmul(state.h, this.weightH, { transB: true })).add(this.bias);
        const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
        const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
        const h = sigmoid(o).mul(tanh(c));
        return { state: { h, c }, output: h };
      }
    }

    const lstm = compileCell(new MyLSTM(65, 256));
    const xs = randUniform([64, 32, 65], -1, 1);   // [T, B, I]
    const { outputs, state } = unroll(lstm, xs);   // one op for the whole sequence: outputs [64, 32, 256]
    outputs.sum().backward();                      // backward through time, also one op
    // --- end of snippet ---
    expect(outputs.shape).toEqual([64, 32, 256]);
    expect(state.c.shape).toEqual([32, 256]);
    expect(outputs.node?.op).toBe('compiledSequence');
    expect(lstm.weightH.grad?.shape).toEqual([1024, 256]);
  });
});
