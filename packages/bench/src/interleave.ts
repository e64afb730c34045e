// Sampling several persistent runners interleaved in time, so that this noisy machine (its speed swings
// from minute to minute) hits every system and thread count alike: per workload item, every runner
// sets up and warms up, then each round asks every runner for ONE timed run, in an order rotated by one
// place each round (no runner always goes first or last), and after each run waits until that runner is
// idle again, so its threads' spinning does not fall on the next runner's time; medians come after.
import { itemName } from './protocol.js';
import type { Item } from './protocol.js';
import type { RunnerProcess } from './runner-process.js';
import { BUDGET } from './workloads.js';
import type { Plan, WorkloadResult } from './workloads.js';

export interface InterleaveOptions {
  /** Warm-up runs and rounds for an item. */
  plan(item: Item): Plan;
  /**
   * Waits until `runner` is idle (its threads may spin on after a run and would slow the next runner's
   * timed run); called after the warm-ups and after every timed run. Returns the ms waited.
   */
  pause(runner: RunnerProcess): Promise<number>;
  /** Called with each runner's result of an item, in runner order, once the item's rounds are done. */
  onResult?(runner: RunnerProcess, result: WorkloadResult): void;
}

export interface InterleaveOutcome {
  /** Results of the runners still alive at the end of each item (a runner's earlier items are kept). */
  results: WorkloadResult[];
  /** One note per runner that failed: its label, the item and the command, and why. */
  notes: string[];
  /** The labels of the timed runs in the order they ran, item by item (what the tests check). */
  order: { item: Item; label: string }[];
  /** Rounds run per item (fewer than planned when the time budget ran out). */
  rounds: { item: Item; rounds: number }[];
  /** Every pause waited, ms. */
  pausesMs: number[];
  /** The runners alive at the end (the caller quits them). */
  alive: RunnerProcess[];
}

/** `xs` rotated left by `by` places: round r starts with runner r mod n. */
export const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);

/**
 * Runs `items` on `runners` interleaved (see the file comment). A runner whose command fails is killed
 * and dropped with a note, and the others go on: a failing peer costs its own column, nothing more.
 * The time budget (BUDGET) applies per runner: an item's rounds stop once its timed runs took
 * `budgetSeconds` per runner alive and at least `minRuns` rounds are in.
 */
export async function interleave(runners: readonly RunnerProcess[], items: readonly Item[], options: InterleaveOptions):
  Promise<InterleaveOutcome> {
  const out: InterleaveOutcome = { results: [], notes: [], order: [], rounds: [], pausesMs: [], alive: [...runners] };
  const attempt = async <T>(runner: RunnerProcess, item: Item, what: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await what();
    } catch (e) {
      out.notes.push(`${runner.label} failed at ${itemName(item)} and was dropped: ${e instanceof Error ? e.message : String(e)}`);
      out.alive = out.alive.filter((r) => r !== runner);
      runner.kill();
      return undefined;
    }
  };
  for (const item of items) {
    const plan = options.plan(item);
    for (const runner of [...out.alive]) await attempt(runner, item, () => runner.setup(item, plan.warmup));
    for (const runner of out.alive) out.pausesMs.push(await options.pause(runner));
    let spentMs = 0;
    let round = 0;
    while (round < plan.runs && out.alive.length > 0) {
      for (const runner of rotate(out.alive, round)) {
        const ms = await attempt(runner, item, () => runner.run());
        if (ms === undefined) continue;
        out.order.push({ item, label: runner.label });
        spentMs += ms;
        out.pausesMs.push(await options.pause(runner));
      }
      round++;
      if (spentMs > BUDGET.budgetSeconds * 1000 * out.alive.length && round >= BUDGET.minRuns) break;
    }
    out.rounds.push({ item, rounds: round });
    for (const runner of [...out.alive]) {
      const result = await attempt(runner, item, () => runner.finish());
      if (!result) continue;
      out.results.push(result);
      options.onResult?.(runner, result);
    }
  }
  return out;
}
