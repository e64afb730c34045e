// Exports the char-rnn CLI's default model shape (embedding 32 → LSTM 128 → Linear, vocabulary 96)
// and times, in one run, sampling steps in unroll and in onnxruntime from the exported file: a
// 256-character prompt in one call, then 300 single steps at batch 1 and at batch 32. Also reports
// the export time and the file size. Run: pnpm --filter @unroll/onnx bench
import ort from 'onnxruntime-node';
import { Embedding, Linear, Module, Tensor, manualSeed, noGrad, tensor, zeros } from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';
import { exportOnnx } from '../src/index.js';

class CharModel extends Module {
  readonly embedding = this.registerModule('embedding', new Embedding(96, 32));
  readonly rnn = this.registerModule('rnn', new LSTM({ inputSize: 32, hiddenSize: 128 }));
  readonly head = this.registerModule('head', new Linear(128, 96));
  forward(ids: Tensor, h: Tensor, c: Tensor) {
    const r = this.rnn.forward(this.embedding.forward(ids), { h, c });
    return [this.head.forward(r.output), r.state.h, r.state.c];
  }
}

manualSeed(1);
const model = new CharModel();
model.eval();
let t = performance.now();
const bytes = exportOnnx((ids, h, c) => model.forward(ids, h, c), [tensor([[1], [2]], { dtype: 'int32' }), zeros([1, 1, 128]), zeros([1, 1, 128])], {
  module: model, inputNames: ['ids', 'h', 'c'], outputNames: ['logits', 'h_next', 'c_next'],
  dynamicAxes: { ids: { 0: 'time', 1: 'batch' }, h: { 1: 'batch' }, c: { 1: 'batch' } },
});
const exportMs = performance.now() - t;
const session = await ort.InferenceSession.create(bytes);
const toOrt = (x: Tensor) => new ort.Tensor(x.dtype === 'int32' ? 'int32' : 'float32', x.values() as Float32Array, x.shape);
const ids = (T: number, B: number) => tensor(Array.from({ length: T }, (_, i) => Array.from({ length: B }, (_, b) => (i * 7 + b) % 96)), { dtype: 'int32' });

async function time(label: string, T: number, B: number, steps: number): Promise<void> {
  const x = ids(T, B);
  let h = zeros([1, B, 128]), c = zeros([1, B, 128]);
  t = performance.now();
  noGrad(() => {
    for (let s = 0; s < steps; s++) {
      const [, hn, cn] = model.forward(x, h, c);
      h = hn!; c = cn!;
    }
  });
  const mine = (performance.now() - t) / steps;
  let feeds: Record<string, ort.Tensor> = { ids: toOrt(x), h: toOrt(zeros([1, B, 128])), c: toOrt(zeros([1, B, 128])) };
  t = performance.now();
  for (let s = 0; s < steps; s++) {
    const out = await session.run(feeds);
    feeds = { ids: feeds.ids!, h: out.h_next!, c: out.c_next! };
  }
  const theirs = (performance.now() - t) / steps;
  const ratio = mine / theirs;
  console.log(`${label.padEnd(28)} unroll ${mine.toFixed(3)} ms  onnxruntime ${theirs.toFixed(3)} ms  (${ratio >= 1 ? `onnxruntime ${ratio.toFixed(1)}× faster` : `unroll ${(1 / ratio).toFixed(1)}× faster`})`);
}

console.log(`export: ${exportMs.toFixed(0)} ms (5 recordings for 2 dynamic axes), ${(bytes.length / 1024).toFixed(1)} KiB, onnxruntime ${ort.env.versions.common}`);
await time('prompt, 256 steps, batch 1', 256, 1, 20);
await time('one step, batch 1', 1, 1, 300);
await time('one step, batch 32', 1, 32, 300);
await session.release();
