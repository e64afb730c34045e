// The fused ops keep flat views of x and the weights for backward: an optimizer step or a
// loadStateDict between forward and backward must throw, not give a wrong gradient.
import { describe, expect, it } from 'vitest';
import { InPlaceModificationError, SGD, randn, sum } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';

describe('fused ops and in-place changes', () => {
  for (const [name, make] of [
    ['lstmSequence', () => new LSTM({ inputSize: 3, hiddenSize: 4, dtype: 'float64' })],
    ['gruSequence', () => new GRU({ inputSize: 3, hiddenSize: 4, dtype: 'float64' })],
  ] as const) {
    it(`${name}: optimizer.step() before backward throws naming the op and the weight`, () => {
      const model = make();
      const x = randn([5, 2, 3], { dtype: 'float64' });
      const loss = sum(model.forward(x).output);
      const opt = new SGD(model.parameters(), { lr: 0.1 });
      for (const p of model.parameters()) p.grad = p.detach();
      opt.step();
      expect(() => loss.backward()).toThrow(InPlaceModificationError);
      expect(() => sum(model.forward(x).output).backward()).not.toThrow();
    });

    it(`${name}: loadStateDict before backward throws; the normal loop does not`, () => {
      const model = make();
      const x = randn([5, 2, 3], { dtype: 'float64' });
      const loss = sum(model.forward(x).output);
      model.loadStateDict(model.stateDict());
      expect(() => loss.backward()).toThrow(new RegExp(`input 'weightIh' of op '${name}' \\[\\d+, 3\\] was modified in place`));
      const opt = new SGD(model.parameters(), { lr: 0.01 });
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        sum(model.forward(x).output).backward();
        opt.step();
      }
    });
  }
});
