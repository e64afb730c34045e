// The fused WebAssembly loops run the steps where no batch row is padded as ONE job (WasmRuntime.runSteps):
// each thread carries its batch rows through every step. That only moves work between jobs, so outputs,
// final states and every gradient must be bit-identical to one job per step — for LSTM and GRU, forward
// under noGrad and recorded, with and without lengths, in both directions. Batch 16 and hidden 32 are big
// enough for a step to be split over two threads where the run has them. One-hot x is gathered inside
// each step's job; it must match the gemm path's x·W_ihᵀ exactly.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { RandomGenerator, Tensor, noGrad } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import { setSequenceJobs } from '../src/fused/wasm-loops.js';
import { setOneHotPath } from '../src/fused/one-hot.js';
import { rand } from './helpers.js';

const threadsAtStart = getNumThreads();
afterEach(() => { setSequenceJobs(true); setOneHotPath(true); setNumThreads(threadsAtStart); });

type Module = LSTM | GRU;
type Result = { output: Tensor; state: { h: Tensor; c?: Tensor } };

/** Everything a call gives: output, final states, and (when `train`) the gradients of x and every parameter. */
function results(m: Module, x: Tensor, lengths: number[] | undefined, train: boolean): Float32Array[] {
  const forward = (xs: Tensor) => (m.forward as (x: Tensor, s: unknown, o: unknown) => Result)(xs, undefined, { lengths });
  const values = (r: Result) => [r.output, r.state.h, ...(r.state.c ? [r.state.c] : [])].map((t) => Float32Array.from(t.values()));
  if (!train) return values(noGrad(() => forward(x)));
  for (const p of m.parameters()) p.grad = null;
  const xs = new Tensor(x.data, { requiresGrad: true });
  const r = forward(xs);
  const g = new RandomGenerator(7);
  r.output.mul(rand(r.output.shape, g, { dtype: 'float32' })).sum().add(r.state.h.sum()).backward();
  return [...values(r), Float32Array.from(xs.grad!.values()), ...m.parameters().map((p) => Float32Array.from(p.grad!.values()))];
}

/** The results with sequence jobs on and off: they must agree bit for bit. */
function bothWays(m: Module, x: Tensor, lengths: number[] | undefined, train: boolean): [Float32Array[], Float32Array[]] {
  setSequenceJobs(false);
  const perStep = results(m, x, lengths, train);
  setSequenceJobs(true);
  return [results(m, x, lengths, train), perStep];
}

describe('whole-sequence jobs in the fused WebAssembly loops', () => {
  for (const Module of [LSTM, GRU]) {
    it(`${Module.name}: bit-identical to one job per step, inference and training, lengths and both directions`, () => {
      const batch = 16, hidden = 32, time = 7;
      const m = new Module({ inputSize: 5, hiddenSize: hidden, bidirectional: true, generator: new RandomGenerator(3) });
      const x = rand([time, batch, 5], new RandomGenerator(4), { dtype: 'float32' });
      const someShort = Array.from({ length: batch }, (_, b) => 1 + ((b * 5) % time));
      const allShort = Array.from({ length: batch }, () => 4);
      for (const lengths of [undefined, someShort, allShort]) {
        for (const train of [false, true]) {
          const [one, each] = bothWays(m, x, lengths, train);
          expect(one.length).toBe(each.length);
          one.forEach((v, i) => expect(v, `${Module.name} result ${i}, lengths ${lengths}, train ${train}`).toEqual(each[i]));
        }
      }
    });
  }

  it('agrees bit for bit on random sizes, lengths and one-hot or dense input', () => {
    fc.assert(fc.property(
      fc.record({
        gru: fc.boolean(), time: fc.integer({ min: 1, max: 6 }), batch: fc.integer({ min: 1, max: 20 }),
        hidden: fc.constantFrom(4, 16, 32), oneHot: fc.boolean(), reverse: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
        lengthSeed: fc.option(fc.integer({ min: 0, max: 1e6 })),
      }),
      ({ gru, time, batch, hidden, oneHot, reverse, seed, lengthSeed }) => {
        const input = 6;
        const Module = gru ? GRU : LSTM;
        const m = new Module({ inputSize: input, hiddenSize: hidden, bidirectional: reverse, generator: new RandomGenerator(seed) });
        const x = oneHot
          ? new Tensor(K.fromData(Float32Array.from({ length: time * batch * input }, (_, i) => (i % input === (Math.floor(i / input) * 7 + seed) % input ? 1 : 0)), [time, batch, input]))
          : rand([time, batch, input], new RandomGenerator(seed + 1), { dtype: 'float32' });
        const lengths = lengthSeed === null ? undefined : Array.from({ length: batch }, (_, b) => 1 + ((b * 7 + lengthSeed) % time));
        const [one, each] = bothWays(m, x, lengths, true);
        one.forEach((v, i) => expect(v, `result ${i}`).toEqual(each[i]));
        if (!oneHot) return;
        // One-hot x is gathered row by row inside each step's job: the values of x·W_ihᵀ by the gemm, exactly
        // (one product 1·w plus zeros), so the forward matches the dense path bit for bit (dW_ih does only to
        // rounding: the scatter-add sums in float64, see one-hot.test.ts).
        const gathered = results(m, x, lengths, false);
        setOneHotPath(false);
        const dense = results(m, x, lengths, false);
        gathered.forEach((v, i) => expect(v, `result ${i} against the gemm path`).toEqual(dense[i]));
      }), { numRuns: 25 });
  });

  it('splits a sequence of small steps over the threads by its total work: the same bits at 1 and 2 threads', () => {
    // Batch 8, hidden 16: one step (8·64·16 multiply-adds) is too small to split, eight steps together are not.
    for (const Module of [LSTM, GRU]) {
      const m = new Module({ inputSize: 3, hiddenSize: 16, generator: new RandomGenerator(8) });
      const x = rand([8, 8, 3], new RandomGenerator(9), { dtype: 'float32' });
      setNumThreads(1);
      const one = results(m, x, undefined, true);
      setNumThreads(2);
      const two = results(m, x, undefined, true);
      one.forEach((v, i) => expect(v, `${Module.name} result ${i}`).toEqual(two[i]));
    }
  });
});
