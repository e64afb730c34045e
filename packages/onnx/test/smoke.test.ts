import { describe, it } from 'vitest';
import { Linear, randn, manualSeed } from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';
import { checkExport } from './ort.js';

describe('smoke', () => {
  it('linear', async () => {
    manualSeed(1);
    const lin = new Linear(3, 2);
    await checkExport((x) => lin.forward(x).tanh(), [randn([4, 3])], { module: lin });
  });
  it('lstm dynamic', async () => {
    manualSeed(1);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    await checkExport((x) => lstm.forward(x), [randn([5, 2, 3])], { module: lstm, dynamicAxes: { input: { 0: 'time', 1: 'batch' } } },
      { more: [[randn([7, 3, 3])]] });
  });
});
