// What the compileCell rows and their A/B scripts time on W1's shapes, written once: a W1 training step
// of a cell (→ Linear head → cross-entropy → Adam), the cell's own work alone (forward through the
// sequence, backward from a fixed output gradient), a wall-and-CPU timer of one call, and interleaved
// medians of several timers.
import * as K from '@unroll/core';
import { Adam, Linear, Tensor, backward, crossEntropy, reshape } from '@unroll/autograd';
import type { Module } from '@unroll/autograd';
import { unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { SIZES, charBatch, median } from './workloads.js';

const { vocab: V, hidden: H, batch: B, time: T, lr } = SIZES;
const data = charBatch();
/** W1's one-hot input [T, B, V] (float32). */
export const x = new Tensor(K.fromData(data.inputs, [T, B, V]));
const targets = new Tensor(K.fromData(data.targets, [T * B]));
/** The output gradient the cell-alone work starts backward from (fixed, so every run does the same work). */
const outputGrad = K.randUniform([T, B, H], -1, 1);

export type Timing = { wall: number; cpu: number };
export type Cell = RecurrentCell<any> & Module;

/** One W1 training step of `cell` → Linear head → cross-entropy → Adam (the head and optimizer made here). */
export function w1Step(cell: Cell): () => void {
  const head = new Linear(H, V);
  const opt = new Adam([...cell.parameters(), ...head.parameters()], { lr });
  return () => {
    const loss = crossEntropy(head.forward(reshape(unroll(cell, x).outputs, [T * B, H])), targets);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
}

/** The cell's own work in a W1 step: forward through the sequence, backward from a fixed output gradient. */
export function cellAlone(cell: Cell): () => void {
  return () => {
    for (const p of cell.parameters()) p.grad = null;
    backward(unroll(cell, x).outputs, outputGrad);
  };
}

/** Wall and process CPU ms (workers included) of one call of `work`. */
export function timeOnce(work: () => void): Timing {
  const c0 = process.cpuUsage(), t0 = performance.now();
  work();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

/** Runs the timers round-robin `runs` times (so machine load falls on all alike); their medians. */
export function race(runs: number, timers: (() => Timing)[]): Timing[] {
  const walls = timers.map(() => [] as number[]), cpus = timers.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    timers.forEach((t, i) => { const m = t(); walls[i]!.push(m.wall); cpus[i]!.push(m.cpu); });
  }
  return timers.map((_, i) => ({ wall: median(walls[i]!), cpu: median(cpus[i]!) }));
}

/**
 * The `--runs N` of an A/B script's command line (default `fallback`); refuses any other argument and
 * an N that is not a whole number ≥ 1, naming the script.
 */
export function runsArgument(script: string, argv: readonly string[], fallback: number): number {
  let runs = fallback;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--runs') throw new Error(`${script}: unknown argument '${argv[i]}'; the only flag is --runs N`);
    const raw = argv[++i];
    runs = Number(raw);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`${script}: --runs must be a whole number ≥ 1; got '${raw ?? ''}'`);
  }
  return runs;
}
