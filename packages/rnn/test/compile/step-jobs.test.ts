// Compiled float32 passes whose steps run as prebuilt runtime jobs (src/compile/step-jobs.ts: each step's
// calls derived from steps 0 and 1, the row copies and adds between kernels queued in the job) against the
// same passes stepped one by one from JavaScript: the same calls in the same order, split the same way,
// so outputs, final states and every gradient must be bit-identical — at 1 and 2 threads.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { wasmRuntime } from '@unroll/core/internal';
import { RandomGenerator } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell, compileCell } from '@unroll/rnn';
import { setStepJobs, stepJobPassCount } from '../../src/compile/runtime.js';
import { sequenceJobPassCount, setSequenceStepJobs } from '../../src/compile/step-jobs.js';
import { SEED, rand } from '../helpers.js';
import { ConcatMGU, IndRNN, LayerNormLSTM, MGU, ManyProjections, UserLSTM } from './cells.js';
import { runAll } from './run.js';

const hasSimd = wasmRuntime() !== null;
const threadsAtStart = getNumThreads();
afterEach(() => setNumThreads(threadsAtStart));

type Cell = { parameters(): Tensor[] } & Parameters<typeof compileCell>[0];
const families: [string, (I: number, H: number, g: RandomGenerator) => Cell][] = [
  ['RNNCell tanh', (I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, generator: g, dtype: 'float32', fused: false })],
  ['RNNCell relu', (I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', generator: g, dtype: 'float32', fused: false })],
  ['UserLSTM', (I, H, g) => new UserLSTM(I, H, g, 'float32')],
  ['MGU', (I, H, g) => new MGU(I, H, g, 'float32')],
  ['ConcatMGU (a concat: steps stay in JavaScript)', (I, H, g) => new ConcatMGU(I, H, g, 'float32')],
  ['IndRNN', (I, H, g) => new IndRNN(I, H, g, 'float32')],
  ['ManyProjections', (I, H, g) => new ManyProjections(I, H, g, 'float32', true)],
  ['LayerNormLSTM (sums: steps stay in JavaScript)', (I, H, g) => new LayerNormLSTM(I, H, g, 'float32')],
  ['GRUCell', (I, H, g) => new GRUCell({ inputSize: I, hiddenSize: H, generator: g, dtype: 'float32', fused: false })],
  ['LSTMCell coupledGates', (I, H, g) => new LSTMCell({ inputSize: I, hiddenSize: H, coupledGates: true, generator: g, dtype: 'float32', fused: false })],
];

// Batch ≥ 8 queues kernels on the runtime's threads (what step jobs need); hidden 48 or 64 makes the
// steps big enough to split over 2 threads; time 1 and 2 build every step in full, ≥ 3 derives them.
const sizes = fc.record({
  batch: fc.constantFrom(8, 13, 24), time: fc.integer({ min: 1, max: 6 }), input: fc.integer({ min: 1, max: 5 }),
  hidden: fc.constantFrom(8, 48, 64), reverse: fc.boolean(), batchFirst: fc.boolean(), threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

/** Outputs, final state and every gradient of one compiled pass with step jobs on or off, and how many passes ran as jobs. */
function compare(cell: Cell, xs: Tensor, opts: { reverse?: boolean; batchFirst?: boolean; lengths?: number[] }): { jobs: number[][]; loop: number[][]; ran: number; whole: number } {
  const h0 = cell.initialState(xs.shape[opts.batchFirst ? 0 : 1]!);
  const run = (on: boolean) => {
    const before = setStepJobs(on);
    try {
      return runAll(compileCell(cell, { verify: false }), cell.parameters(), xs, h0, opts, 1);
    } finally {
      setStepJobs(before);
    }
  };
  const passes = stepJobPassCount(), wholeBefore = sequenceJobPassCount().passes;
  const jobs = run(true);
  const ran = stepJobPassCount() - passes, whole = sequenceJobPassCount().passes - wholeBefore;
  const loop = run(false);
  expect(stepJobPassCount() - passes).toBe(ran);
  expect(sequenceJobPassCount().passes - wholeBefore).toBe(whole);
  return { jobs, loop, ran, whole };
}

describe.runIf(hasSimd)('compiled float32 passes as prebuilt step jobs', () => {
  // First in the file: the runtime loads at most 16 plans' kernels for its threads (later plans run theirs on
  // the calling thread, and their steps as jobs only when a step is one part), so these get threaded kernels.
  it('at 2 threads, steps split over both (RNNCell tanh, MGU, UserLSTM, GRUCell, CIFG LSTM): both passes run as jobs, bit-identical to the loop', () => {
    setNumThreads(2);
    const cases: [string, (g: RandomGenerator) => Cell][] = [
      ['RNNCell tanh', (g) => new RNNCell({ inputSize: 7, hiddenSize: 64, generator: g, dtype: 'float32', fused: false })],
      ['MGU', (g) => new MGU(7, 64, g, 'float32')],
      ['UserLSTM', (g) => new UserLSTM(7, 48, g, 'float32')],
      ['GRUCell', (g) => new GRUCell({ inputSize: 7, hiddenSize: 48, generator: g, dtype: 'float32', fused: false })],
      ['LSTMCell coupledGates', (g) => new LSTMCell({ inputSize: 7, hiddenSize: 48, coupledGates: true, generator: g, dtype: 'float32', fused: false })],
    ];
    for (const [name, make] of cases) {
      for (const reverse of [false, true]) {
        const g = new RandomGenerator(21);
        const cell = make(g);
        const xs = rand([9, 24, 7], g, { dtype: 'float32', requiresGrad: true });
        const { jobs, loop, ran, whole } = compare(cell, xs, { reverse });
        // Both passes run as prebuilt steps, each as ONE whole-sequence job (runSteps).
        expect([name, reverse, ran, whole]).toEqual([name, reverse, 2, 2]);
        expect(jobs).toEqual(loop);
      }
    }
  });

  it('small steps (each one part) run as one sequence job split over 2 threads, bit-identical to 1 thread, to per-step jobs and to the loop', () => {
    const results: number[][][] = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const reverse of [false, true]) {
        const g = new RandomGenerator(5);
        // B·N·K = 16·16·16 per step: too little to split a step, enough over 40 steps to split the sequence.
        const cell = new RNNCell({ inputSize: 3, hiddenSize: 16, generator: g, dtype: 'float32', fused: false });
        const xs = rand([40, 16, 3], g, { dtype: 'float32', requiresGrad: true });
        const before = sequenceJobPassCount();
        const r = compare(cell, xs, { reverse });
        const after = sequenceJobPassCount();
        expect([threads, reverse, r.ran, after.passes - before.passes, after.split - before.split]).toEqual([threads, reverse, 2, 2, threads === 2 ? 2 : 0]);
        expect(r.jobs).toEqual(r.loop);
        // The same pass with whole-sequence jobs off: one job per step.
        const off = setSequenceStepJobs(false);
        try {
          const perStep = compare(cell, xs, { reverse });
          expect([perStep.ran, perStep.whole]).toEqual([2, 0]);
          expect(perStep.jobs).toEqual(r.jobs);
        } finally {
          setSequenceStepJobs(off);
        }
        results.push(r.jobs);
      }
    }
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toEqual(results[1]);
  });

  for (const [name, make] of families) {
    it(`${name}: bit-identical to the step-by-step loop (outputs, final state, every gradient; reverse × batchFirst × 1 and 2 threads)`, () => {
      let ran = 0, whole = 0;
      fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, batchFirst, threads, seed }) => {
        setNumThreads(threads);
        const g = new RandomGenerator(seed);
        const cell = make(input, hidden, g);
        const xs = rand(batchFirst ? [batch, time, input] : [time, batch, input], g, { dtype: 'float32', requiresGrad: true });
        const r = compare(cell, xs, { reverse, batchFirst });
        ran += r.ran;
        whole += r.whole;
        expect(r.jobs).toEqual(r.loop);
      }), { seed: SEED, numRuns: 8 });
      // Layer norm's sums and a concat run JavaScript kernels: those steps never run as jobs; the others' do.
      if (name.includes('JavaScript')) expect([ran, whole]).toEqual([0, 0]);
      else expect(whole).toBeGreaterThan(0);
    });
  }

  it('lengths run step by step (padded rows keep their state), and agree bit for bit with the same batch unpadded as jobs', () => {
    setNumThreads(1);
    const g = new RandomGenerator(11);
    const cell = new RNNCell({ inputSize: 5, hiddenSize: 48, generator: g, dtype: 'float32', fused: false });
    const xs = rand([6, 13, 5], g, { dtype: 'float32', requiresGrad: true });
    const full = compare(cell, xs, {});
    expect(full.ran).toBe(2);
    const padded = compare(cell, xs, { lengths: new Array<number>(13).fill(6) });
    expect(padded.ran).toBe(0);
    expect(padded.jobs).toEqual(full.jobs);
  });

});
