// Micro-benchmark of the pure-JS gemm: median time and GFLOP/s for square float32/float64 products
// in the NN, NT and TN layouts, plus the shapes the recurrent nets use. Run with
// `pnpm exec tsx packages/core/bench/gemm.bench.ts` (about 30–60 s; figures are noisy on a shared machine).
import { gemm, type FloatArray } from '../src/kernels/gemm.js';

type Layout = 'NN' | 'NT' | 'TN';
interface Case { label: string; m: number; n: number; k: number; layout: Layout }

const squares = [256, 512, 1024];
const layouts: Layout[] = ['NN', 'NT', 'TN'];
// Shapes from the RNNs: x·Wᵀ for a batch of 32 through a 4·256 LSTM gate block, and its backward products.
const rnnCases: Case[] = [
  { label: '[32,256]·[1024,256]ᵀ', m: 32, n: 1024, k: 256, layout: 'NT' },
  { label: '[32,1024]·[1024,256]', m: 32, n: 256, k: 1024, layout: 'NN' },
  { label: '[32,1024]ᵀ·[32,256]', m: 1024, n: 256, k: 32, layout: 'TN' },
  { label: '[2048,65]·[65,256]', m: 2048, n: 256, k: 65, layout: 'NN' },
];

/** Enough repetitions for ~0.4 s per case (at least 3, at most 15), so 1024³ stays cheap enough. */
function repsFor(flops: number): number {
  const guess = Math.round(0.4 / (flops / 4e9));
  return Math.min(15, Math.max(3, guess));
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function run(dtype: 'float32' | 'float64', { m, n, k, layout }: Case): { ms: number; gflops: number } {
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
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
  once(); // warm-up: lets V8 optimise and grows the packing scratch
  const times: number[] = [];
  for (let r = repsFor(flops); r > 0; r--) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  return { ms, gflops: flops / (ms * 1e6) };
}

const rows: string[][] = [];
for (const dtype of ['float32', 'float64'] as const) {
  const cases: Case[] = [
    ...squares.flatMap((s) => layouts.map((layout) => ({ label: `${s}³`, m: s, n: s, k: s, layout }))),
    ...rnnCases,
  ];
  for (const cs of cases) {
    const { ms, gflops } = run(dtype, cs);
    rows.push([dtype, cs.label, cs.layout, ms.toFixed(2), gflops.toFixed(2)]);
  }
}

const header = ['dtype', 'shape', 'layout', 'median ms', 'GFLOP/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((x, i) => (i < 3 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
