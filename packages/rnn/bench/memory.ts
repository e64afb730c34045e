// Heap over 1,000 training steps of a small model (2-layer LSTM on one-hot input, Linear head,
// cross-entropy, Adam): prints the heap used every 100 steps, after a forced GC so the numbers are
// the live heap rather than a point on the allocation sawtooth, with the garbage collections of those
// 100 steps and their total pause. A flat live heap means nothing accumulates from step to step.
// Run: pnpm exec tsx --conditions=unroll-source packages/rnn/bench/memory.ts [steps] [--composed]
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Adam, Linear, Tensor, crossEntropy, manualSeed, reshape } from '@unroll/autograd';
import * as K from '@unroll/core';
import { LSTM } from '@unroll/rnn';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const steps = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const fused = !process.argv.includes('--composed');
const V = 20, H = 64, B = 8, T = 32;

manualSeed(1);
const lstm = new LSTM({ inputSize: V, hiddenSize: H, numLayers: 2, fused });
const head = new Linear(H, V);
const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-2 });
const oneHot = K.zeros([T, B, V]);
const ids = Int32Array.from({ length: T * B }, (_, k) => (k * 31 + 7) % V);
for (let k = 0; k < T * B; k++) oneHot.data[k * V + ids[k]!] = 1;
const x = new Tensor(oneHot);
// Predict the next id: the targets are the inputs shifted by one step.
const targets = new Tensor(K.fromData(Int32Array.from({ length: T * B }, (_, k) => ids[(k + B) % (T * B)]!), [T * B]));

let gcCount = 0, gcPause = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) { gcCount++; gcPause += e.duration; }
}).observe({ entryTypes: ['gc'] });

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2).padStart(7);
console.log(`${fused ? 'fused' : 'composed'} 2-layer LSTM H=${H}, batch ${B}, ${T} steps per sequence; ${steps} training steps`);
console.log(' step   heap used (live)   array buffers   GCs in last 100 steps (pause)   loss');
let loss = 0;
for (let step = 1; step <= steps; step++) {
  const l = crossEntropy(head.forward(reshape(lstm.forward(x).output, [T * B, H])), targets);
  opt.zeroGrad();
  l.backward();
  opt.step();
  loss = l.item();
  if (step % 100 === 0) {
    // Let the observer see this window's collections before the forced one.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const count = gcCount, pause = gcPause;
    gc();
    const m = process.memoryUsage();
    const gcs = `${String(count).padStart(4)} (${pause.toFixed(0)} ms)`.padEnd(32);
    console.log(`${String(step).padStart(5)}   ${mb(m.heapUsed)} MB         ${mb(m.arrayBuffers)} MB     ${gcs}${loss.toFixed(4)}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
    gcCount = 0;
    gcPause = 0;
  }
}
