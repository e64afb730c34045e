// Profiling helper (not part of pnpm bench): W1 steps of the chosen cells, for node --cpu-prof.
import * as K from '@unroll/core';
import { Adam, Linear, Tensor, crossEntropy, reshape } from '@unroll/autograd';
import { LSTMCell, RNNCell, compileCell, unroll } from '@unroll/rnn';
import { SIZES, charBatch } from './workloads.js';
import { IndRNN, LayerNormLSTM, MGU, MyGRU, MyLSTM } from './compiled-cells.js';

const { vocab: V, hidden: H, batch: B, time: T, lr } = SIZES;
const data = charBatch();
const x = new Tensor(K.fromData(data.inputs, [T, B, V]));
const targets = new Tensor(K.fromData(data.targets, [T * B]));
function w1(cell: any) {
  const head = new Linear(H, V);
  const opt = new Adam([...cell.parameters(), ...head.parameters()], { lr });
  return () => {
    const loss = crossEntropy(head.forward(reshape(unroll(cell, x).outputs, [T * B, H])), targets);
    opt.zeroGrad(); loss.backward(); opt.step();
  };
}
const which = (process.argv[2] ?? 'fused,lstm,mgu,mguc').split(',');
const runs = Number(process.argv[3] ?? 5);
const cells: Record<string, () => any> = {
  fused: () => new LSTMCell({ inputSize: V, hiddenSize: H }),
  lstm: () => compileCell(new MyLSTM(V, H)),
  mgu: () => compileCell(new MGU(V, H)),
  mguc: () => new MGU(V, H),
  gru: () => compileCell(new MyGRU(V, H)), gruc: () => new MyGRU(V, H),
  ind: () => compileCell(new IndRNN(V, H)), indc: () => new IndRNN(V, H),
  ln: () => compileCell(new LayerNormLSTM(V, H)), lnc: () => new LayerNormLSTM(V, H),
  lstmc: () => new MyLSTM(V, H),
  rnn: () => new RNNCell({ inputSize: V, hiddenSize: H }), rnnc: () => new RNNCell({ inputSize: V, hiddenSize: H, fused: false }),
  cifg: () => new LSTMCell({ inputSize: V, hiddenSize: H, coupledGates: true }), cifgc: () => new LSTMCell({ inputSize: V, hiddenSize: H, coupledGates: true, fused: false }),
};
const steps = which.map((w) => { const s = w1(cells[w]!()); s(); return s; });
const times = which.map(() => [] as number[]);
for (let r = 0; r < runs; r++) steps.forEach((s, i) => { const t0 = performance.now(); s(); times[i]!.push(performance.now() - t0); });
which.forEach((w, i) => { const t = times[i]!.sort((a, b) => a - b); console.log(w.padEnd(6), t[Math.floor(t.length / 2)]!.toFixed(0), 'ms  min', t[0]!.toFixed(0)); });
