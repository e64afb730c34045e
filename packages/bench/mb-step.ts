import { setNumThreads } from '@unroll/core';
import { wasmRuntime, gemmCall, packMatrix } from '@unroll/core/internal';
setNumThreads(2);
const rt = wasmRuntime()!;
const B = 32, H = 256, G = 1024;
const r = rt.alloc(G * H + B * H + B * G + 4096)!;
const heap = rt.f32();
for (let i = 0; i < G * H + B * H; i++) heap[r.at / 4 + i] = Math.sin(i);
const W = r.at, A = r.at + 4 * G * H, C = A + 4 * B * H;
const packed = packMatrix(true, H, G, W, H)!;
const variants: [string, () => void][] = [
  ['1 part', () => rt.run([gemmCall(true, false, true, B, G, H, 1, A, H, packed, H, 0, C, G)!], 1)],
  ['2 rows', () => rt.run([gemmCall(true, false, true, B, G, H, 1, A, H, packed, H, 0, C, G)!], 2)],
  ['2 cols', () => rt.run([gemmCall(false, false, true, B, G, H, 1, A, H, packed, H, 0, C, G)!], 2)],
];
const best = new Map<string, number>();
for (let rep = 0; rep < 15; rep++) for (const [name, f] of variants) {
  const t0 = performance.now();
  for (let s = 0; s < 64; s++) f();
  const dt = (performance.now() - t0) / 64;
  best.set(name, Math.min(best.get(name) ?? 1e9, dt));
}
for (const [n, t] of best) console.log(n, (t * 1000).toFixed(0), 'µs/step', (2 * B * G * H / t / 1e6).toFixed(1), 'GFLOP/s');
