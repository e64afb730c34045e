// The training worker: builds the model for the text the page sends, then trains it with
// @unroll/train's `fit`, posting each step's loss and, every `sampleEvery` steps, a sample. Training
// runs here, not on the page, so the page stays responsive; `fit` gives the event loop a turn after
// every step (yieldEveryMs: 0), so a stop message from the page is seen at the next step.
import * as K from '@unroll/core';
import { Adam, RandomGenerator, Tensor, crossEntropy } from '@unroll/autograd';
import { fit } from '@unroll/train';
import { CharModel, Vocab, sample } from './model.js';
import type { FromWorker, ToWorker, TrainConfig } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: { data: ToWorker }) => void) | null;
  crossOriginIsolated?: boolean;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker) => scope.postMessage(m);

let stopRequested = false;
let running = false;

scope.onmessage = (e) => {
  if (e.data.type === 'stop') stopRequested = true;
  else if (e.data.type === 'start' && !running) {
    stopRequested = false;
    running = true;
    train(e.data.config)
      .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }))
      .finally(() => { running = false; });
  }
};

function evalBlocked(): boolean {
  try {
    new Function('return 1');
    return false;
  } catch {
    return true;
  }
}

interface Batch { x: Tensor; y: Tensor }

/** Endless batches of random windows: x[t, b] is a character, y[t, b] the one after it. */
function* windows(ids: Int32Array, seqLen: number, batch: number, generator: RandomGenerator): IterableIterator<Batch> {
  for (;;) {
    const x = new Int32Array(seqLen * batch);
    const y = new Int32Array(seqLen * batch);
    for (let b = 0; b < batch; b++) {
      const start = generator.int(ids.length - seqLen);
      for (let t = 0; t < seqLen; t++) {
        x[t * batch + b] = ids[start + t]!;
        y[t * batch + b] = ids[start + t + 1]!;
      }
    }
    yield { x: new Tensor(K.fromData(x, [seqLen, batch])), y: new Tensor(K.fromData(y, [seqLen * batch])) };
  }
}

async function train(config: TrainConfig): Promise<void> {
  const { text, hidden, seqLen, batch, lr, sampleEvery, sampleLength, seed } = config;
  if (text.length < seqLen + 1) throw new RangeError(`train: the text must have at least ${seqLen + 1} characters; got ${text.length}`);
  const vocab = new Vocab(text);
  const ids = vocab.encode(text);
  const generator = new RandomGenerator(seed);
  const model = new CharModel(vocab.size, hidden, generator);
  post({
    type: 'ready',
    info: {
      crossOriginIsolated: scope.crossOriginIsolated === true,
      threads: K.getNumThreads(),
      wasmGemm: K.wasmGemmAvailable(),
      evalBlocked: evalBlocked(),
      model: String(model),
      parameters: model.numParameters(),
      vocabSize: vocab.size,
    },
  });
  let started = performance.now();
  const result = await fit({
    model,
    optimizer: new Adam(model.parameters(), { lr }),
    data: windows(ids, seqLen, batch, generator),
    loss: ({ x, y }) => crossEntropy(model.forward(x).logits.reshape([seqLen * batch, vocab.size]), y),
    clipGradNorm: 1,
    yieldEveryMs: 0,
    callbacks: [{
      onStepEnd(e) {
        const now = performance.now();
        post({ type: 'step', step: e.step, loss: e.loss, msPerStep: now - started, threads: K.getNumThreads() });
        if (e.step % sampleEvery === 0) {
          const first = text[generator.int(text.length)]!;
          post({ type: 'sample', step: e.step, text: first + sample(model, vocab, first, sampleLength, 0.8, generator) });
        }
        if (stopRequested) e.stop('stopped by the page');
        started = performance.now();
      },
    }],
  });
  post({ type: 'stopped', step: result.step });
}
