// The fused LSTM and GRU layers on 1 and 2 threads: each step is split by batch rows (independent
// sequences), so every row is computed the same way whatever the split — outputs, final states and
// every gradient must be bit-identical, with and without lengths, in both directions.
import { afterEach, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { Generator, Tensor } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import { rand } from './helpers.js';

const threadsAtStart = getNumThreads();
afterEach(() => setNumThreads(threadsAtStart));

/** Forward and backward of a 2-layer bidirectional float32 layer; values and gradients as plain arrays. */
function run(Module: typeof LSTM | typeof GRU, batch: number, lengths?: number[]): number[][] {
  // hidden 64: a step is then big enough (≥ 2¹⁶ multiply-adds) to be split over the threads.
  const hidden = 64, input = 12, time = 7;
  const m = new Module({ inputSize: input, hiddenSize: hidden, numLayers: 2, bidirectional: true, generator: new Generator(3) });
  const x = new Tensor(rand([time, batch, input], new Generator(4), { dtype: 'float32' }).data, { requiresGrad: true });
  const r = m.forward(x, undefined, { lengths });
  const g = new Generator(9);
  const weigh = (t: Tensor) => t.mul(rand(t.shape, g, { dtype: 'float32' })).sum();
  weigh(r.output).add(weigh(r.state.h)).backward();
  return [r.output, r.state.h, x.grad!, ...m.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data.data as Float32Array));
}

describe('fused layers at 1 and 2 threads', () => {
  for (const Module of [LSTM, GRU]) {
    for (const [batch, lengths] of [[24, undefined], [13, [7, 3, 5, 7, 1, 2, 7, 6, 4, 7, 7, 2, 3]]] as const) {
      it(`${Module.name}, batch ${batch}${lengths ? ', with lengths' : ''}: bit-identical values and gradients`, () => {
        setNumThreads(1);
        const one = run(Module, batch, lengths as number[] | undefined);
        setNumThreads(2);
        const two = run(Module, batch, lengths as number[] | undefined);
        expect(two).toEqual(one);
      });
    }
  }
});
