// The pause after each interleaved sample (and warm-up): the runner just timed must have gone idle before
// the next is timed, or its still-spinning threads would steal a core from that run on this 2-core machine.
//
// How long they spin, measured here (2 vCPU AMD EPYC VM): unroll's workers poll ~50–100 µs before
// sleeping in Atomics.wait (core's worker-source.ts); OpenMP under torch's OMP_WAIT_POLICY=PASSIVE
// sleeps at once; but OpenBLAS's own pthread pool (Debian's libopenblasp) spins with sched_yield for
// 2^28 TSC cycles (its THREAD_TIMEOUT default) after every parallel call: after a 2-thread 1024³
// torch.mm the torch process kept using ~9 ms of CPU per 10 ms for about 100 ms. A fixed 30–50 ms
// pause would leave that spin on the next runner's time, and a fixed 120 ms one would add ~0.5 s per
// round for nothing after the other runners. So the parent waits until the runner's threads (all of
// them: V8's GC and compiler threads too) have used almost no CPU over a short window.
import { readFileSync, readdirSync } from 'node:fs';

/** Always pause at least this long (the pipes' reply and the runner's own settling). */
export const MIN_PAUSE_MS = 20;
/** Never pause longer (a runner busy for another reason must not stall the benchmark). */
export const MAX_PAUSE_MS = 400;
/** Where /proc is missing (not Linux): a fixed pause longer than OpenBLAS's ~100 ms spin. */
export const FALLBACK_PAUSE_MS = 150;
const WINDOW_MS = 10;
/** Idle: under 5% of one core over a window. */
const IDLE_SHARE = 0.05;

/**
 * CPU time in ns used so far by every thread of process `pid` (the first field of each
 * /proc/<pid>/task/<tid>/schedstat), or undefined where that cannot be read.
 */
export function processCpuNs(pid: number): number | undefined {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read: its time is gone with it
      }
    }
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until process `pid` is idle (under IDLE_SHARE of a core over a WINDOW_MS window), at least
 * MIN_PAUSE_MS and at most MAX_PAUSE_MS; FALLBACK_PAUSE_MS where its CPU time cannot be read (or no
 * pid). Returns how long it waited, in ms.
 */
export async function settle(pid: number | undefined): Promise<number> {
  const t0 = performance.now();
  if (pid === undefined || processCpuNs(pid) === undefined) {
    await sleep(FALLBACK_PAUSE_MS);
    return performance.now() - t0;
  }
  await sleep(MIN_PAUSE_MS - WINDOW_MS);
  for (;;) {
    const before = processCpuNs(pid);
    const windowStart = performance.now();
    await sleep(WINDOW_MS);
    const after = processCpuNs(pid);
    const windowMs = performance.now() - windowStart;
    if (before === undefined || after === undefined || after - before < IDLE_SHARE * windowMs * 1e6) break;
    if (performance.now() - t0 >= MAX_PAUSE_MS) break;
  }
  return performance.now() - t0;
}
