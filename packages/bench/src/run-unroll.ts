// The unroll side of the benchmark: W1–W4 through the public API (LSTM, GRU, Linear, crossEntropy,
// Adam, gemm), then a memory record. Run by bench.ts with --expose-gc and --serve, as a persistent
// runner it asks for one timed run at a time (protocol.ts); standalone with --plan (runner-loop.ts).
import * as K from '@unroll/core';
import { Adam, Linear, Module, Tensor, crossEntropy, noGrad } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import { wasmRuntime } from '@unroll/core/internal';
import type { Item } from './protocol.js';
import { runPlans, serve } from './runner-loop.js';
import type { OpenWorkload, RunnerSpec } from './runner-loop.js';
import { INFO_TAG, SIZES, charBatch, charModelWeights, decodePlan, detUniform } from './workloads.js';

/** The char model: one-hot [T, B, V] → recurrent layer → 256 → 65 linear head on every step. */
class CharModel extends Module {
  readonly rnn: LSTM | GRU;
  readonly head: Linear;
  constructor(kind: 'lstm' | 'gru') {
    super();
    const { vocab, hidden } = SIZES;
    const opts = { inputSize: vocab, hiddenSize: hidden };
    this.rnn = this.registerModule('rnn', kind === 'lstm' ? new LSTM(opts) : new GRU(opts));
    this.head = this.registerModule('head', new Linear(hidden, vocab));
    // Same numbers as the other systems: PyTorch names map to 'rnn.<name>' here.
    const sd: Record<string, K.NdArray> = {};
    for (const w of charModelWeights(kind === 'lstm' ? 4 : 3)) {
      sd[w.name.startsWith('head.') ? w.name : `rnn.${w.name}`] = K.fromData(w.values, w.shape);
    }
    this.loadStateDict(sd);
  }
  /** x [T, B, V] → logits [T, B, V] */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.rnn.forward(x).output);
  }
}

function charData(): { x: Tensor; targets: Tensor } {
  const { time, batch, vocab } = SIZES;
  const { inputs, targets } = charBatch();
  return { x: new Tensor(K.fromData(inputs, [time, batch, vocab])), targets: new Tensor(K.fromData(targets, [time, batch])) };
}

/** W1/W2: zeroGrad, forward, mean cross-entropy over all T·B steps, backward, Adam step. */
function trainStep(kind: 'lstm' | 'gru'): OpenWorkload {
  const model = new CharModel(kind);
  const optimizer = new Adam(model.parameters(), { lr: SIZES.lr });
  const { x, targets } = charData();
  const losses: number[] = [];
  return {
    step() {
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(x), targets);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    },
    extras: () => ({ parameters: model.numParameters(), check: losses.slice(0, 2) }),
  };
}

/** W3: the LSTM alone, forward only, recording nothing. */
function lstmForward(): OpenWorkload {
  const model = new CharModel('lstm');
  const { x } = charData();
  let mean = 0;
  return {
    step() {
      const out = noGrad(() => model.rnn.forward(x).output);
      mean = out.mean().item();
    },
    extras: () => ({ parameters: model.numParameters(), check: [mean] }),
  };
}

/** W4: C = A·B, float32, square, straight through core's gemm kernel. */
function gemmSquare(n: number): OpenWorkload {
  const a = detUniform(n * n, 7, 1), b = detUniform(n * n, 8, 1), c = new Float32Array(n * n);
  return { step: () => K.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n) };
}

function open(item: Item): OpenWorkload {
  if (item.workload === 'W1') return trainStep('lstm');
  if (item.workload === 'W2') return trainStep('gru');
  if (item.workload === 'W3') return lstmForward();
  if (!item.size) throw new Error('run-unroll: W4 needs a matrix size');
  return gemmSquare(item.size);
}

/**
 * The float32 gemm backend: `gemmBackend()` when core exports it, else 'js'. 'auto' (wasm for all but
 * the tiniest products when the WebAssembly kernel can run) is printed with what it resolves to here,
 * asked of core's `wasmGemmAvailable()` when it has one, else of the engine's SIMD support.
 */
function gemmBackendName(): string {
  const core = K as unknown as Record<string, unknown>;
  const probe = core['gemmBackend'];
  if (typeof probe !== 'function') return 'js';
  const name = String((probe as () => unknown)());
  if (name !== 'auto') return name;
  const available = core['wasmGemmAvailable'];
  const wasm = typeof available === 'function' ? Boolean((available as () => unknown)()) : wasmSimd();
  // Relaxed SIMD's madd (switched on at load where the engine has it) is worth saying: it moves the figures.
  return `auto: ${wasm ? (wasmRuntime()?.target.relaxed ? 'wasm, relaxed SIMD' : 'wasm') : 'js'}`;
}

/** Whether this engine validates a module using a v128 instruction (wasm-feature-detect's SIMD probe). */
function wasmSimd(): boolean {
  const bytes = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
  // The global exists in Node and browsers but not in lib.es2022's types.
  const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return wasm !== undefined && wasm.validate(new Uint8Array(bytes));
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapAfterGc = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

/** Flags: --threads n (else UNROLL_NUM_THREADS or the cores), then --serve (the protocol) or --plan W1:2:7,… */
async function main(): Promise<void> {
  let serveMode = false, planText = 'W1:2:7,W2:2:7,W3:2:9,W4:2:9';
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--serve') serveMode = true;
    else if (flag === '--plan') planText = args[++i] ?? '';
    else if (flag === '--threads') {
      const n = Number(args[++i]);
      if (!(Number.isInteger(n) && n >= 1)) throw new Error(`run-unroll: --threads expected a positive integer; got '${args[i] ?? ''}'`);
      K.setNumThreads(n);
    } else {
      throw new Error(`run-unroll: unknown argument '${flag}'; expected --threads n, --serve or --plan W1:2:7,…`);
    }
  }
  const plans = serveMode ? undefined : decodePlan(planText);
  const threads = K.getNumThreads();
  const heapStart = heapAfterGc();
  const rssStart = process.memoryUsage().rss;
  console.log(INFO_TAG + JSON.stringify({ system: 'unroll', gemmBackend: gemmBackendName(), node: process.version, threads }));
  const spec: RunnerSpec = { system: 'unroll', threads, open };
  if (plans) runPlans(spec, plans);
  else await serve(spec);
  const heapEnd = heapAfterGc();
  console.log(INFO_TAG + JSON.stringify({
    system: 'unroll',
    memory: {
      gcAvailable: gc !== undefined,
      // maxRSS is in KiB: the process's peak resident set, sampled by the kernel (no polling gaps).
      peakRss: process.resourceUsage().maxRSS * 1024, rssStart, heapStart, heapEnd,
    },
  }));
}

await main();
