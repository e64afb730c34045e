// The line protocol between `pnpm bench` (the parent) and a persistent runner it drives over stdin/stdout
// (run-unroll.ts, torch_bench.py), so that the parent can interleave the runners' timed runs in time.
//
//   parent → runner (one command a line)      runner → parent (one tagged line a reply)
//   setup <workload> <size|-> <warmup>         @@ready            model and data built, warm-up runs done
//   run                                         @@time <ms>        one timed run, wall milliseconds
//   finish                                      @@result {json}    the workload's WorkloadResult (all its times)
//   quit                                        (any @@info lines) then the runner exits with status 0
//
// A runner also prints `@@info {json}` records whenever it likes (its versions at start, unroll's memory
// at quit); every other line it prints is passed on as its own output. A command the runner does not
// understand ends it with a non-zero status and a message on stderr. torch_bench.py repeats these tags.
import { INFO_TAG, RESULT_TAG, WORKLOAD_IDS } from './workloads.js';
import type { WorkloadId } from './workloads.js';

export { INFO_TAG, RESULT_TAG };
export const READY_TAG = '@@ready';
export const TIME_TAG = '@@time ';

/** One step of a workload (W4: one size) as the parent addresses it. */
export interface Item { workload: WorkloadId; size?: number }

export type Command =
  | { kind: 'setup'; item: Item; warmup: number }
  | { kind: 'run' }
  | { kind: 'finish' }
  | { kind: 'quit' };

/** 'W1', 'W4 512³': an item as printed in progress lines and notes. */
export const itemName = (item: Item) => `${item.workload}${item.size ? ` ${item.size}³` : ''}`;

export function formatCommand(c: Command): string {
  if (c.kind !== 'setup') return c.kind;
  return `setup ${c.item.workload} ${c.item.size ?? '-'} ${c.warmup}`;
}

/** Reads one command line; throws naming the line when it is not one of the four commands. */
export function parseCommand(line: string): Command {
  const words = line.trim().split(/\s+/);
  const [kind, workload, size, warmup] = words;
  if ((kind === 'run' || kind === 'finish' || kind === 'quit') && words.length === 1) return { kind };
  if (kind === 'setup' && words.length === 4 && WORKLOAD_IDS.includes(workload as WorkloadId)
    && (size === '-' || Number.isInteger(Number(size)) && Number(size) > 0)
    && Number.isInteger(Number(warmup)) && Number(warmup) >= 0) {
    const item: Item = size === '-' ? { workload: workload as WorkloadId } : { workload: workload as WorkloadId, size: Number(size) };
    return { kind: 'setup', item, warmup: Number(warmup) };
  }
  throw new Error(`protocol: expected 'setup <W1..W4> <size|-> <warmup>', 'run', 'finish' or 'quit'; got '${line}'`);
}
