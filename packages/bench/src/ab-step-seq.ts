// A/B of compileCell's whole-pass jobs (src/compile/step-jobs.ts: a float32 compiled pass's steps as ONE
// `WasmRuntime.runSteps` job, each part carrying its batch rows through every step) against one job per
// step, in one process, interleaved: the RNNCell tanh and MGU cells alone on W1's shapes (forward through
// the sequence, backward from a fixed output gradient) and the RNNCell tanh W1 step. Prints medians and
// ratios (wall and process CPU, workers included); never asserts them. `--runs N` (default 9).
import * as K from '@unroll/core';
import { Adam, Linear, Tensor, backward, crossEntropy, reshape } from '@unroll/autograd';
import type { Module } from '@unroll/autograd';
import { RNNCell, compileCell, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { setSequenceStepJobs } from '../../rnn/src/compile/step-jobs.js';
import { SIZES, charBatch, median } from './workloads.js';
import { MGU } from './compiled-cells.js';

const { vocab: V, hidden: H, batch: B, time: T, lr } = SIZES;
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 9;
const data = charBatch();
const x = new Tensor(K.fromData(data.inputs, [T, B, V]));
const targets = new Tensor(K.fromData(data.targets, [T * B]));
const outputGrad = K.randUniform([T, B, H], -1, 1);

type Work = () => void;
const cellAlone = (cell: RecurrentCell<any> & Module): Work => () => {
  for (const p of cell.parameters()) p.grad = null;
  backward(unroll(cell, x).outputs, outputGrad);
};
const w1 = (cell: RecurrentCell<any> & Module): Work => {
  const head = new Linear(H, V);
  const opt = new Adam([...cell.parameters(), ...head.parameters()], { lr });
  return () => {
    const loss = crossEntropy(head.forward(reshape(unroll(cell, x).outputs, [T * B, H])), targets);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
}

/** One run of `work` with whole-pass jobs on or off: wall and CPU ms. */
function timed(work: Work, on: boolean): { wall: number; cpu: number } {
  const before = setSequenceStepJobs(on);
  try {
    const c0 = process.cpuUsage(), t0 = performance.now();
    work();
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  } finally {
    setSequenceStepJobs(before);
  }
}

console.log(`compileCell whole-pass jobs vs one job per step — W1 shapes (batch ${B}, sequence ${T}, hidden ${H}, float32), ${K.getNumThreads()} threads; medians of ${runs} interleaved runs`);
const cases: [string, Work][] = [
  ['RNNCell tanh, cell alone', cellAlone(new RNNCell({ inputSize: V, hiddenSize: H }))],
  ['MGU (compiled), cell alone', cellAlone(compileCell(new MGU(V, H)))],
  ['RNNCell tanh, W1 step', w1(new RNNCell({ inputSize: V, hiddenSize: H }))],
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
