// The worker-thread pool when a worker fails to start (as a browser's blob: worker refused by a
// Content-Security-Policy): a start that throws, a worker whose script errors while it loads, a worker
// that never reports READY. Each time the kernels fall back to one thread — getNumThreads() says 1, no
// job waits on the dead worker, results are the bits one thread gives. And a worker that dies after it
// started (its script throws or exits), idle or in the middle of a part. Each test loads core afresh
// (the pool's state is per module instance) and gives it a fake host through setThreadHost.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Host } from '../src/internal.js';
import { WORKER_SOURCE } from '../src/kernels/wasm/worker-source.js';

const n = 256; // large enough that gemm splits its job over the threads
const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));

/** Fresh core modules whose pool runs on `host`, at 2 threads. */
async function coreOn(host: Host | null) {
  vi.resetModules();
  const core = await import('../src/index.js');
  const internal = await import('../src/internal.js');
  internal.setThreadHost(host);
  core.setNumThreads(2);
  const product = () => {
    const c = new Float32Array(n * n);
    core.gemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, c, 0, n);
    return c;
  };
  return { ...core, ...internal, product };
}

/** What one thread computes (a host with no workers). */
async function oneThread(): Promise<Float32Array> {
  const core = await coreOn(null);
  expect(core.getNumThreads()).toBe(1);
  return core.product();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a worker that fails to start', () => {
  it('whose start throws: the first job runs on this thread and the count drops to 1', async () => {
    const expected = await oneThread();
    const start = vi.fn(() => { throw new Error('refused'); });
    const core = await coreOn({ cores: 2, start });
    expect(core.getNumThreads()).toBe(2);
    expect(core.product()).toEqual(expected);
    expect(core.getNumThreads()).toBe(1);
    expect(core.product()).toEqual(expected);
    expect(start).toHaveBeenCalledTimes(1); // no retry on every job
  });

  it('whose script errors while it loads (its error event): jobs finish meanwhile, then the count drops to 1', async () => {
    const expected = await oneThread();
    const workers: Worker[] = [];
    const core = await coreOn({
      cores: 2,
      start(_memory, _id, failed) {
        const w = new Worker("throw new Error('refused by policy')", { eval: true });
        w.on('error', failed);
        workers.push(w);
        return w;
      },
    });
    // The error arrives on the event loop, after this job: its parts all run here (none is left to the dead worker).
    expect(core.product()).toEqual(expected);
    await vi.waitFor(() => expect(core.getNumThreads()).toBe(1), { timeout: 20_000, interval: 20 });
    expect(core.product()).toEqual(expected);
    expect(workers).toHaveLength(1);
  });

  it('that never reports READY: after START_TIMEOUT_MS the count drops to 1, and a late worker sits out', async () => {
    const expected = await oneThread();
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const core = await coreOn({ cores: 2, start: () => ({}) });
    expect(core.product()).toEqual(expected);
    expect(core.getNumThreads()).toBe(2); // not yet known: it may just be slow to start
    now += core.START_TIMEOUT_MS + 1;
    // The job after the deadline notices, and still runs whole on this thread.
    expect(core.product()).toEqual(expected);
    expect(core.getNumThreads()).toBe(1);
    const rt = core.wasmRuntime()!;
    expect(new Int32Array(rt.memory.buffer, 0, 8)[7]).toBe(0); // CTRL.ACTIVE: a worker starting late claims nothing
  });

  it('a pool whose workers start keeps its 2 threads', async () => {
    const expected = await oneThread();
    vi.resetModules();
    const core = await import('../src/index.js');
    core.setNumThreads(2);
    const c = new Float32Array(n * n);
    core.gemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, c, 0, n);
    expect(c).toEqual(expected);
    expect(core.getNumThreads()).toBe(2);
  });
});

/** A host starting real kernel workers whose source begins with `prelude` (to make them die on cue). */
function dyingHost(prelude: string): Host {
  return {
    cores: 2,
    start(memory, id, failed) {
      const w = new Worker(prelude + WORKER_SOURCE, { eval: true, workerData: { memory, id } });
      w.unref();
      w.on('error', failed);
      return w;
    },
  };
}

describe('a worker that dies', () => {
  it('while running a part (process.exit): the job fails with a clear error instead of hanging, then one thread runs', async () => {
    const expected = await oneThread();
    // The worker exits when it compiles its first kernel module: inside the first part it claims.
    const core = await coreOn(dyingHost('WebAssembly.Module = function () { process.exit(1); };\n'));
    let error: unknown;
    // The worker joins once it has started; until then this thread runs every part itself.
    for (let i = 0; i < 2000 && error === undefined; i++) {
      try {
        expect(core.product()).toEqual(expected);
      } catch (e) {
        error = e;
      }
    }
    expect(String(error)).toContain('WasmRuntime.run: worker thread 1 died (its script threw or exited) while running a part of this job');
    expect(core.getNumThreads()).toBe(1);
    expect(core.product()).toEqual(expected);
  });

  it('while idle (its script throws): the next jobs run whole on this thread', async () => {
    const expected = await oneThread();
    // The worker throws out of its loop when it first goes to sleep between jobs.
    const core = await coreOn(dyingHost("Atomics.wait = () => { throw new Error('gone'); };\n"));
    expect(core.product()).toEqual(expected);
    const ctrl = new Int32Array(core.wasmRuntime()!.memory.buffer, 0, 16);
    await vi.waitFor(() => expect(ctrl[8]).toBe(2), { timeout: 20_000, interval: 20 }); // CTRL.DEAD = 1 + id
    expect(core.product()).toEqual(expected);
    expect(core.getNumThreads()).toBe(1);
  });
});

describe('setThreadHost', () => {
  it('refuses a new host once workers have started', async () => {
    const core = await coreOn({ cores: 2, start: () => ({}) });
    core.product();
    expect(() => core.setThreadHost(null)).toThrow('setThreadHost: call it before the first worker starts');
  });
});
