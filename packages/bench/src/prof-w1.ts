// Profiling helper (not part of pnpm bench): W1/W2 training steps timed by phase (zeroGrad, forward,
// loss, backward, optimizer step), wall and CPU, and where the main thread's time in split jobs went, for
// node --cpu-prof / --trace-gc runs. Kinds: the built-in LSTM and GRU (hand-written kernels), RNN tanh (compiled by default, `rnn-composed` steps its
// composed cell) and the minimal gated unit under compileCell (`mgu-composed`: its composed step).
// usage: node --import tsx --conditions=unroll-source src/prof-w1.ts [--threads n] [--kind K] [--steps n]
import * as K from '@unroll/core';
import { threadJobStats } from '@unroll/core/internal';
import { Adam, Linear, Module, Tensor, crossEntropy } from '@unroll/autograd';
import { GRU, LSTM, RNN, compileCell, unroll } from '@unroll/rnn';
import { SIZES, charBatch } from './workloads.js';
import { MGU } from './compiled-cells.js';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const FLAGS = ['--threads', '--kind', '--steps', '--cpu-prof-out'];
for (let i = 2; i < process.argv.length; i += 2) {
  if (!FLAGS.includes(process.argv[i]!)) throw new Error(`prof-w1: unknown argument '${process.argv[i]}'; expected ${FLAGS.join(', ')} each with a value`);
}
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1]! : dflt; };
K.setNumThreads(Number(arg('--threads', '1')));
const KINDS = ['lstm', 'gru', 'rnn', 'rnn-composed', 'mgu', 'mgu-composed'];
const kind = arg('--kind', 'lstm');
if (!KINDS.includes(kind)) throw new Error(`prof-w1: --kind must be one of ${KINDS.join(', ')}; got '${kind}'`);
const steps = Number(arg('--steps', '10'));
if (!Number.isInteger(steps) || steps < 1) throw new Error(`prof-w1: --steps must be a positive integer; got '${arg('--steps', '10')}'`);
const { vocab: V, hidden: H, batch: B, time: T, lr } = SIZES;

/** The minimal gated unit as a module with the recurrent modules' forward (compiled unless `composed`). */
class MGULayer extends Module {
  readonly cell: MGU;
  constructor(private readonly composed: boolean) {
    super();
    this.cell = this.registerModule('cell', new MGU(V, H));
  }
  forward(x: Tensor): { output: Tensor } {
    return { output: unroll(this.composed ? this.cell : compileCell(this.cell), x).outputs };
  }
}

function makeRecurrent(): Module & { forward(x: Tensor): { output: Tensor } } {
  if (kind === 'lstm') return new LSTM({ inputSize: V, hiddenSize: H });
  if (kind === 'gru') return new GRU({ inputSize: V, hiddenSize: H });
  if (kind === 'rnn' || kind === 'rnn-composed') return new RNN({ inputSize: V, hiddenSize: H, fused: kind === 'rnn' });
  return new MGULayer(kind === 'mgu-composed');
}

class CharModel extends Module {
  readonly rnn = this.registerModule('rnn', makeRecurrent());
  readonly head = this.registerModule('head', new Linear(H, V));
}
const model = new CharModel();
const opt = new Adam(model.parameters(), { lr });
const data = charBatch();
const x = new Tensor(K.fromData(data.inputs, [T, B, V]));
const targets = new Tensor(K.fromData(data.targets, [T, B]));

const phases = ['zeroGrad', 'forward', 'loss', 'backward', 'step'] as const;
const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
for (const p of [...phases, 'total']) { wall[p] = []; cpu[p] = []; }
// --cpu-prof-out FILE: a .cpuprofile of the measured steps only (not startup or the two warm-up steps).
const profOut = arg('--cpu-prof-out', '');
const session = profOut ? new Session() : null;
const post = (method: string, params?: object) => new Promise<any>((ok, fail) => session!.post(method, params, (e, r) => (e ? fail(e) : ok(r))));
if (session) { session.connect(); await post('Profiler.enable'); await post('Profiler.setSamplingInterval', { interval: 200 }); }
for (let s = 0; s < steps + 2; s++) {
  if (s === 2 && session) await post('Profiler.start');
  if (s === 2) threadJobStats(true);
  let t = performance.now(), c = process.cpuUsage();
  const t0 = t, c0 = c;
  const mark = (p: string) => {
    const t1 = performance.now(), c1 = process.cpuUsage(c);
    if (s >= 2) { wall[p]!.push(t1 - t); cpu[p]!.push((c1.user + c1.system) / 1000); }
    t = t1; c = process.cpuUsage();
  };
  opt.zeroGrad(); mark('zeroGrad');
  const logits = model.head.forward(model.rnn.forward(x).output); mark('forward');
  const loss = crossEntropy(logits, targets); mark('loss');
  loss.backward(); mark('backward');
  opt.step(); mark('step');
  if (s >= 2) { wall['total']!.push(performance.now() - t0); const cc = process.cpuUsage(c0); cpu['total']!.push((cc.user + cc.system) / 1000); }
}
if (session) writeFileSync(profOut, JSON.stringify((await post('Profiler.stop')).profile));
const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
console.log(`${kind} threads ${K.getNumThreads()} steps ${steps}`);
for (const p of [...phases, 'total']) console.log(`  ${p.padEnd(9)} wall ${med(wall[p]!).toFixed(1).padStart(6)} ms  cpu ${med(cpu[p]!).toFixed(1).padStart(6)} ms`);
// Where this thread's time in split jobs went (see threadJobStats): a worker found asleep must be woken; a
// long wait after this thread's own parts means a worker's part ran late or slow; solo jobs ran here alone.
const js = threadJobStats();
console.log(`  jobs split over threads per step ${(js.jobs / steps).toFixed(0)} (a worker asleep at the start of ${(js.workerAsleep / steps).toFixed(0)}), `
  + `run alone by the oversubscription guard ${(js.solo / steps).toFixed(0)} (${js.soloStarts} guard starts in all); this thread per step: `
  + `own parts ${(js.ownMs / steps).toFixed(1)} ms, waiting for workers ${(js.waitMs / steps).toFixed(1)} ms`);
