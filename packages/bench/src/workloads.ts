// The benchmark's workloads, their sizes and iteration plans, and the deterministic data and weights
// every system (unroll, TensorFlow.js, PyTorch) builds, so the models are the same model everywhere.

/** Sizes shared by every system: a char-level model over a 65-symbol vocabulary (tiny Shakespeare's). */
export const SIZES = { vocab: 65, hidden: 256, batch: 32, time: 64, lr: 2e-3 } as const;
/** Square float32 gemm sizes of W4. */
export const GEMM_SIZES = [256, 512, 1024] as const;

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4'];
export const WORKLOAD_TITLES: Record<WorkloadId, string> = {
  W1: 'LSTM train step',
  W2: 'GRU train step',
  W3: 'LSTM forward',
  W4: 'gemm f32',
};

export type SystemId = 'unroll' | 'tfjs-cpu' | 'tfjs-wasm' | 'torch';
export const PEERS: readonly SystemId[] = ['tfjs-cpu', 'tfjs-wasm', 'torch'];

/** How one system samples one workload: `warmup` untimed runs, then up to `runs` timed ones. */
export interface Plan { warmup: number; runs: number }
/**
 * A timed run stops early once its timed runs have taken `budgetSeconds` and at least `minRuns` are in,
 * so a slow system cannot push the whole benchmark past its ~10 minutes.
 */
export const BUDGET = { budgetSeconds: 45, minRuns: 2 } as const;

type PlanTable = Record<SystemId, Record<WorkloadId, Plan>>;
/**
 * unroll and torch are sampled interleaved (src/interleave.ts: one timed run of each of their processes
 * per round), so they share one plan: `runs` is the number of rounds.
 */
const INTERLEAVED: Record<WorkloadId, Plan> = {
  W1: { warmup: 3, runs: 11 }, W2: { warmup: 3, runs: 11 }, W3: { warmup: 3, runs: 15 }, W4: { warmup: 3, runs: 15 },
};
const FULL: PlanTable = {
  unroll: INTERLEAVED,
  torch: INTERLEAVED,
  'tfjs-wasm': { W1: { warmup: 1, runs: 5 }, W2: { warmup: 1, runs: 5 }, W3: { warmup: 2, runs: 9 }, W4: { warmup: 2, runs: 9 } },
  // ~10 s per training step: two timed runs after one warm-up is all the ten minutes allow.
  'tfjs-cpu': { W1: { warmup: 1, runs: 2 }, W2: { warmup: 1, runs: 2 }, W3: { warmup: 1, runs: 2 }, W4: { warmup: 1, runs: 2 } },
};
const QUICK_PLAN: Plan = { warmup: 1, runs: 3 };
const QUICK_CPU: Plan = { warmup: 1, runs: 1 };

/** The iteration plan of every workload for `system`: FULL by default, or a few runs with `--quick`. */
export function planFor(system: SystemId, quick: boolean): Record<WorkloadId, Plan> {
  if (!quick) return FULL[system];
  const p = system === 'tfjs-cpu' ? QUICK_CPU : QUICK_PLAN;
  return { W1: p, W2: p, W3: p, W4: p };
}

/** `W1:2:7,W3:1:3` — how the parent hands plans to every runner (the Python one included). */
export function encodePlan(only: readonly WorkloadId[], plan: Record<WorkloadId, Plan>): string {
  return only.map((w) => `${w}:${plan[w].warmup}:${plan[w].runs}`).join(',');
}

export function decodePlan(text: string): Map<WorkloadId, Plan> {
  const out = new Map<WorkloadId, Plan>();
  for (const part of text.split(',').filter(Boolean)) {
    const [w, warmup, runs] = part.split(':');
    if (!WORKLOAD_IDS.includes(w as WorkloadId) || !(Number(runs) >= 1) || !(Number(warmup) >= 0)) {
      throw new Error(`--plan: expected items like W1:2:7 (workload:warmup:runs); got '${part}'`);
    }
    out.set(w as WorkloadId, { warmup: Number(warmup), runs: Number(runs) });
  }
  return out;
}

/**
 * A 32-bit integer hash of (i, seed): the murmur3 finalizer. torch_bench.py has the same function, so
 * every system fills its weights and token ids with the same numbers without sharing an RNG.
 */
export function hash32(i: number, seed: number): number {
  let x = (i + Math.imul(seed, 0x9e3779b9)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** `count` float32 values spread over [−bound, bound) by `hash32` (the stand-in for PyTorch's U(−1/√H, 1/√H)). */
export function detUniform(count: number, seed: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * (hash32(i, seed) / 4294967296) - 1) * bound;
  return out;
}

/** Token ids [time + 1, batch], row-major: inputs are rows 0..time−1, next-character targets rows 1..time. */
export function detTokens(): Int32Array {
  const { time, batch, vocab } = SIZES;
  const out = new Int32Array((time + 1) * batch);
  for (let i = 0; i < out.length; i++) out[i] = hash32(i, 99) % vocab;
  return out;
}

/** One-hot float32 inputs [time, batch, vocab] and targets [time, batch] from `detTokens`. */
export function charBatch(): { inputs: Float32Array; targets: Int32Array } {
  const { time, batch, vocab } = SIZES;
  const tokens = detTokens();
  const inputs = new Float32Array(time * batch * vocab);
  for (let i = 0; i < time * batch; i++) inputs[i * vocab + tokens[i]!] = 1;
  return { inputs, targets: tokens.slice(batch) };
}

export interface NamedArray { name: string; shape: number[]; values: Float32Array }

/**
 * The initial weights of the char model with a `gates`-gate cell (4 for LSTM, 3 for GRU), in PyTorch's
 * names and layout: weight_ih_l0 [G·H, V], weight_hh_l0 [G·H, H], bias_ih_l0, bias_hh_l0 [G·H], then the
 * 256 → 65 head: weight [V, H], bias [V]. All U(−1/√H, 1/√H) as PyTorch initialises both layers.
 */
export function charModelWeights(gates: number): NamedArray[] {
  const { vocab: V, hidden: H } = SIZES;
  const bound = 1 / Math.sqrt(H);
  const spec: [string, number[]][] = [
    ['weight_ih_l0', [gates * H, V]], ['weight_hh_l0', [gates * H, H]], ['bias_ih_l0', [gates * H]], ['bias_hh_l0', [gates * H]],
    ['head.weight', [V, H]], ['head.bias', [V]],
  ];
  return spec.map(([name, shape], k) => ({ name, shape, values: detUniform(shape.reduce((a, b) => a * b, 1), k + 1, bound) }));
}

/** Parameter count of the char model with a `gates`-gate cell (two biases per gate block, as PyTorch). */
export function expectedParameterCount(gates: number): number {
  return charModelWeights(gates).reduce((n, w) => n + w.values.length, 0);
}

/** One workload's outcome, as every runner reports it (one JSON line per workload). */
export interface WorkloadResult {
  system: SystemId;
  workload: WorkloadId;
  /** For W4, the matrix size; otherwise absent. */
  size?: number;
  /** The threads the system ran on (unroll's setNumThreads, torch.set_num_threads). */
  threads?: number;
  /** Timed runs, milliseconds, in the order measured. */
  timesMs: number[];
  medianMs: number;
  /** The model's parameter count (W1–W3). */
  parameters?: number;
  /** W1/W2: losses of the first two training steps, to compare systems; W3: mean of the outputs. */
  check?: number[];
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Runs `fn` `plan.warmup` times untimed, then up to `plan.runs` times timed (stopping early past the
 * budget, see `BUDGET`). `fn` must finish its work before returning (read a value back).
 */
export function sample(plan: Plan, fn: () => void): number[] {
  for (let i = 0; i < plan.warmup; i++) fn();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < plan.runs; i++) {
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    times.push(ms);
    spent += ms;
    if (spent > BUDGET.budgetSeconds * 1000 && times.length >= BUDGET.minRuns) break;
  }
  return times;
}

/** The line prefix a runner writes before each JSON record on stdout. */
export const RESULT_TAG = '@@result ';
export const INFO_TAG = '@@info ';
