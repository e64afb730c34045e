// Micro-benchmark of gemm: median GFLOP/s of the JS and WebAssembly SIMD kernels side by side for float32
// (and the JS kernel for float64), square products in the NN, NT and TN layouts and the recurrent shapes.
// Run with `pnpm exec tsx packages/core/bench/gemm.bench.ts` (about a minute; figures are noisy on a shared machine).
import { gemm, setGemmBackend, type FloatArray } from '../src/kernels/gemm.js';
import { wasmGemmAvailable } from '../src/kernels/wasm/gemm-f32.js';

type Layout = 'NN' | 'NT' | 'TN';
interface Case { label: string; m: number; n: number; k: number; layout: Layout }
type Kernel = 'js f32' | 'wasm f32' | 'js f64';

const squares = [256, 512, 1024];
const layouts: Layout[] = ['NN', 'NT', 'TN'];
// Shapes from the RNNs: x·Wᵀ for a batch of 32 through a 4·256 LSTM gate block, and its backward products.
const rnnCases: Case[] = [
  { label: '[32,256]·[1024,256]ᵀ', m: 32, n: 1024, k: 256, layout: 'NT' },
  { label: '[32,1024]·[1024,256]', m: 32, n: 256, k: 1024, layout: 'NN' },
  { label: '[32,1024]ᵀ·[32,256]', m: 1024, n: 256, k: 32, layout: 'TN' },
  { label: '[2048,65]·[65,256]', m: 2048, n: 256, k: 65, layout: 'NN' },
];

/** Enough repetitions for ~0.4 s per case at `gflops` (at least 3, at most 25), so 1024³ in JS stays cheap. */
function repsFor(flops: number, gflops: number): number {
  return Math.min(25, Math.max(3, Math.round(0.4 / (flops / (gflops * 1e9)))));
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function run(kernel: Kernel, { m, n, k, layout }: Case): number {
  const Arr = kernel === 'js f64' ? Float64Array : Float32Array;
  setGemmBackend(kernel === 'wasm f32' ? 'wasm' : 'js');
  const fill = (len: number): FloatArray => {
    const x = new Arr(len);
    for (let i = 0; i < len; i++) x[i] = Math.random() - 0.5;
    return x;
  };
  const transA = layout === 'TN', transB = layout === 'NT';
  const a = fill(m * k), b = fill(k * n), c = new Arr(m * n);
  const lda = transA ? m : k, ldb = transB ? k : n;
  const once = () => gemm(transA, transB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n);
  const flops = 2 * m * n * k;
  // Warm-up: lets V8 optimise the JS and tier the wasm up from its baseline compiler, and grows the scratch.
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let r = repsFor(flops, kernel === 'wasm f32' ? 30 : 4); r > 0; r--) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  setGemmBackend('auto');
  return flops / (median(times) * 1e6);
}

if (!wasmGemmAvailable()) throw new Error('gemm.bench: this engine has no WebAssembly SIMD');
const cases: Case[] = [
  ...squares.flatMap((s) => layouts.map((layout) => ({ label: `${s}³`, m: s, n: s, k: s, layout }))),
  ...rnnCases,
];
const rows: string[][] = [];
for (const cs of cases) {
  const js = run('js f32', cs), wasm = run('wasm f32', cs), js64 = run('js f64', cs);
  rows.push([cs.label, cs.layout, js.toFixed(2), wasm.toFixed(2), `${(wasm / js).toFixed(1)}×`, js64.toFixed(2)]);
}

const header = ['shape', 'layout', 'js f32', 'wasm f32', 'wasm/js', 'js f64'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((x, i) => (i < 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
console.log('GFLOP/s, median of repeated runs on one core');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
