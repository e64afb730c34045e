// The worker-thread pool behind the runtime: how many threads kernels run on, starting the workers
// (Node worker_threads, or Web Workers when the page is cross-origin isolated), and handing a job's parts
// out through the control block. Nothing here imports a Node module at the top level: Node's modules are
// reached at run time through process.getBuiltinModule, so core still loads in a browser bundle.
//
// A worker that fails to start (a Content-Security-Policy refusing the browser's blob: worker, a Node
// worker that errors while it loads) makes the pool fall back to one thread for good: its `error` event,
// a constructor that throws, or a start handshake (READY in the control block) not reached within
// START_TIMEOUT_MS all count. Until then jobs still finish: a part no worker claims runs on this thread.
import { CTRL } from './control.js';
import { WORKER_SOURCE } from './worker-source.js';

/** Most threads a job is split over (the claim word keeps the part number in 8 bits). */
export const MAX_THREADS = 64;

interface NodeWorker { unref(): void; on(event: string, fn: (e: unknown) => void): void }
/** Where worker threads run. */
export interface Host {
  /**
   * Starts worker number `id` on `memory`, or throws; calls `failed` if the worker cannot start after all
   * (its `error` event). A started worker adds 1 to the control block's READY.
   */
  start(memory: object, id: number, failed: () => void): unknown;
  cores: number;
}

const g = globalThis as {
  process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } };
  crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string) => { postMessage(m: unknown): void; addEventListener(type: string, fn: () => void): void };
  Blob?: new (parts: string[], o: { type: string }) => object;
  URL?: { createObjectURL(b: object): string };
  SharedArrayBuffer?: unknown;
};

/** Where worker threads can run, and how to start one; null where they cannot (then one thread). */
function detectHost(): Host | null {
  if (g.SharedArrayBuffer === undefined) return null;
  const node = g.process?.versions?.node !== undefined ? g.process.getBuiltinModule : undefined;
  if (node) {
    const wt = node('node:worker_threads') as { Worker: new (src: string, o: object) => NodeWorker } | undefined;
    const os = node('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    if (!wt || !os) return null;
    return {
      cores: os.availableParallelism?.() ?? os.cpus().length,
      start(memory, id, failed) {
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { memory, id } });
        // A worker must never keep the process alive; a kernel's errors surface through the control block.
        w.unref();
        w.on('error', failed);
        return w;
      },
    };
  }
  if (g.crossOriginIsolated === true && g.Worker && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return {
      cores: g.navigator?.hardwareConcurrency ?? 1,
      start(memory, id, failed) {
        // A policy without blob: in worker-src (or script-src) refuses the worker: an `error` event, no throw.
        const w = new g.Worker!(url);
        w.addEventListener('error', failed);
        w.postMessage({ memory, id });
        return w;
      },
    };
  }
  return null;
}

let host: Host | null | undefined;
/** A worker failed to start: kernels run on one thread from then on. */
let failedStart = false;
const markFailed = () => { failedStart = true; };
/** The host, detected once. */
export function threadHost(): Host | null {
  if (host === undefined) {
    try {
      host = detectHost();
    } catch {
      host = null;
    }
  }
  return host;
}

/** For tests: runs the pool on `h` (a fake host; null for no workers) instead of detecting one; before the first kernel runs. */
export function setThreadHost(h: Host | null): void {
  if (workers.length > 0) throw new Error('setThreadHost: call it before the first worker starts');
  host = h;
}

/** The thread count asked for by UNROLL_NUM_THREADS, or undefined; throws on a value that is not a count. */
function fromEnv(): number | undefined {
  const raw = g.process?.env?.['UNROLL_NUM_THREADS'];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`UNROLL_NUM_THREADS must be a whole number ≥ 1; got '${raw}'`);
  return n;
}

let requested: number | undefined;

/**
 * Sets how many threads unroll's kernels use (as `torch.set_num_threads`): the calling thread plus
 * n − 1 workers. Where no worker can run (no SharedArrayBuffer, or a browser page that is not
 * cross-origin isolated) kernels use one thread whatever n is, and likewise once a worker has failed to
 * start (e.g. a Content-Security-Policy without `blob:` in `worker-src`: the workers are started from a
 * blob: URL); `getNumThreads` reports what is used.
 * The default is UNROLL_NUM_THREADS when set, else the available cores. Results depend on n only through
 * float rounding, and are the same from run to run for a given n (fixed partitions, no float atomics).
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: n must be a whole number ≥ 1; got ${n}`);
  requested = Math.min(n, MAX_THREADS);
}

/**
 * The number of threads kernels run on here: 1 where worker threads are unavailable or a worker failed
 * to start (workers start with the first job that is split, so that is known only after it).
 */
export function getNumThreads(): number {
  const h = threadHost();
  if (!h || failedStart) return 1;
  requested ??= Math.min(fromEnv() ?? h.cores, MAX_THREADS);
  return requested;
}

/** The workers started so far; worker i has id i + 1 (the calling thread is 0). They are never stopped. */
const workers: unknown[] = [];

/**
 * How long a started worker may take to reach READY before the pool gives up on it. Generous: a worker
 * starts in tens of ms, but a loaded machine can take far longer, and the cost of waiting is only that
 * jobs are split into parts this thread runs itself meanwhile.
 */
export const START_TIMEOUT_MS = 5000;
let lastStart = 0;

/**
 * Makes workers 1 … threads − 1 take part in the next jobs, starting those not running yet; returns how
 * many take part. Workers beyond the count stay asleep (stopping one mid-job could lose a part it had
 * claimed; keeping it also keeps ids, and so workspaces, unique).
 */
export function ensureWorkers(memory: object, i32: Int32Array, threads: number): number {
  const h = threadHost();
  if (!h) return 0;
  while (workers.length < threads - 1 && !failedStart) {
    try {
      workers.push(h.start(memory, workers.length + 1, markFailed));
      lastStart = performance.now();
    } catch {
      failedStart = true;
    }
  }
  if (Atomics.load(i32, CTRL.READY) < workers.length && performance.now() - lastStart > START_TIMEOUT_MS) failedStart = true;
  // A worker that died (see runJob) leaves one thread; the others are not trusted to be any sounder.
  if (Atomics.load(i32, CTRL.DEAD) !== 0) failedStart = true;
  // After a failed start every worker sits out (one that starts late sees ACTIVE 0); parts run here.
  const active = failedStart ? 0 : Math.min(workers.length, threads - 1);
  Atomics.store(i32, CTRL.ACTIVE, active);
  Atomics.store(i32, CTRL.SPIN_US, workerSpinUs);
  return active;
}

/**
 * How long (µs) an idle worker keeps polling for the next job before it sleeps in Atomics.wait. A
 * sleeping worker must be woken by the next job (a futex wake: tens to hundreds of µs in a VM), and
 * meanwhile this thread runs its part alone and then waits for the worker's; polling through the short
 * gaps of JS work between the jobs of a training step avoids that, at the price of the core it polls on.
 */
let workerSpinUs = 100;

/** For tuning and A/B measurements: how long idle workers poll before sleeping (µs, ≥ 0). */
export function setWorkerSpin(us: number): void {
  if (!(Number.isFinite(us) && us >= 0)) throw new RangeError(`setWorkerSpin: us must be a number ≥ 0; got ${us}`);
  workerSpinUs = Math.round(us);
}

/**
 * Wakes sleeping workers ahead of a job this thread is about to post (after some serial work of its own,
 * e.g. copying operands in): they poll for `workerSpinUs` meanwhile, so the job finds them awake.
 */
export function wakeWorkers(i32: Int32Array): void {
  if (Atomics.load(i32, CTRL.SLEEPERS) > 0) Atomics.notify(i32, CTRL.CLAIM);
}

let generation = 0;

// Oversubscription guard: when the workers keep this thread waiting longer than its own share took (a
// worker descheduled by other processes mid-part), the next jobs run here alone for a while. Parts are
// the same either way, so results do not change; only who computes them does.
const SOLO_MS = 50;
const LAG_STREAK = 3;
let soloUntil = 0;
let lagStreak = 0;

/** What `threadJobStats` reports: jobs split over threads since the last reset, and where their time went. */
export interface ThreadJobStats {
  /** Jobs run split over the workers (not those run on this thread alone). */
  jobs: number;
  /** Of those, jobs that found a worker asleep (it had stopped spinning, so it had to be woken). */
  workerAsleep: number;
  /** Jobs run on this thread alone because the oversubscription guard was on. */
  solo: number;
  /** Times the guard switched on. */
  soloStarts: number;
  /** ms this thread spent on its own parts, and waiting for the workers' parts after them. */
  ownMs: number;
  waitMs: number;
}
const stats: ThreadJobStats = { jobs: 0, workerAsleep: 0, solo: 0, soloStarts: 0, ownMs: 0, waitMs: 0 };

/**
 * For profiling the thread pool (e.g. bench/src/prof-w1.ts): counters of the jobs run since the last reset,
 * and where the calling thread's time went; `reset` zeroes them after reading.
 */
export function threadJobStats(reset = false): ThreadJobStats {
  const out = { ...stats };
  if (reset) Object.assign(stats, { jobs: 0, workerAsleep: 0, solo: 0, soloStarts: 0, ownMs: 0, waitMs: 0 });
  return out;
}

/**
 * Runs a job already written into the control block (its calls and `parts`) on every thread: bumps the
 * generation, wakes sleeping workers, claims parts on this thread too, and returns once all parts are
 * done. Parts are claimed with a compare-and-swap on the job word (generation, next part), so a part
 * runs exactly once, on whichever thread takes it first: which thread runs a part never changes what
 * it computes. `runPart(part)` runs one part on this thread.
 */
export function runJob(i32: Int32Array, parts: number, runPart: (part: number) => void): void {
  const start = performance.now();
  if (start < soloUntil) {
    stats.solo++;
    for (let part = 0; part < parts; part++) runPart(part);
    return;
  }
  stats.jobs++;
  if (Atomics.load(i32, CTRL.SLEEPERS) > 0) stats.workerAsleep++;
  generation = (generation + 1) & 0xffffff;
  Atomics.store(i32, CTRL.PARTS, parts);
  Atomics.store(i32, CTRL.DONE, 0);
  Atomics.store(i32, CTRL.FAILED, 0);
  Atomics.store(i32, CTRL.LOST, 0);
  Atomics.store(i32, CTRL.CLAIM, generation << 8);
  if (Atomics.load(i32, CTRL.SLEEPERS) > 0) Atomics.notify(i32, CTRL.CLAIM);
  let error: unknown;
  for (;;) {
    const c = Atomics.load(i32, CTRL.CLAIM);
    const part = c & 255;
    if (part >= parts) break;
    if (Atomics.compareExchange(i32, CTRL.CLAIM, c, c + 1) !== c) continue;
    try {
      runPart(part);
    } catch (e) {
      error ??= e;
    }
    Atomics.add(i32, CTRL.DONE, 1);
  }
  const worked = performance.now();
  // Wait for parts other threads hold: spin briefly, then (where this thread may block) sleep in short naps.
  // A part a dying worker held never finishes: it counts as LOST, so this wait still ends.
  let spins = 0;
  for (let done = Atomics.load(i32, CTRL.DONE); done + Atomics.load(i32, CTRL.LOST) < parts; done = Atomics.load(i32, CTRL.DONE)) {
    if (++spins > 20000 && canBlock) Atomics.wait(i32, CTRL.DONE, done, 1);
  }
  const waited = performance.now() - worked;
  stats.ownMs += worked - start;
  stats.waitMs += waited;
  if (waited > 0.05 && waited > worked - start) {
    if (++lagStreak >= LAG_STREAK) {
      soloUntil = performance.now() + SOLO_MS;
      stats.soloStarts++;
      lagStreak = 0;
    }
  } else {
    lagStreak = 0;
  }
  if (error !== undefined) throw error;
  const lost = Atomics.load(i32, CTRL.LOST);
  if (lost !== 0) {
    failedStart = true;
    throw new Error(`WasmRuntime.run: worker thread ${Atomics.load(i32, CTRL.DEAD) - 1} died (its script threw or exited) `
      + `while running a part of this job, so the job's result is incomplete; kernels run on one thread from now on`);
  }
  const failed = Atomics.load(i32, CTRL.FAILED);
  if (failed !== 0) throw new Error(`unroll runtime: a kernel failed on worker thread ${failed - 1}`);
}

/** Browsers forbid Atomics.wait on their main thread; Node allows it everywhere. */
const canBlock = g.process?.versions?.node !== undefined;
