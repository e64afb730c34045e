// The two ways a Node runner (run-unroll.ts) is driven: `--serve`, the line protocol of protocol.ts (the
// parent asks for one timed run at a time, so it can interleave runners), or standalone with `--plan`
// (each workload's warm-up and timed runs back to back, one @@result line each, as before the protocol).
import { createInterface } from 'node:readline';
import { READY_TAG, TIME_TAG, itemName, parseCommand } from './protocol.js';
import type { Item } from './protocol.js';
import { GEMM_SIZES, RESULT_TAG, median, sample } from './workloads.js';
import type { Plan, SystemId, WorkloadId, WorkloadResult } from './workloads.js';

/** One workload set up and ready to time: `step` runs it once (and finishes its work before returning). */
export interface OpenWorkload {
  step(): void;
  /** What the result reports besides the times: parameter count and check values (W1–W3). */
  extras?(): Pick<WorkloadResult, 'parameters' | 'check'>;
}

export interface RunnerSpec {
  system: SystemId;
  threads: number;
  /** Builds the model and data of `item` (W4: its size); no run yet. */
  open(item: Item): OpenWorkload;
}

function resultOf(spec: RunnerSpec, item: Item, open: OpenWorkload, timesMs: number[]): WorkloadResult {
  return {
    system: spec.system, workload: item.workload, ...(item.size ? { size: item.size } : {}),
    timesMs, medianMs: median(timesMs), ...open.extras?.(), threads: spec.threads,
  };
}

/** Standalone: every workload of `plans` in turn (W4 at each of GEMM_SIZES), one @@result line each. */
export function runPlans(spec: RunnerSpec, plans: ReadonlyMap<WorkloadId, Plan>): void {
  for (const [workload, plan] of plans) {
    const items: Item[] = workload === 'W4' ? GEMM_SIZES.map((size) => ({ workload, size })) : [{ workload }];
    for (const item of items) {
      const open = spec.open(item);
      console.log(RESULT_TAG + JSON.stringify(resultOf(spec, item, open, sample(plan, () => open.step()))));
    }
  }
}

/**
 * `--serve`: answers the parent's commands from stdin until `quit` (or stdin closes), then returns. A
 * command out of order (run before setup) or unknown throws, which ends the process with a message.
 */
export async function serve(spec: RunnerSpec): Promise<void> {
  let current: { item: Item; open: OpenWorkload; timesMs: number[] } | undefined;
  const need = (command: string) => {
    if (!current) throw new Error(`${spec.system} runner: '${command}' before any 'setup'`);
    return current;
  };
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const command = parseCommand(line);
    if (command.kind === 'setup') {
      const open = spec.open(command.item);
      for (let i = 0; i < command.warmup; i++) open.step();
      current = { item: command.item, open, timesMs: [] };
      console.log(READY_TAG);
    } else if (command.kind === 'run') {
      const c = need('run');
      const t0 = performance.now();
      c.open.step();
      const ms = performance.now() - t0;
      c.timesMs.push(ms);
      console.log(TIME_TAG + String(ms));
    } else if (command.kind === 'finish') {
      const c = need('finish');
      if (c.timesMs.length === 0) throw new Error(`${spec.system} runner: 'finish' of ${itemName(c.item)} before any 'run'`);
      console.log(RESULT_TAG + JSON.stringify(resultOf(spec, c.item, c.open, c.timesMs)));
      current = undefined; // drop the model and data before the next workload
    } else {
      return;
    }
  }
}
