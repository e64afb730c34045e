// The README's snippets for masks, unbatched input, recurrent dropout and zoneout, run as written.
import { describe, expect, it } from 'vitest';
import { Tensor, concat, matmul, randUniform, zeros } from '@unroll/autograd';
import { GRU, GRUCell, LSTM, LSTMCell, unroll, withRecurrentDropout, withZoneout } from '../src/index.js';

/** The README's minimal gated unit (section "Cells and the protocol"). */
class MGU {
  readonly outputSize: number;
  readonly wF: Tensor; readonly bF: Tensor; readonly wH: Tensor; readonly bH: Tensor;
  constructor(readonly inputSize: number, readonly hiddenSize: number) {
    this.outputSize = hiddenSize;
    const w = (shape: number[]) => randUniform(shape, -0.3, 0.3, { requiresGrad: true });
    [this.wF, this.bF] = [w([hiddenSize, inputSize + hiddenSize]), w([hiddenSize])];
    [this.wH, this.bH] = [w([hiddenSize, inputSize + hiddenSize]), w([hiddenSize])];
  }
  initialState(batch: number) {
    return { h: zeros([batch, this.hiddenSize]) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const f = matmul(concat([x, state.h], 1), this.wF, { transB: true }).add(this.bF).sigmoid();
    const hTilde = matmul(concat([x, f.mul(state.h)], 1), this.wH, { transB: true }).add(this.bH).tanh();
    const h = state.h.add(f.mul(hTilde.sub(state.h)));
    return { state: { h }, output: h };
  }
}

describe('README: the runner with a mask', () => {
  it('left padding', () => {
    // --- README snippet ---
    const left = [[0, 1], [1, 1], [1, 1]];                 // [T = 3, B = 2]: row 0 is left-padded
    const r = unroll(new GRUCell({ inputSize: 4, hiddenSize: 8 }), randUniform([3, 2, 4], -1, 1), { mask: left });
    // --- end ---
    expect([...r.outputs.select(0, 0).select(0, 0).values()]).toEqual(new Array(8).fill(0));
    expect(r.state.h.shape).toEqual([2, 8]);
  });
});

describe('README: recurrent dropout and zoneout', () => {
  it('options and wrappers', () => {
    const xs = randUniform([5, 3, 4], -1, 1);
    // --- README snippet ---
    const cell = new LSTMCell({ inputSize: 4, hiddenSize: 8, recurrentDropout: 0.25, zoneout: { h: 0.05, c: 0.5 } });
    const lstm = new LSTM({ inputSize: 4, hiddenSize: 8, numLayers: 2, recurrentDropout: 0.25, zoneout: 0.1 });
    // any cell, yours too: wrappers that keep the protocol
    const mine = withZoneout(withRecurrentDropout(new MGU(4, 8), 0.25), { h: 0.1 });
    unroll(mine, xs);                          // one dropout mask for the sequence, zoneout every step
    // --- end ---
    expect(unroll(cell, xs).outputs.shape).toEqual([5, 3, 8]);
    expect(lstm.forward(xs).output.shape).toEqual([5, 3, 8]);
  });
});

describe('README: projection and layer-norm LSTM', () => {
  it('builds and runs', () => {
    // --- README snippet ---
    const proj = new LSTM({ inputSize: 10, hiddenSize: 20, projSize: 8, numLayers: 2, bidirectional: true });
    const { output, state } = proj.forward(randUniform([7, 3, 10], -1, 1));   // output [7, 3, 16]; h [4, 3, 8], c [4, 3, 20]
    const ln = new LSTMCell({ inputSize: 10, hiddenSize: 20, layerNorm: true });
    // --- end ---
    expect([output.shape, state.h.shape, state.c.shape]).toEqual([[7, 3, 16], [4, 3, 8], [4, 3, 20]]);
    expect(unroll(ln, randUniform([2, 1, 10], -1, 1)).outputs.shape).toEqual([2, 1, 20]);
  });
});

describe('README: unbatched input', () => {
  it('GRU on [T, I]', () => {
    // --- README snippet ---
    const gru = new GRU({ inputSize: 4, hiddenSize: 8, numLayers: 2 });
    const one = gru.forward(randUniform([6, 4], -1, 1));      // output [6, 8], state.h [2, 8]
    // --- end ---
    expect(one.output.shape).toEqual([6, 8]);
    expect(one.state.h.shape).toEqual([2, 8]);
  });
});
