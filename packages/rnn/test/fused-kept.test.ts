// What a recorded float32 LSTM or GRU forward keeps in the kernel runtime's memory for its backward (gates, cell
// states): given back when the graph is released after backward, and — for a graph never backwarded —
// when the collector takes it, so neither pattern makes the memory (which never shrinks) keep growing.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { wasmRuntime } from '@unroll/core/internal';
import { RandomGenerator, Tensor } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import { rand } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = () => new Promise((r) => setTimeout(r, 0));

// ~1.3 MB kept per forward (gates [T, B, 4H] alone are 1 MB).
const time = 32, batch = 16, hidden = 128, input = 8;
const x = new Tensor(rand([time, batch, input], new RandomGenerator(2), { dtype: 'float32' }).data, { requiresGrad: true });
const bytes = () => wasmRuntime()!.memory.buffer.byteLength;

describe.each([LSTM, GRU])('the %o forward keeps its saved values in the kernel memory', (Module) => {
  const lstm = new Module({ inputSize: input, hiddenSize: hidden, generator: new RandomGenerator(1) });
  it.runIf(wasmRuntime()?.shared)('and gives them back on release: 100 forward + backward leave the memory where 3 left it', () => {
    const step = () => { lstm.forward(x).output.sum().backward(); };
    for (let i = 0; i < 3; i++) step();
    const before = bytes();
    for (let i = 0; i < 100; i++) step();
    expect(bytes()).toBe(before);
  });

  it.runIf(wasmRuntime()?.shared)('and a graph never backwarded gives them back once collected (100 forwards, ~130 MB if pinned)', async () => {
    const before = bytes();
    for (let i = 0; i < 100; i++) {
      lstm.forward(x); // recorded (x requires grad), then dropped
      if (i % 10 === 9) {
        gc();
        await tick(); // FinalizationRegistry callbacks run after the collection, in a task
      }
    }
    expect(bytes() - before).toBeLessThan(40 * 2 ** 20);
  });
});
