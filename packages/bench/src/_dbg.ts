import * as K from '@unroll/core';
import { Tensor, sum, mul } from '@unroll/autograd';
import { compileCell, unroll } from '@unroll/rnn';
import { MGU, MyLSTM } from './compiled-cells.js';
import { setWasmKernels } from '../../rnn/src/compile/runtime.js';
const V = 16, H = 32, T = 5;
for (const B of [3, 32])
for (const mk of [() => new MyLSTM(V, H), () => new MGU(V, H)]) {
  const cell = mk();
  const x = new Tensor(K.randUniform([T, B, V], -1, 1), { requiresGrad: true });
  const w = new Tensor(K.randUniform([T, B, H], -1, 1));
  const run = (on: boolean, lengths?: number[]) => {
    setWasmKernels(on);
    for (const p of cell.parameters()) p.grad = null; x.grad = null;
    const c = compileCell(cell, { verify: false });
    const r = unroll(c, x, lengths ? { lengths } : {});
    sum(mul(r.outputs, w)).backward();
    return [[...r.outputs.values()], [...x.grad!.values()], ...cell.parameters().map((p) => [...p.grad!.values()])];
  };
  for (const lengths of [undefined, Array.from({ length: B }, (_, i) => 1 + (i % T))]) {
    const a = run(true, lengths), b = run(false, lengths);
    console.log(B, lengths ? 'padded' : '', a.map((arr, i) => { let m = 0, s = 0; arr.forEach((v, j) => { m = Math.max(m, Math.abs(v - b[i]![j]!)); s = Math.max(s, Math.abs(b[i]![j]!)); }); return (m / s).toExponential(1); }).join(' '));
  }
}
