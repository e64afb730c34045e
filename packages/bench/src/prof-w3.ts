// Profiling helper (not part of pnpm bench): W3 (the built-in LSTM's forward under noGrad, one-hot
// [64, 32, 65] → 256, float32) timed wall and CPU per run, with where the main thread's time in split jobs
// went, for node --cpu-prof runs.
// usage: node --import tsx --conditions=unroll-source src/prof-w3.ts [--threads n] [--runs n] [--cpu-prof-out FILE]
import * as K from '@unroll/core';
import { threadJobStats } from '@unroll/core/internal';
import { Tensor, noGrad } from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';
import { SIZES, charBatch } from './workloads.js';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const FLAGS = ['--threads', '--runs', '--cpu-prof-out'];
for (let i = 2; i < process.argv.length; i += 2) {
  if (!FLAGS.includes(process.argv[i]!)) throw new Error(`prof-w3: unknown argument '${process.argv[i]}'; expected ${FLAGS.join(', ')} each with a value`);
}
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1]! : dflt; };
K.setNumThreads(Number(arg('--threads', '1')));
const runs = Number(arg('--runs', '30'));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`prof-w3: --runs must be a positive integer; got '${arg('--runs', '30')}'`);
const { vocab: V, hidden: H, batch: B, time: T } = SIZES;
const rnn = new LSTM({ inputSize: V, hiddenSize: H });
const x = new Tensor(K.fromData(charBatch().inputs, [T, B, V]));

const profOut = arg('--cpu-prof-out', '');
const session = profOut ? new Session() : null;
const post = (method: string, params?: object) => new Promise<any>((ok, fail) => session!.post(method, params, (e, r) => (e ? fail(e) : ok(r))));
if (session) { session.connect(); await post('Profiler.enable'); await post('Profiler.setSamplingInterval', { interval: 100 }); }
const wall: number[] = [], cpu: number[] = [];
for (let s = 0; s < runs + 3; s++) {
  if (s === 3 && session) await post('Profiler.start');
  if (s === 3) threadJobStats(true);
  const t0 = performance.now(), c0 = process.cpuUsage();
  noGrad(() => rnn.forward(x).output.mean().item());
  if (s >= 3) { wall.push(performance.now() - t0); const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000); }
}
if (session) writeFileSync(profOut, JSON.stringify((await post('Profiler.stop')).profile));
const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const js = threadJobStats();
console.log(`W3 threads ${K.getNumThreads()} runs ${runs}: wall ${med(wall).toFixed(1)} ms (min ${Math.min(...wall).toFixed(1)}), cpu ${med(cpu).toFixed(1)} ms; `
  + `jobs split per run ${(js.jobs / runs).toFixed(0)} (worker asleep ${(js.workerAsleep / runs).toFixed(0)}), solo ${(js.solo / runs).toFixed(0)}, `
  + `own ${(js.ownMs / runs).toFixed(1)} ms, wait ${(js.waitMs / runs).toFixed(1)} ms`);
