// The training worker: builds the model for the text the page sends, then trains step after step,
// posting each step's loss and, every `sampleEvery` steps, a sample. Training runs here, not on the
// page, so the page stays responsive; a stop message is read between steps.
import * as K from '@unroll/core';
import { Adam, Generator, Tensor, clipGradNorm, crossEntropy } from '@unroll/autograd';
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

/** A macrotask boundary, so the stop message (and nothing else) can arrive between steps. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(config: TrainConfig): Promise<void> {
  const { text, hidden, seqLen, batch, lr, sampleEvery, sampleLength, seed } = config;
  if (text.length < seqLen + 1) throw new RangeError(`train: the text must have at least ${seqLen + 1} characters; got ${text.length}`);
  const vocab = new Vocab(text);
  const ids = vocab.encode(text);
  const generator = new Generator(seed);
  const model = new CharModel(vocab.size, hidden, generator);
  const optimizer = new Adam(model.parameters(), { lr });
  post({
    type: 'ready',
    info: {
      crossOriginIsolated: scope.crossOriginIsolated === true,
      threads: 1,
      wasmGemm: K.wasmGemmAvailable(),
      evalBlocked: evalBlocked(),
      model: String(model),
      parameters: model.numParameters(),
      vocabSize: vocab.size,
    },
  });
  const x = new Int32Array(seqLen * batch);
  const y = new Int32Array(seqLen * batch);
  for (let step = 1; !stopRequested; step++) {
    const started = performance.now();
    // A batch of random windows: x[t, b] is a character, y[t, b] the one after it.
    for (let b = 0; b < batch; b++) {
      const start = generator.int(ids.length - seqLen);
      for (let t = 0; t < seqLen; t++) {
        x[t * batch + b] = ids[start + t]!;
        y[t * batch + b] = ids[start + t + 1]!;
      }
    }
    const { logits } = model.forward(new Tensor(K.fromData(x, [seqLen, batch])));
    const loss = crossEntropy(logits.reshape([seqLen * batch, vocab.size]), new Tensor(K.fromData(y, [seqLen * batch])));
    const value = loss.item();
    if (!Number.isFinite(value)) throw new RangeError(`train: the loss is ${value} at step ${step}; training stopped`);
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    optimizer.step();
    post({ type: 'step', step, loss: value, msPerStep: performance.now() - started });
    if (step % sampleEvery === 0) {
      const first = text[generator.int(text.length)]!;
      post({ type: 'sample', step, text: first + sample(model, vocab, first, sampleLength, 0.8, generator) });
    }
    await yieldToEvents();
    if (stopRequested) post({ type: 'stopped', step });
  }
}
