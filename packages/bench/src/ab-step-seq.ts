// A/B of compileCell's whole-pass jobs (src/compile/step-jobs.ts: a float32 compiled pass's steps as ONE
// `WasmRuntime.runSteps` job, each part carrying its batch rows through every step) against one job per
// step, in one process, interleaved: the RNNCell tanh and MGU cells alone on W1's shapes (forward through
// the sequence, backward from a fixed output gradient) and the RNNCell tanh W1 step. Prints medians and
// ratios (wall and process CPU, workers included); never asserts them. `--runs N` (default 9).
import * as K from '@unroll/core';
import { RNNCell, compileCell } from '@unroll/rnn';
import { setSequenceStepJobs } from '../../rnn/src/compile/step-jobs.js';
import { SIZES, median } from './workloads.js';
import { MGU } from './compiled-cells.js';
import { cellAlone, runsArgument, timeOnce, w1Step } from './w1-timing.js';
import type { Timing } from './w1-timing.js';

const { vocab: V, hidden: H, batch: B, time: T } = SIZES;
const runs = runsArgument('ab-step-seq', process.argv.slice(2), 9);
type Work = () => void;

/** One run of `work` with whole-pass jobs on or off: wall and CPU ms. */
function timed(work: Work, on: boolean): Timing {
  const before = setSequenceStepJobs(on);
  try {
    return timeOnce(work);
  } finally {
    setSequenceStepJobs(before);
  }
}

console.log(`compileCell whole-pass jobs vs one job per step — W1 shapes (batch ${B}, sequence ${T}, hidden ${H}, float32), ${K.getNumThreads()} threads; medians of ${runs} interleaved runs`);
const cases: [string, Work][] = [
  ['RNNCell tanh, cell alone', cellAlone(new RNNCell({ inputSize: V, hiddenSize: H }))],
  ['MGU (compiled), cell alone', cellAlone(compileCell(new MGU(V, H)))],
  ['RNNCell tanh, W1 step', w1Step(new RNNCell({ inputSize: V, hiddenSize: H }))],
];
for (const [name, work] of cases) {
  work(); // warm-up: compiles, fills the pools, JIT
  const on = { wall: [] as number[], cpu: [] as number[] }, off = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < runs; r++) {
    for (const [m, s] of [[timed(work, true), on], [timed(work, false), off]] as const) { s.wall.push(m.wall); s.cpu.push(m.cpu); }
  }
  const f = (v: number) => v.toFixed(1).padStart(6);
  const [a, b, c, d] = [median(on.wall), median(on.cpu), median(off.wall), median(off.cpu)];
  console.log(`  ${name.padEnd(28)} whole pass ${f(a)} ms (cpu ${f(b)})   per step ${f(c)} ms (cpu ${f(d)})   ${(c / a).toFixed(2)}× faster (cpu ${(d / b).toFixed(2)}×)`);
}
