// The source of a kernel worker thread, as plain JavaScript text: a Node `worker_threads` worker is started
// from it with `eval: true`, a browser Web Worker from a Blob URL. It is text (not a module file) so that
// it runs the same from TypeScript sources, from the built package and in a bundle.
//
// A worker owns nothing: it reads jobs from the control block at the start of the shared memory (layout
// in ./control.ts), compiles each kernel module once from the bytes the runtime left in memory, and runs
// its share of a job's parts. It never touches the event loop while it works, so it cannot keep a
// process alive (the runtime unrefs it) and needs no message after start-up.
import { CTRL } from './control.js';


export const WORKER_SOURCE = `
'use strict';
const C = ${JSON.stringify(CTRL)};
let memory, id, i32, f64;
const kernels = [];
// Whether this worker is running a part now (a part it would lose if it died).
let holding = false, dead = false;

// A worker that dies (its script throws, or exits) tells the pool, so no job waits for a part it held.
function markDead() {
  if (dead || i32 === undefined) return;
  dead = true;
  Atomics.store(i32, C.DEAD, 1 + id);
  if (holding) Atomics.add(i32, C.LOST, 1);
  Atomics.notify(i32, C.DONE);
}

function kernel(mod, index) {
  let list = kernels[mod];
  if (list === undefined) {
    const at = i32[C.MODULES + 2 * mod], len = i32[C.MODULES + 2 * mod + 1];
    const bytes = new Uint8Array(memory.buffer, at, len).slice();
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    list = kernels[mod] = WebAssembly.Module.exports(module).map((e) => instance.exports[e.name]);
  }
  return list[index];
}

function runPart(part, parts) {
  const ops = i32[C.OPS], times = i32[C.TIMES];
  const fns = [], args = [];
  for (let q = 0; q < ops; q++) {
    const at = C.OP_F64 + q * C.OP_SLOTS;
    fns.push(kernel(f64[at], f64[at + 1]));
    const n = f64[at + 2], a = [];
    for (let k = 0; k < n; k++) a.push(f64[at + 3 + k]);
    args.push(a);
  }
  // A repeated job (WasmRuntime.runSteps): repetition i runs each moving argument at its value + i · stride.
  const strides = f64[C.STRIDES_F64];
  for (let i = 0; i < times; i++) {
    if (i > 0) {
      for (let j = 0; j < strides; j++) {
        const s = C.STRIDES_F64 + 1 + 3 * j;
        args[f64[s]][f64[s + 1]] += f64[s + 2];
      }
    }
    for (let q = 0; q < ops; q++) fns[q](part, parts, id, ...args[q]);
  }
}

// Claims and runs parts of job 'gen' until none is left; see claimParts in threads.ts for the protocol.
function work(gen) {
  // A worker beyond the thread count (after setNumThreads lowered it) sits this job out.
  if (id > Atomics.load(i32, C.ACTIVE)) return;
  for (;;) {
    const c = Atomics.load(i32, C.CLAIM);
    if ((c >>> 8) !== gen) return;
    const part = c & 255, parts = i32[C.PARTS];
    if (part >= parts) return;
    if (Atomics.compareExchange(i32, C.CLAIM, c, c + 1) !== c) continue;
    holding = true;
    try {
      runPart(part, parts);
    } catch (e) {
      Atomics.store(i32, C.FAILED, 1 + id);
    }
    holding = false;
    Atomics.add(i32, C.DONE, 1);
    Atomics.notify(i32, C.DONE);
  }
}

function loop() {
  i32 = new Int32Array(memory.buffer, 0, C.BYTES / 4);
  f64 = new Float64Array(memory.buffer, 0, C.BYTES / 8);
  Atomics.add(i32, C.READY, 1);
  let seen = -1;
  for (;;) {
    // Poll for the next job for SPIN_US µs (reading the clock every 1024 polls), then sleep until woken.
    let c = Atomics.load(i32, C.CLAIM), spins = 0, until = performance.now() + i32[C.SPIN_US] / 1000;
    while ((c >>> 8) === seen) {
      if ((++spins & 1023) !== 0 || performance.now() < until) { c = Atomics.load(i32, C.CLAIM); continue; }
      Atomics.add(i32, C.SLEEPERS, 1);
      Atomics.wait(i32, C.CLAIM, c);
      Atomics.sub(i32, C.SLEEPERS, 1);
      c = Atomics.load(i32, C.CLAIM);
      until = performance.now() + i32[C.SPIN_US] / 1000;
    }
    seen = c >>> 8;
    work(seen);
  }
}

function run() {
  try {
    loop();
  } finally {
    markDead();
  }
}

if (typeof require === 'function') {
  const { workerData } = require('node:worker_threads');
  memory = workerData.memory;
  id = workerData.id;
  // process.exit() in a worker ends its thread without unwinding the loop; 'exit' still runs.
  process.on('exit', markDead);
  run();
} else {
  self.onmessage = (e) => {
    memory = e.data.memory;
    id = e.data.id;
    run();
  };
}
`;
