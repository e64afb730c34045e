// The TensorFlow.js side of the benchmark (cpu or wasm backend, chosen by --backend): the same char
// models as unroll's, written with tf ops (PyTorch's layout, both biases) and trained with tf.train.adam.
import { createRequire } from 'node:module';
import path from 'node:path';
// The umbrella package: tfjs-core plus the cpu backend and, unlike tfjs-core alone, every gradient.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  GEMM_SIZES, INFO_TAG, RESULT_TAG, SIZES, charBatch, charModelWeights, decodePlan, detUniform, median, sample,
} from './workloads.js';
import type { Plan, SystemId, WorkloadId, WorkloadResult } from './workloads.js';

type Kind = 'lstm' | 'gru';
/** Weights in Keras's [in, out] layout (wIh [V, G·H], wHh [H, G·H], wOut [H, V]): x·W needs no transpose. */
interface CharParams { wIh: tf.Variable; wHh: tf.Variable; bIh: tf.Variable; bHh: tf.Variable; wOut: tf.Variable; bOut: tf.Variable }

/** The variables, filled with the shared deterministic weights (PyTorch's [out, in] matrices transposed once here). */
function charParams(kind: Kind): CharParams {
  const [wIh, wHh, bIh, bHh, wOut, bOut] = charModelWeights(kind === 'lstm' ? 4 : 3).map((w) => {
    const t = tf.tensor(w.values, w.shape, 'float32');
    // NOTE: the wasm backend's matMul with transposeB is ~10× slower than without; storing Wᵀ, as
    // tf.layers does (kernel [in, out]), gives tfjs its fast path.
    const init = w.shape.length === 2 ? tf.transpose(t) : t;
    const v = tf.variable(init, true, `${kind}.${w.name}`);
    tf.dispose(init === t ? [t] : [t, init]);
    return v;
  });
  return { wIh: wIh!, wHh: wHh!, bIh: bIh!, bHh: bHh!, wOut: wOut!, bOut: bOut! };
}

/**
 * x [T, B, V] → the hidden state of every step, [B, H] each. LSTM gates i|f|g|o; GRU gates r|z|n with the
 * reset applied after the recurrent product (PyTorch's GRU). The sequence is unstacked per step and each
 * step projects its own input, as tf.layers' RNN does.
 */
function recurrent(kind: Kind, p: CharParams, x: tf.Tensor3D): tf.Tensor2D[] {
  const { batch: B, hidden: H } = SIZES;
  // NOTE: the wasm backend copies a tensor's whole buffer out of its heap for every slice, so slicing a
  // hoisted [T·B, G·H] input projection step by step costs O(T²) copying (~0.5 s per pass); unstacking
  // the one-hot input [T, B, V] costs 16× less. Same FLOPs either way.
  const xs = tf.unstack(x) as tf.Tensor2D[];
  let h: tf.Tensor2D = tf.zeros([B, H]);
  let c: tf.Tensor2D = tf.zeros([B, H]);
  const hs: tf.Tensor2D[] = [];
  for (const xt of xs) {
    const xProj = tf.add(tf.matMul(xt, p.wIh), p.bIh);
    const hProj = tf.add(tf.matMul(h, p.wHh), p.bHh);
    if (kind === 'lstm') {
      const [i, f, g, o] = tf.split(tf.add(xProj, hProj), 4, 1) as tf.Tensor2D[];
      c = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
      h = tf.mul(tf.sigmoid(o!), tf.tanh(c));
    } else {
      const [xr, xz, xn] = tf.split(xProj, 3, 1) as tf.Tensor2D[];
      const [hr, hz, hn] = tf.split(hProj, 3, 1) as tf.Tensor2D[];
      const r = tf.sigmoid(tf.add(xr!, hr!));
      const z = tf.sigmoid(tf.add(xz!, hz!));
      const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
      h = tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 − z)·n + z·h
    }
    hs.push(h);
  }
  return hs;
}

function charData(): { x: tf.Tensor3D; labels: tf.Tensor3D } {
  const { time, batch, vocab } = SIZES;
  const { inputs, targets } = charBatch();
  return {
    x: tf.tensor3d(inputs, [time, batch, vocab]),
    labels: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor2d(targets, [time, batch], 'int32'), vocab), 'float32')) as tf.Tensor3D,
  };
}

const countParams = (p: CharParams) => Object.values(p).reduce((n: number, v: tf.Variable) => n + v.size, 0);

/**
 * W1/W2: forward, softmax cross-entropy averaged over all T·B steps (the mean of the T per-step means,
 * which is the same number), gradients and Adam, as one minimize.
 */
function trainStep(system: SystemId, workload: WorkloadId, kind: Kind, plan: Plan): WorkloadResult {
  const { lr } = SIZES;
  const p = charParams(kind);
  const { x, labels } = charData();
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const losses: number[] = [];
  const timesMs = sample(plan, () => {
    const cost = optimizer.minimize(() => {
      const hs = recurrent(kind, p, x);
      const ys = tf.unstack(labels);
      const perStep = hs.map((h, t) => tf.losses.softmaxCrossEntropy(ys[t]!, tf.add(tf.matMul(h, p.wOut), p.bOut)));
      return tf.div(tf.addN(perStep), hs.length) as tf.Scalar;
    }, true, Object.values(p));
    losses.push(cost!.dataSync()[0]!);
    cost!.dispose();
  });
  const result: WorkloadResult = {
    system, workload, timesMs, medianMs: median(timesMs), parameters: countParams(p), check: losses.slice(0, 2),
  };
  optimizer.dispose();
  tf.dispose([x, labels, ...Object.values(p)]);
  return result;
}

/** W3: the LSTM alone, forward only (nothing recorded outside minimize/grad in tfjs). */
function lstmForward(system: SystemId, plan: Plan): WorkloadResult {
  const p = charParams('lstm');
  const { x, labels } = charData();
  let mean = 0;
  const timesMs = sample(plan, () => {
    mean = tf.tidy(() => tf.mean(tf.stack(recurrent('lstm', p, x))).dataSync()[0]!);
  });
  const result: WorkloadResult = {
    system, workload: 'W3', timesMs, medianMs: median(timesMs), parameters: countParams(p), check: [mean],
  };
  tf.dispose([x, labels, ...Object.values(p)]);
  return result;
}

/** W4: C = A·B, float32, square; reading C back makes sure the product is done. */
function gemmSquare(system: SystemId, n: number, plan: Plan): WorkloadResult {
  const a = tf.tensor2d(detUniform(n * n, 7, 1), [n, n]), b = tf.tensor2d(detUniform(n * n, 8, 1), [n, n]);
  const timesMs = sample(plan, () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  });
  tf.dispose([a, b]);
  return { system, workload: 'W4', size: n, timesMs, medianMs: median(timesMs) };
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const backend = arg('--backend');
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`run-tfjs: --backend must be cpu or wasm; got ${String(backend)}`);
  const system: SystemId = backend === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm';
  const plans = decodePlan(arg('--plan') ?? 'W1:1:2,W2:1:2,W3:1:3,W4:1:3');

  // NOTE: the cpu backend prints a banner recommending tfjs-node (which this benchmark must not use:
  // it downloads a native library). Drop that one message and nothing else.
  const warn = console.warn.bind(console);
  console.warn = (...xs: unknown[]) => {
    if (!xs.some((x) => typeof x === 'string' && x.includes('tfjs-node'))) warn(...xs);
  };
  // In Node the wasm backend reads its .wasm binaries from the file system: point it at the package's dist/.
  const wasmDist = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  setWasmPaths(wasmDist + path.sep);
  if (!(await tf.setBackend(backend))) throw new Error(`run-tfjs: could not initialise the tfjs ${backend} backend`);
  await tf.ready();
  const flags = tf.env().getFlags();
  console.log(INFO_TAG + JSON.stringify({
    system, version: tf.version_core, backend: tf.getBackend(),
    wasmSimd: flags['WASM_HAS_SIMD_SUPPORT'], wasmThreads: flags['WASM_HAS_MULTITHREAD_SUPPORT'],
  }));

  const emit = (r: WorkloadResult) => console.log(RESULT_TAG + JSON.stringify(r));
  for (const [w, plan] of plans) {
    if (w === 'W1') emit(trainStep(system, 'W1', 'lstm', plan));
    else if (w === 'W2') emit(trainStep(system, 'W2', 'gru', plan));
    else if (w === 'W3') emit(lstmForward(system, plan));
    else for (const n of GEMM_SIZES) emit(gemmSquare(system, n, plan));
  }
  // Every tensor made above was disposed or tidied: a count that grows means the benchmark leaked.
  console.log(INFO_TAG + JSON.stringify({ system, leftoverTensors: tf.memory().numTensors }));
}

await main();
