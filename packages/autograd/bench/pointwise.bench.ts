// CPU time per call of add, mul and tanh on 256×256 float32, forward alone and forward + backward,
// through the public ops (their kernels are derived from the scalar rules in ops/elementwise.ts).
// CPU time rather than wall time, since the machine is shared. Run it on two commits to compare:
// pnpm exec tsx --conditions=unroll-source packages/autograd/bench/pointwise.bench.ts
import * as K from '@unroll/core';
import { Tensor, add, mul, tanh } from '@unroll/autograd';

const N = 256;
const a = new Tensor(K.randUniform([N, N], -1, 1), { requiresGrad: true });
const b = new Tensor(K.randUniform([N, N], -1, 1), { requiresGrad: true });
const dy = new Tensor(K.randUniform([N, N], -1, 1));

/** Mean CPU milliseconds per call over `reps` calls, after a warm-up. */
function cpuMs(f: () => void, reps = 100): number {
  for (let i = 0; i < 20; i++) f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

const cases: Record<string, () => void> = {
  'add forward': () => add(a.detach(), b.detach()),
  'add fwd+bwd': () => { a.zeroGrad(); b.zeroGrad(); add(a, b).backward(dy); },
  'mul forward': () => mul(a.detach(), b.detach()),
  'mul fwd+bwd': () => { a.zeroGrad(); b.zeroGrad(); mul(a, b).backward(dy); },
  'tanh forward': () => tanh(a.detach()),
  'tanh fwd+bwd': () => { a.zeroGrad(); tanh(a).backward(dy); },
};
console.log(`${N}×${N} float32, CPU ms per call`);
for (const [name, f] of Object.entries(cases)) console.log(`${name.padEnd(13)} ${cpuMs(f).toFixed(3)}`);
