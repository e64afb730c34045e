// One Adam step at W1's size (LSTM 65→256 + Linear 256→65: 347k float32 parameters in 6 tensors), A/B
// interleaved in one process, medians of wall and CPU time (workers included): the loop Adam ran before the
// step kernel (copied here verbatim), the JS fallback now, and the kernel (src/optim/adam-kernel.ts) on
// 1 and on 2 threads. The kernel needs a free second core to gain from 2 threads.
// pnpm exec tsx --conditions=unroll-source packages/autograd/bench/adam-step.bench.ts [rounds]
import * as K from '@unroll/core';
import { Adam, Parameter, Tensor } from '@unroll/autograd';
import { setAdamKernelMode, type AdamKernelMode } from '../src/optim/adam-kernel.js';

/** adam.ts's loop for the usual options before the kernel (one loop for both dtypes, rounding through closures). */
function loopBefore(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number,
  decay: number, beta1: number, beta2: number, negStep: number, bc2Sqrt: number, eps: number,
): void {
  const c1 = 1 - beta1, c2 = 1 - beta2;
  const same = (x: number) => x;
  const roundP = p instanceof Float32Array ? Math.fround : same;
  const roundM = m instanceof Float32Array ? Math.fround : same;
  const roundV = v instanceof Float32Array ? Math.fround : same;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const pi = decay === 1 ? p[i]! : roundP(p[i]! * decay);
    const mi = roundM(m[i]! * beta1 + c1 * gi);
    const vi = roundV(v[i]! * beta2 + c2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + negStep * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

const SHAPES = [[1024, 65], [1024, 256], [1024], [1024], [65, 256], [65]];
const LR = 2e-3;
const gen = new K.Generator(1);
const params = () => SHAPES.map((s) => {
  const p = new Parameter(K.randNormal(s, 0, 0.1, { generator: gen }));
  p.grad = new Tensor(K.randNormal(s, 0, 0.01, { generator: gen }));
  return p;
});

function adam(mode: AdamKernelMode): () => void {
  setAdamKernelMode(mode);
  const opt = new Adam(params(), { lr: LR });
  return () => {
    setAdamKernelMode(mode);
    opt.step();
  };
}

function before(): () => void {
  const buffers = params().map((p) => ({
    p: p.data.data as Float32Array, g: p.grad!.data.data as Float32Array, m: new Float32Array(p.size), v: new Float32Array(p.size),
  }));
  let t = 0;
  return () => {
    t++;
    for (const { p, g, m, v } of buffers) loopBefore(p, g, m, v, p.length, 1, 0.9, 0.999, -LR / (1 - 0.9 ** t), Math.sqrt(1 - 0.999 ** t), 1e-8);
  };
}

const rounds = Number(process.argv[2] ?? 40);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`adam-step.bench: rounds must be a positive integer; got '${process.argv[2]}'`);
const variants = [
  { name: 'JS loop before', threads: 1, step: before() },
  { name: 'JS fallback now', threads: 1, step: adam('never') },
  { name: 'kernel, 1 thread', threads: 1, step: adam('auto') },
  { name: 'kernel, 2 threads', threads: 2, step: adam('auto') },
];
const wall = variants.map(() => [] as number[]), cpu = variants.map(() => [] as number[]);
for (let r = -5; r < rounds; r++) {
  variants.forEach((v, i) => {
    K.setNumThreads(v.threads);
    const c0 = process.cpuUsage(), t0 = performance.now();
    v.step();
    const c = process.cpuUsage(c0), t = performance.now() - t0;
    if (r >= 0) {
      wall[i]!.push(t);
      cpu[i]!.push((c.user + c.system) / 1000);
    }
  });
}
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
console.log(`Adam step, W1 size (347k float32), medians of ${rounds} interleaved rounds`);
variants.forEach((v, i) => {
  const w = median(wall[i]!), c = median(cpu[i]!);
  console.log(`${v.name.padEnd(18)} wall ${w.toFixed(2)} ms  cpu ${c.toFixed(2)} ms  `
    + `(before ÷ this: wall ${(median(wall[0]!) / w).toFixed(2)}×, cpu ${(median(cpu[0]!) / c).toFixed(2)}×)`);
});
