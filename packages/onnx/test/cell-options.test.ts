// The cell options ONNX's LSTM / GRU / RNN nodes cannot say (a projection, layer norm, zoneout in
// eval, a mask that is not end padding) are exported as the cell's primitive ops, fused or not, and agree
// with the cell in onnxruntime.
import { describe, it } from 'vitest';
import { manualSeed, randn } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { checkExport } from './ort.js';

const evaluated = <C extends { eval(): unknown }>(c: C): C => (c.eval(), c);

const cases: [string, (fused: boolean) => RecurrentCell<any>][] = [
  ['LSTMCell projSize', (fused) => new LSTMCell({ inputSize: 3, hiddenSize: 5, projSize: 2, fused })],
  ['LSTMCell layerNorm', (fused) => new LSTMCell({ inputSize: 3, hiddenSize: 5, layerNorm: true, fused })],
  ['LSTMCell projSize + layerNorm + peephole', (fused) => new LSTMCell({ inputSize: 3, hiddenSize: 5, projSize: 3, layerNorm: true, peephole: true, fused })],
  ['LSTMCell zoneout (eval)', (fused) => evaluated(new LSTMCell({ inputSize: 3, hiddenSize: 5, zoneout: { h: 0.3, c: 0.1 }, fused }))],
  ['GRUCell zoneout (eval)', (fused) => evaluated(new GRUCell({ inputSize: 3, hiddenSize: 5, zoneout: 0.3, fused }))],
  ['RNNCell zoneout (eval)', (fused) => evaluated(new RNNCell({ inputSize: 3, hiddenSize: 5, zoneout: 0.3, fused }))],
];

describe('exportOnnx writes what the recurrent nodes cannot say as primitive ops', () => {
  for (const [name, make] of cases) {
    for (const fused of [true, false]) {
      it(`${name}, fused: ${fused}, with lengths and reverse`, async () => {
        manualSeed(7);
        const cell = make(fused);
        await checkExport((x) => unroll(cell, x).outputs, [randn([4, 2, 3])], {}, { rtol: 1e-4, atol: 1e-5 });
        await checkExport((x) => unroll(cell, x, { lengths: [4, 2], reverse: true }).outputs, [randn([4, 2, 3])], {}, { rtol: 1e-4, atol: 1e-5 });
      });
    }
  }

  it('a mask that is not end padding (left padding, a gap): the masked steps unrolled as primitive ops', async () => {
    manualSeed(8);
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, projSize: 2 });
    const mask = [[0, 1], [1, 1], [1, 0], [1, 1]];
    await checkExport((x) => unroll(cell, x, { mask }).outputs, [randn([4, 2, 3])], {}, { rtol: 1e-4, atol: 1e-5 });
  });
});
