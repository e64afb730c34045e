// ndarray-ops against core's own loops on non-contiguous views: strided copies (view → fresh array,
// view → view), fills of a view, and elementwise work (unary and binary) on transposed views, at 64,
// 4096 and 262144 elements, float32. One run, side by side; prints the median time of each and the ratio.
// Run with `pnpm exec tsx packages/core/bench/ndarray-ops.bench.ts` (about 20 s; the machine is noisy:
// read the ratios, not the absolute times).
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { contiguous, randUniform, type NdArray } from '../src/array.js';
import { map, zip } from '../src/kernels/elementwise.js';
import { sliceAssign, transpose } from '../src/kernels/movement.js';
import { forEachRun } from '../src/kernels/iterate.js';
import type { FloatArray } from '../src/dtype.js';

const SIDES = [8, 64, 512]; // square [n, n]: 64, 4096 and 262144 elements

/** A transposed (non-contiguous) view of a fresh [n, n] float32 array: strides [1, n]. */
function tview(n: number): NdArray<Float32Array> {
  const a = randUniform([n, n], -1, 1, { dtype: 'float32' }) as NdArray<Float32Array>;
  return ndarray(a.data, [n, n], [1, n], 0);
}

/** Our fill of a strided view: core's run-by-run walk (forEachRun) with a tight inner loop. */
function fillView(v: NdArray, value: number): void {
  const data = v.data as FloatArray;
  forEachRun(v.shape, [v.stride], (o, len, s) => {
    let p = v.offset + o[0]!;
    const step = s[0]!;
    for (let i = 0; i < len; i++, p += step) data[p] = value;
  });
}

/** Median seconds per call of `f`, over enough calls for ~60 ms per sample, 7 samples. */
function time(f: () => void): number {
  f();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    if (performance.now() - t0 > 20 || reps > 1e6) break;
    reps *= 4;
  }
  const samples: number[] = [];
  for (let s = 0; s < 7; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    samples.push((performance.now() - t0) / 1000 / reps);
  }
  samples.sort((x, y) => x - y);
  return samples[3]!;
}

const fmtTime = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(2)} µs` : `${(s * 1e3).toFixed(2)} ms`);

interface Row { work: string; size: number; ours: number; ndops: number }
const rows: Row[] = [];
let sink = 0; // keeps results alive

for (const n of SIDES) {
  const a = tview(n), b = tview(n);
  const out = ndarray(new Float32Array(n * n), [n, n]);
  const dst = tview(n);
  const cases: [string, () => void, () => void][] = [
    ['copy view → new array', () => { sink += contiguous(a)[0]!; }, () => { ops.assign(out, a); sink += out.data[0]!; }],
    ['copy view → view', () => { sliceAssign(dst, [], a); }, () => { ops.assign(dst, a); }],
    ['fill a view', () => { fillView(dst, 0.5); }, () => { ops.assigns(dst, 0.5); }],
    ['exp of a view', () => { sink += map(a, Math.exp).data[0]!; }, () => { ops.exp(out, a); sink += out.data[0]!; }],
    ['add two views', () => { sink += zip('add', a, b, (x, y) => x + y).data[0]!; }, () => { ops.add(out, a, b); sink += out.data[0]!; }],
  ];
  for (const [work, ours, ndops] of cases) rows.push({ work, size: n * n, ours: time(ours), ndops: time(ndops) });
}

console.log('float32, transposed [n, n] views (strides [1, n]); ratio = ours / ndarray-ops time (> 1: ndarray-ops faster)\n');
console.log(`${'work'.padEnd(24)}${'elements'.padStart(10)}${'ours'.padStart(12)}${'ndarray-ops'.padStart(13)}${'ratio'.padStart(8)}`);
for (const r of rows) {
  console.log(`${r.work.padEnd(24)}${String(r.size).padStart(10)}${fmtTime(r.ours).padStart(12)}${fmtTime(r.ndops).padStart(13)}${(r.ours / r.ndops).toFixed(2).padStart(8)}`);
}
if (Number.isNaN(sink)) console.log('');
