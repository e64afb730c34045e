// compileCell rows of `pnpm bench` (unroll only): W1 with a user-written LSTM cell compiled beside the
// built-in fused LSTM, W1 with a minimal gated unit compiled vs composed, then more cells compiled vs
// composed (a user GRU, an IndRNN, a layer-norm LSTM, a peephole LSTM, an update-gate RNN, a minimal
// RNN, and the built-in RNN tanh and coupled-gate LSTM, which run compiled by default) and the built-in
// LSTM and GRU compiled vs their hand-written kernels. Each
// compiled-vs-composed pair is timed twice: as the whole W1 step, and as the cell's own work on W1's
// shapes (forward through the sequence, backward from a fixed output gradient), since the W1 step's head,
// loss and Adam are the same on both sides and dilute the ratio for a cheap cell. Prints times and
// ratios; never asserts them. The float64 agreement of the two LSTMs on W1's shapes too.
import os from 'node:os';
import * as K from '@unroll/core';
import { Module, Tensor, sum } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell, compileCell, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { SIZES } from './workloads.js';
import { IndRNN, LayerNormLSTM, MGU, MinimalRNN, MyGRU, MyLSTM, PeepholeLSTM, UGRNN } from './compiled-cells.js';
import { cellAlone as cellWork, race, timeOnce, w1Step, x } from './w1-timing.js';
import type { Timing } from './w1-timing.js';

const { vocab: V, hidden: H, batch: B, time: T } = SIZES;

/** A timer of `work` after one untimed warm-up call (compiles, fills the pools, JIT). */
function warmTimer(work: () => void): () => Timing {
  work();
  return () => timeOnce(work);
}
/** A timer of one W1 training step of `cell`. */
const w1 = (cell: RecurrentCell<any> & Module) => warmTimer(w1Step(cell));
/** A timer of the cell's own work in a W1 step (forward, backward from a fixed output gradient). */
const cellAlone = (cell: RecurrentCell<any> & Module) => warmTimer(cellWork(cell));

/** Largest difference, over outputs and every gradient, between the built-in LSTM and MyLSTM with its weights (float64, W1 shapes). */
function agreement(): number {
  const builtin = new LSTMCell({ inputSize: V, hiddenSize: H, dtype: 'float64' });
  const mine = new MyLSTM(V, H, 'float64');
  mine.weightX.data = K.clone(builtin.weightIh.data);
  mine.weightH.data = K.clone(builtin.weightHh.data);
  mine.bias.data = K.add(builtin.biasIh!.data, builtin.biasHh!.data);
  const x64 = new Tensor(K.cast(x.data, 'float64'));
  const w = new Tensor(K.randUniform([T, B, H], -1, 1, { dtype: 'float64' }));
  const run = (cell: RecurrentCell<any>) => {
    const r = unroll(cell, x64);
    sum(r.outputs.mul(w)).backward();
    return [...r.outputs.values()];
  };
  const a = run(builtin), b = run(compileCell(mine));
  let worst = 0;
  a.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - b[i]!)); });
  const grads: [Tensor, Tensor][] = [[builtin.weightIh, mine.weightX], [builtin.weightHh, mine.weightH], [builtin.biasIh!, mine.bias]];
  for (const [p, q] of grads) {
    const g = p.grad!.values(), h = q.grad!.values();
    g.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - h[i]!)); });
  }
  return worst;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const runs = quick ? 3 : 7;
  const fmt = (r: Timing) => `${r.wall.toFixed(0).padStart(6)} ms (cpu ${r.cpu.toFixed(0).padStart(5)} ms)`;
  console.log(`compileCell (unroll only) — W1 shapes (one-hot ${V} → cell(${H}) → Linear → cross-entropy → Adam, batch ${B}, sequence ${T}, float32); ` +
    `medians of ${runs} interleaved runs; load average ${os.loadavg()[0]!.toFixed(1)}`);
  const [fused, compiled] = race(runs, [w1(new LSTMCell({ inputSize: V, hiddenSize: H })), w1(compileCell(new MyLSTM(V, H)))]);
  console.log(`  W1 built-in fused LSTM            ${fmt(fused!)}`);
  console.log(`  W1 user LSTM cell, compiled        ${fmt(compiled!)}   ${(compiled!.wall / fused!.wall).toFixed(2)}× the built-in's time (cpu ${(compiled!.cpu / fused!.cpu).toFixed(2)}×)`);
  console.log(`     agreement with the built-in LSTM in float64 (outputs and weight gradients): ${agreement().toExponential(1)}`);
  const faster = (compiledRun: Timing, composedRun: Timing) =>
    `${(composedRun.wall / compiledRun.wall).toFixed(1)}× faster (cpu ${(composedRun.cpu / compiledRun.cpu).toFixed(1)}×)`;
  const mgu = new MGU(V, H), mguCompiledCell = compileCell(mgu);
  const [mguCompiled, mguComposed, mguCellCompiled, mguCellComposed] = race(quick ? 1 : 3,
    [w1(mguCompiledCell), w1(new MGU(V, H)), cellAlone(mguCompiledCell), cellAlone(mgu)]);
  console.log(`  W1 minimal gated unit, compiled    ${fmt(mguCompiled!)}`);
  console.log(`  W1 minimal gated unit, composed    ${fmt(mguComposed!)}   compiled is ${faster(mguCompiled!, mguComposed!)}`);
  console.log(`     the cell alone (forward + backward): compiled ${fmt(mguCellCompiled!)}  composed ${fmt(mguCellComposed!)}  ${faster(mguCellCompiled!, mguCellComposed!)}`);
  console.log('  more cells, compiled vs composed (the same interleaved medians; W1 step, then the cell alone):');
  const others: [string, () => RecurrentCell<any> & Module, () => RecurrentCell<any> & Module][] = [
    ['user GRU (both biases)', () => compileCell(new MyGRU(V, H)), () => new MyGRU(V, H)],
    ['IndRNN', () => compileCell(new IndRNN(V, H)), () => new IndRNN(V, H)],
    ['layer-norm LSTM', () => compileCell(new LayerNormLSTM(V, H)), () => new LayerNormLSTM(V, H)],
    ['peephole LSTM (user)', () => compileCell(new PeepholeLSTM(V, H)), () => new PeepholeLSTM(V, H)],
    ['update-gate RNN (UGRNN)', () => compileCell(new UGRNN(V, H)), () => new UGRNN(V, H)],
    ['minimal RNN (Chen 2017)', () => compileCell(new MinimalRNN(V, H)), () => new MinimalRNN(V, H)],
    ['RNNCell tanh (compiled by default)', () => new RNNCell({ inputSize: V, hiddenSize: H }), () => new RNNCell({ inputSize: V, hiddenSize: H, fused: false })],
    ['LSTMCell coupledGates (CIFG, compiled by default)', () => new LSTMCell({ inputSize: V, hiddenSize: H, coupledGates: true }),
      () => new LSTMCell({ inputSize: V, hiddenSize: H, coupledGates: true, fused: false })],
  ];
  for (const [name, compiledCell, composedCell] of others) {
    const [c, d, cellC, cellD] = race(quick ? 1 : 3, [w1(compiledCell()), w1(composedCell()), cellAlone(compiledCell()), cellAlone(composedCell())]);
    console.log(`    ${name.padEnd(50)} W1 step:    compiled ${fmt(c!)}  composed ${fmt(d!)}  ${faster(c!, d!)}`);
    console.log(`    ${''.padEnd(50)} cell alone: compiled ${fmt(cellC!)}  composed ${fmt(cellD!)}  ${faster(cellC!, cellD!)}`);
  }
  console.log('  the built-in LSTM and GRU compiled from their composed step vs their hand-written kernels:');
  for (const [name, make] of [['LSTMCell', () => new LSTMCell({ inputSize: V, hiddenSize: H })], ['GRUCell', () => new GRUCell({ inputSize: V, hiddenSize: H })]] as const) {
    const [fusedRun, compiledRun] = race(runs, [w1(make()), w1(compileCell(make()))]);
    console.log(`    ${name.padEnd(50)} hand-written ${fmt(fusedRun!)}  compiled ${fmt(compiledRun!)}  ${(compiledRun!.wall / fusedRun!.wall).toFixed(2)}× its time (cpu ${(compiledRun!.cpu / fusedRun!.cpu).toFixed(2)}×)`);
  }
}

main();
