// A/B of compileCell's one-hot input path on W1's shapes (one-hot 65 → cell 256 → Linear → cross-entropy
// → Adam, batch 32, 64 steps, float32): the compiled RNNCell tanh and minimal gated unit with the path on
// and off (setOneHotPath), beside their composed paths, as the whole W1 step and as the cell alone
// (forward + backward from a fixed output gradient). Interleaved in one process, medians, wall and
// process CPU time. Prints ratios; asserts nothing.
//   pnpm exec tsx --conditions=unroll-source packages/bench/src/ab-compiled-one-hot.ts [--runs N]
import os from 'node:os';
import * as K from '@unroll/core';
import type { Module } from '@unroll/autograd';
import { RNNCell, compileCell } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { setOneHotPath } from '../../rnn/src/fused/one-hot.js';
import { SIZES } from './workloads.js';
import { MGU } from './compiled-cells.js';
import { cellAlone, race, runsArgument, timeOnce, w1Step } from './w1-timing.js';
import type { Timing } from './w1-timing.js';

const { vocab: V, hidden: H } = SIZES;

/** A timer of `step` run with the one-hot path `on` (wall and process CPU ms, workers included); one warm-up call. */
function timer(on: boolean, step: () => void): () => Timing {
  const run = () => { const before = setOneHotPath(on); try { step(); } finally { setOneHotPath(before); } };
  run();
  return () => timeOnce(run);
}

const runs = runsArgument('ab-compiled-one-hot', process.argv.slice(2), 5);
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
