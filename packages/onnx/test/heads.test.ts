// Linear / Embedding / LayerNorm heads, float32 and float64, with dynamic batch and time, and the
// recurrent layers in float64 where onnxruntime has them.
import { describe, expect, it } from 'vitest';
import { Embedding, LayerNorm, Linear, Module, Tensor, manualSeed, randn, tensor } from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';
import { checkExport } from './ort.js';
import { decode } from './graph.js';

class Head extends Module {
  readonly embedding: Embedding;
  readonly norm: LayerNorm;
  readonly linear: Linear;
  constructor(dtype: 'float32' | 'float64') {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(11, 6, { dtype, paddingIdx: 0 }));
    this.norm = this.registerModule('norm', new LayerNorm([6], { dtype }));
    this.linear = this.registerModule('linear', new Linear(6, 5, { dtype }));
  }
  forward(ids: Tensor): Tensor {
    return this.linear.forward(this.norm.forward(this.embedding.forward(ids)).relu()).logSoftmax(-1);
  }
}

/** Token ids [b, t] in [0, 11), the pad id 0 among them. */
const ids = (b: number, t: number) => tensor(Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => (i * 7 + j * 3 + b) % 11)), { dtype: 'int32' });

describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
  it('Embedding → LayerNorm → relu → Linear → logSoftmax, batch and time dynamic; initializers named by state-dict keys', async () => {
    manualSeed(4);
    const head = new Head(dtype);
    const bytes = await checkExport((x) => head.forward(x), [ids(3, 4)], { module: head, dynamicAxes: { input: { 0: 'batch', 1: 'time' } } },
      { more: [[ids(1, 7)], [ids(5, 1)]] });
    const names = decode(bytes).graph!.initializer.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['embedding.weight', 'norm.weight', 'norm.bias', 'linear.weight', 'linear.bias']));
  });

  it('Linear on [batch, time, features] (a reshape through batch·time)', async () => {
    manualSeed(5);
    const lin = new Linear(4, 3, { dtype });
    await checkExport((x) => lin.forward(x), [randn([2, 3, 4], { dtype })], { module: lin, dynamicAxes: { input: [0, 1] } },
      { more: [[randn([5, 1, 4], { dtype })]] });
  });
});

describe('means over dynamic axes (the 1/count constant follows the size)', () => {
  it.each(['float32', 'float64'] as const)('%s: mean pooling over time and batch, and a count', async (dtype) => {
    manualSeed(7);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, dtype: 'float32' });
    const lin = new Linear(4, 2, { dtype });
    const w = randn([3, 4], { dtype });
    // onnxruntime's LSTM is float32 only: the float64 model pools a projection instead.
    const fn = (x: Tensor) => {
      const pooled = (dtype === 'float32' ? lstm.forward(x).output : x.matmul(w).tanh()).mean({ axes: 0 });
      return { logits: lin.forward(pooled), batchMean: pooled.mean(), count: pooled.sum().mul(0).add(x.shape[0]! * x.shape[1]!) };
    };
    const x = (t: number, b: number) => randn([t, b, 3], { dtype });
    await checkExport(fn, [x(5, 2)], { module: lin, dynamicAxes: { input: { 0: 'time', 1: 'batch' } } }, { more: [[x(9, 3)], [x(1, 1)]] });
  });
});

describe('int32 inputs cast in the graph', () => {
  it('a masked mean: mask.to(float) is a Cast node reading the input, not a baked-in constant', async () => {
    const fn = (x: Tensor, mask: Tensor) => x.mul(mask.to('float32')).sum({ axes: 1 }).div(mask.to('float32').sum({ axes: 1 }));
    const mask = (rows: number[][]) => tensor(rows, { dtype: 'int32' });
    await checkExport(fn, [randn([2, 3]), mask([[1, 1, 0], [1, 0, 0]])], { dynamicAxes: { input0: { 0: 'batch' }, input1: { 0: 'batch' } } },
      { more: [[randn([3, 3]), mask([[1, 0, 0], [1, 1, 1], [0, 1, 1]])]] });
  });
});

describe('recurrent layers in float64', () => {
  it('onnxruntime runs LSTM in float32 only: a float64 LSTM is refused by it, not silently cast', async () => {
    manualSeed(6);
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
    await expect(checkExport((x) => lstm.forward(x).output, [randn([3, 2, 2], { dtype: 'float64' })], { module: lstm }))
      .rejects.toThrow(/LSTM/);
  });
});
