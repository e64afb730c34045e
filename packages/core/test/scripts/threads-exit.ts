// Spawned by runtime.test.ts: runs a gemm large enough to wake the worker threads, prints what ran, and
// returns — the process must then end by itself (workers never keep it alive).
import { gemm, getNumThreads, setNumThreads } from '../../src/index.js';
import { wasmRuntime } from '../../src/internal.js';

setNumThreads(2);
const n = 256;
const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), c = new Float32Array(n * n);
gemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, c, 0, n);
const rt = wasmRuntime();
console.log(JSON.stringify({ threads: getNumThreads(), shared: rt?.shared, relaxed: rt?.target.relaxed, c: Array.from(c.subarray(0, 64)) }));
