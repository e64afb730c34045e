import * as K from '@unroll/core';
import { Adam, Linear, Tensor, crossEntropy, manualSeed, reshape, matmul, Parameter, Module, split } from '@unroll/autograd';
import { LSTMCell, compileCell, unroll } from '@unroll/rnn';
const V = 65, H = 256, B = 32, T = 64;
class MyLSTM extends Module {
  readonly outputSize: number;
  wx: Parameter; wh: Parameter; b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number) {
    super(); this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize);
    this.wx = this.registerParameter('wx', new Parameter(K.randUniform([4 * hiddenSize, inputSize], -k, k)));
    this.wh = this.registerParameter('wh', new Parameter(K.randUniform([4 * hiddenSize, hiddenSize], -k, k)));
    this.b = this.registerParameter('b', new Parameter(K.randUniform([4 * hiddenSize], -k, k)));
  }
  initialState(batch: number) { return { h: new Tensor(K.zeros([batch, this.hiddenSize])), c: new Tensor(K.zeros([batch, this.hiddenSize])) }; }
  step(s: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = matmul(x, this.wx, { transB: true }).add(matmul(s.h, this.wh, { transB: true })).add(this.b);
    const [i, f, g, o] = split(gates, this.hiddenSize, 1);
    const c = f!.sigmoid().mul(s.c).add(i!.sigmoid().mul(g!.tanh()));
    const h = o!.sigmoid().mul(c.tanh());
    return { state: { h, c }, output: h };
  }
}
manualSeed(1);
const oneHot = K.zeros([T, B, V]);
for (let k = 0; k < T * B; k++) oneHot.data[k * V + (k * 7919) % V] = 1;
const x = new Tensor(oneHot);
const targets = new Tensor(K.fromData(Int32Array.from({ length: T * B }, (_, k) => (k * 104729 + 3) % V), [T * B]));
function maker(cell: any) {
  const head = new Linear(H, V);
  const opt = new Adam([...cell.parameters(), ...head.parameters()], { lr: 2e-3 });
  const step = () => { const loss = crossEntropy(head.forward(reshape(unroll(cell, x).outputs, [T * B, H])), targets); opt.zeroGrad(); loss.backward(); opt.step(); };
  step();
  return () => { const c0 = process.cpuUsage(); step(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
}
import { setPointwiseWasm } from '../../src/fused/wasm/runtime.js';
if (process.argv[3] === 'nowasm') setPointwiseWasm(false);
const a = maker(new LSTMCell({ inputSize: V, hiddenSize: H }));
const b = maker(compileCell(new MyLSTM(V, H)));
const ta: number[] = [], tb: number[] = [];
for (let i = 0; i < Number(process.argv[2] ?? 6); i++) { ta.push(a()); tb.push(b()); }
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
console.log('cpu ms builtin', med(ta).toFixed(0), 'compiled', med(tb).toFixed(0), 'ratio', (med(tb) / med(ta)).toFixed(2));
import { TIMES } from '../../src/compile/sequence.js';
const n = Number(process.argv[2] ?? 6) + 1;
console.log(Object.fromEntries(Object.entries(TIMES).map(([k, v]) => [k, +(v / n).toFixed(1)])));
