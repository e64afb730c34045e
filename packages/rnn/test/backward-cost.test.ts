// Backward stays linear in the number of time steps when a loop takes one slice of a tensor per
// step (unroll over a composed cell, a decoder stepping over its targets by hand, split/chunk/narrow
// in a loop): each slice's gradient is added into one buffer, not spread over a full-size zero tensor.
// The engine's count of gradient elements shows it without timing: doubling T must about double it.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, backwardStats, chunk, concat, matmul, narrow, select, split, sum, tanh } from '@unroll/autograd';
import { LSTMCell, bidirectional, unroll } from '@unroll/rnn';
import { rand } from './helpers.js';

/** A minimal Elman cell written as a user would: h' = tanh([x, h] W). */
class Elman {
  readonly outputSize: number;
  readonly w: Tensor;
  constructor(readonly inputSize: number, hidden: number, g: RandomGenerator) {
    this.outputSize = hidden;
    this.w = new Tensor(K.randUniform([inputSize + hidden, hidden], -0.5, 0.5, { dtype: 'float64', generator: g }), { requiresGrad: true });
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.outputSize], { dtype: 'float64' })) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = tanh(matmul(concat([x, state.h], 1), this.w));
    return { state: { h }, output: h };
  }
}

/** Gradient elements one backward handles for an input [T, 2, 3] that needs a gradient. */
function cost(T: number, loss: (xs: Tensor) => Tensor): number {
  const xs = rand([T, 2, 3], new RandomGenerator(T), { requiresGrad: true });
  loss(xs).backward();
  expect(xs.grad!.shape).toEqual([T, 2, 3]);
  return backwardStats().gradientElements;
}

/** Doubling T from 32 to 64 and from 64 to 128 about doubles the cost (quadratic would quadruple it). */
function expectLinear(loss: (xs: Tensor) => Tensor): void {
  const [a, b, c] = [32, 64, 128].map((T) => cost(T, loss));
  expect(b / a).toBeLessThan(2.2);
  expect(c / b).toBeLessThan(2.2);
}

describe('backward is linear in T', () => {
  const g = new RandomGenerator(7);
  const elman = new Elman(3, 4, g);

  it('unroll over a user cell, forward and reverse', () => {
    expectLinear((xs) => sum(unroll(elman, xs).outputs));
    expectLinear((xs) => sum(unroll(elman, xs, { reverse: true, lengths: [xs.shape[0]! - 3, xs.shape[0]!] }).outputs));
  });

  it('unroll over a composed LSTMCell (fused: false) and a bidirectional pair of user cells', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64', fused: false });
    expectLinear((xs) => sum(unroll(cell, xs).outputs));
    const bi = bidirectional(elman, new Elman(3, 4, g));
    expectLinear((xs) => sum(bi.run(xs).outputs));
  });

  it('a loop stepping by hand with select (a decoder over its targets), narrow, split and chunk', () => {
    const byHand = (pick: (xs: Tensor) => Tensor[]) => (xs: Tensor) => {
      let h = new Tensor(K.zeros([2, 4], { dtype: 'float64' }));
      for (const x of pick(xs)) h = elman.step({ h }, x.reshape([2, 3])).state.h;
      return sum(h);
    };
    const steps = (xs: Tensor) => Array.from({ length: xs.shape[0]! }, (_, t) => t);
    expectLinear(byHand((xs) => steps(xs).map((t) => select(xs, 0, t))));
    expectLinear(byHand((xs) => steps(xs).map((t) => narrow(xs, 0, t, 1))));
    expectLinear(byHand((xs) => split(xs, 1, 0)));
    expectLinear(byHand((xs) => chunk(xs, xs.shape[0]!, 0)));
  });
});
