// The fused LSTM and GRU layers on 1 and 2 threads: each step is split by batch rows (independent
// sequences), so every row is computed the same way whatever the split — outputs, final states and
// every gradient must be bit-identical, with and without lengths, in both directions. The same holds
// for compileCell's float32 sequences, whose recurrent gemms run on the same runtime split the same way.
import { afterEach, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { wasmRuntime } from '@unroll/core/internal';
import { RandomGenerator, Tensor } from '@unroll/autograd';
import { GRU, LSTM, compileCell, unroll } from '@unroll/rnn';
import { residentPasses, setResidentGemm } from '../src/compile/runtime.js';
import { MGU, UserLSTM } from './compile/cells.js';
import { maxError, runAll } from './compile/run.js';
import { rand } from './helpers.js';

const threadsAtStart = getNumThreads();
afterEach(() => setNumThreads(threadsAtStart));

/** Forward and backward of a 2-layer bidirectional float32 layer; values and gradients as plain arrays. */
function run(Module: typeof LSTM | typeof GRU, batch: number, lengths?: number[]): number[][] {
  // hidden 64: a step is then big enough (≥ 2¹⁶ multiply-adds) to be split over the threads.
  const hidden = 64, input = 12, time = 7;
  const m = new Module({ inputSize: input, hiddenSize: hidden, numLayers: 2, bidirectional: true, generator: new RandomGenerator(3) });
  const x = new Tensor(rand([time, batch, input], new RandomGenerator(4), { dtype: 'float32' }).data, { requiresGrad: true });
  const r = m.forward(x, undefined, { lengths });
  const g = new RandomGenerator(9);
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

describe('compiled float32 sequences at 1 and 2 threads', () => {
  // hidden 48: a UserLSTM step is B·4H·H ≥ 2¹⁶ multiply-adds, so its recurrent gemm is split over the threads.
  const cases = [
    ['UserLSTM', (g: RandomGenerator) => new UserLSTM(9, 48, g, 'float32')],
    ['MGU', (g: RandomGenerator) => new MGU(9, 80, g, 'float32')],
  ] as const;
  for (const [name, make] of cases) {
    for (const [batch, lengths] of [[24, undefined], [13, [7, 3, 5, 7, 1, 2, 7, 6, 4, 7, 7, 2, 3]]] as const) {
      it(`${name}, batch ${batch}${lengths ? ', with lengths' : ''}: bit-identical at 1 and 2 threads, and equal to the JS gemm to rounding`, () => {
        const g = new RandomGenerator(5);
        const cell = make(g);
        const xs = rand([7, batch, 9], g, { dtype: 'float32', requiresGrad: true });
        const h0 = cell.initialState(batch);
        const opts = { lengths: lengths as number[] | undefined, reverse: lengths !== undefined };
        // verify off: it runs extra passes on first use, and these count passes.
        const run = () => runAll(compileCell(cell, { verify: false }), cell.parameters(), xs, h0, opts, 1);
        setNumThreads(1);
        const passes = residentPasses();
        const one = run();
        expect(residentPasses()).toBe(passes + 2); // forward and backward ran on the runtime
        setNumThreads(2);
        const two = run();
        expect(two).toEqual(one);
        const before = setResidentGemm(false);
        try {
          const js = run();
          const scale = Math.max(...js.flat().map(Math.abs));
          expect(maxError(two, js) / scale).toBeLessThan(2e-5);
        } finally {
          setResidentGemm(before);
        }
      });
    }
  }
});

describe('compiled float32 sequences and the kernel memory', () => {
  it('recorded forwards never backwarded hold at most 64 MB of the kernel memory (which never shrinks)', () => {
    const g = new RandomGenerator(6);
    // hidden 128, 64 steps of 32 rows: each forward's slots take ~12 MB.
    const cell = compileCell(new UserLSTM(9, 128, g, 'float32'), { verify: false });
    const xs = rand([64, 32, 9], g, { dtype: 'float32', requiresGrad: true });
    const outs = [unroll(cell, xs).outputs];
    const bytes = wasmRuntime()!.memory.buffer.byteLength;
    const passes = residentPasses();
    // Graphs kept alive and never backwarded: past the budget, forwards copy out and free their region.
    for (let i = 0; i < 12; i++) outs.push(unroll(cell, xs).outputs);
    expect(residentPasses()).toBe(passes + 12);
    expect(wasmRuntime()!.memory.buffer.byteLength - bytes).toBeLessThanOrEqual(80 * 2 ** 20);
    expect(outs.every((o) => o.requiresGrad)).toBe(true);
  });
});
