// Quick timing of the target workloads through the public API, fused vs composed:
//   W1  char-level LSTM train step: one-hot vocab 65 → LSTM(256) → Linear(256→65) on every step,
//       softmax cross-entropy averaged over all steps, Adam, float32, batch 32, sequence 64;
//   W1e the same with an Embedding(65, 64) input instead of one-hot;
//   W2  the same train step with a GRU;
//   W3  W1's LSTM alone, forward only (noGrad), as packages/bench times it.
// Prints the median wall time per step (and the process CPU time per step, which machine load
// inflates less), the fused path at each thread count of --threads (default 1,2), interleaved.
// Run: pnpm exec tsx --conditions=unroll-source packages/rnn/bench/w1.ts [steps] [--threads 1,2] [--fused-only]
import { loadavg } from 'node:os';
import { Adam, Embedding, Linear, Tensor, crossEntropy, manualSeed, noGrad, reshape } from '@unroll/autograd';
import * as K from '@unroll/core';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { GRU, LSTM } from '@unroll/rnn';

const V = 65, H = 256, B = 32, T = 64, E = 64;
const args = process.argv.slice(2);
const steps = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const threadsArg = args.indexOf('--threads');
const threadCounts = (threadsArg >= 0 ? args[threadsArg + 1]! : '1,2').split(',').map(Number);
const fusedOnly = args.includes('--fused-only');

interface Model { forward(): Tensor; recurrent(): Tensor; params: Tensor[] }

function makeModel(kind: 'lstm' | 'gru' | 'lstm-embedding', fused: boolean): Model {
  manualSeed(1);
  const rnn = kind === 'gru' ? new GRU({ inputSize: V, hiddenSize: H, fused })
    : new LSTM({ inputSize: kind === 'lstm' ? V : E, hiddenSize: H, fused });
  const head = new Linear(H, V);
  const ids = K.fromData(Int32Array.from({ length: T * B }, (_, k) => (k * 7919) % V), [T, B]);
  let input: () => Tensor;
  const params = [...rnn.parameters(), ...head.parameters()];
  if (kind === 'lstm-embedding') {
    const emb = new Embedding(V, E);
    params.push(...emb.parameters());
    const idTensor = new Tensor(ids);
    input = () => emb.forward(idTensor);
  } else {
    const oneHot = K.zeros([T, B, V]);
    for (let k = 0; k < T * B; k++) oneHot.data[k * V + ids.data[k]!] = 1;
    const x = new Tensor(oneHot);
    input = () => x;
  }
  return {
    params,
    forward: () => head.forward(reshape(rnn.forward(input()).output, [T * B, H])),
    recurrent: () => rnn.forward(input()).output,
  };
}

const targets = new Tensor(K.fromData(Int32Array.from({ length: T * B }, (_, k) => (k * 104729 + 3) % V), [T * B]));

function timeSteps(n: number, step: () => void): { wall: number; cpu: number } {
  step(); // warm-up (JIT, scratch buffers, wasm memory)
  const walls: number[] = [], cpus: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    step();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: median(walls), cpu: median(cpus) };
}

function trainStep(m: Model, opt: Adam): void {
  const loss = crossEntropy(m.forward(), targets);
  opt.zeroGrad();
  loss.backward();
  opt.step();
}

const fmt = (r: { wall: number; cpu: number }) => `${r.wall.toFixed(0).padStart(5)} ms (cpu ${r.cpu.toFixed(0)} ms)`;
console.log(`T=${T} B=${B} H=${H} V=${V} float32; median of ${steps} steps (composed: of ${Math.max(2, steps >> 2)}); load average ${loadavg()[0]!.toFixed(1)}`);
for (const fused of fusedOnly ? [true] : [true, false]) {
  const n = fused ? steps : Math.max(2, steps >> 2);
  const workloads = [['W1  LSTM train (one-hot)  ', 'lstm'], ['W1e LSTM train (embedding)', 'lstm-embedding'],
    ['W2  GRU train (one-hot)   ', 'gru'], ['W3  LSTM forward only     ', 'w3']] as const;
  for (const [name, kind] of workloads) {
    const m = makeModel(kind === 'w3' ? 'lstm' : kind, fused);
    const opt = new Adam(m.params, { lr: 2e-3 });
    const step = kind === 'w3' ? () => { noGrad(() => m.recurrent()); } : () => trainStep(m, opt);
    for (const threads of fused ? threadCounts : [1]) {
      setNumThreads(threads);
      const label = fused ? `fused ${getNumThreads()}T` : 'composed';
      console.log(`${label} ${name} ${fmt(timeSteps(n, step))}`);
    }
  }
}
