// A/B of compileCell's one-hot input path on W1's shapes (one-hot 65 → cell 256 → Linear → cross-entropy
// → Adam, batch 32, 64 steps, float32): the compiled RNNCell tanh and minimal gated unit with the path on
// and off (setOneHotPath), beside their composed paths, as the whole W1 step and as the cell alone
// (forward + backward from a fixed output gradient). Interleaved in one process, medians, wall and
// process CPU time. Prints ratios; asserts nothing.
//   pnpm exec tsx --conditions=unroll-source packages/bench/src/ab-compiled-one-hot.ts [--runs N]
import os from 'node:os';
import * as K from '@unroll/core';
import { Adam, Linear, Tensor, backward, crossEntropy, reshape } from '@unroll/autograd';
import type { Module } from '@unroll/autograd';
import { RNNCell, compileCell, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { setOneHotPath } from '../../rnn/src/fused/one-hot.js';
import { SIZES, charBatch, median } from './workloads.js';
import { MGU } from './compiled-cells.js';

const { vocab: V, hidden: H, batch: B, time: T, lr } = SIZES;
const data = charBatch();
const x = new Tensor(K.fromData(data.inputs, [T, B, V]));
const targets = new Tensor(K.fromData(data.targets, [T * B]));
const outputGrad = K.randUniform([T, B, H], -1, 1);
type Timing = { wall: number; cpu: number };

/** A timer of `step` run with the one-hot path `on` (wall and process CPU ms, workers included); one warm-up call. */
function timer(on: boolean, step: () => void): () => Timing {
  const run = () => { const before = setOneHotPath(on); try { step(); } finally { setOneHotPath(before); } };
  run();
  return () => {
    const c0 = process.cpuUsage(), t0 = performance.now();
    run();
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
}

function w1Step(cell: RecurrentCell<any> & Module): () => void {
  const head = new Linear(H, V);
  const opt = new Adam([...cell.parameters(), ...head.parameters()], { lr });
  return () => {
    const loss = crossEntropy(head.forward(reshape(unroll(cell, x).outputs, [T * B, H])), targets);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
}

function cellAlone(cell: RecurrentCell<any> & Module): () => void {
  return () => {
    for (const p of cell.parameters()) p.grad = null;
    backward(unroll(cell, x).outputs, outputGrad);
  };
}

function race(runs: number, timers: (() => Timing)[]): Timing[] {
  const walls = timers.map(() => [] as number[]), cpus = timers.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) timers.forEach((t, i) => { const m = t(); walls[i]!.push(m.wall); cpus[i]!.push(m.cpu); });
  return timers.map((_, i) => ({ wall: median(walls[i]!), cpu: median(cpus[i]!) }));
}

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 5;
const fmt = (r: Timing) => `${r.wall.toFixed(0).padStart(5)} ms (cpu ${r.cpu.toFixed(0).padStart(5)})`;
const ratio = (a: Timing, b: Timing) => `${(b.wall / a.wall).toFixed(2)}× (cpu ${(b.cpu / a.cpu).toFixed(2)}×)`;
console.log(`compileCell one-hot path A/B — W1 shapes, float32, ${K.getNumThreads()} thread(s); medians of ${runs} interleaved runs; load average ${os.loadavg()[0]!.toFixed(1)}`);
const kinds: [string, () => RecurrentCell<any> & Module, () => RecurrentCell<any> & Module][] = [
  ['RNNCell tanh', () => new RNNCell({ inputSize: V, hiddenSize: H }), () => new RNNCell({ inputSize: V, hiddenSize: H, fused: false })],
  ['minimal gated unit', () => compileCell(new MGU(V, H)), () => new MGU(V, H)],
];
for (const [name, compiled, composed] of kinds) {
  const [on, off, comp, cOn, cOff, cComp] = race(runs, [
    timer(true, w1Step(compiled())), timer(false, w1Step(compiled())), timer(true, w1Step(composed())),
    timer(true, cellAlone(compiled())), timer(false, cellAlone(compiled())), timer(true, cellAlone(composed())),
  ]);
  console.log(`  ${name}`);
  console.log(`    W1 step:    one-hot on ${fmt(on!)}  off ${fmt(off!)}  composed ${fmt(comp!)}   on vs off ${ratio(on!, off!)}; vs composed: on ${ratio(on!, comp!)}, off ${ratio(off!, comp!)}`);
  console.log(`    cell alone: one-hot on ${fmt(cOn!)}  off ${fmt(cOff!)}  composed ${fmt(cComp!)}   on vs off ${ratio(cOn!, cOff!)}; vs composed: on ${ratio(cOn!, cComp!)}, off ${ratio(cOff!, cComp!)}`);
}
