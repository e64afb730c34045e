import { Module, Parameter, matmul, split } from "@unroll/autograd";
import { Generator } from '@unroll/autograd';
import * as K from '@unroll/core';
import { Tensor } from '@unroll/autograd';
import { compileCell, unroll } from '@unroll/rnn';
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
const c = compileCell(new MyLSTM(3, 8), { verify: false });
unroll(c, new Tensor(K.zeros([2, 4, 3])));
