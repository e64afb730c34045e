// Reporting for training runs: smoothed loss curves and the adding problem's results table.
import type { Series } from '@unroll/plot';
import { MODEL_DESCRIPTIONS } from './models.js';
import type { AddingEvaluation, AddingResult } from './train.js';

/** Trailing mean over `window` values (shorter at the start), to draw noisy minibatch losses. */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`movingAverage: window must be a positive integer; got ${window}`);
  const out: number[] = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}

/** Smoothed training-loss series of several runs, for `lineChart` (use `logY`). */
export function lossSeries(results: readonly AddingResult[], window = 25): Series[] {
  return results.map((r) => ({ name: r.kind, values: movingAverage(r.losses, window) }));
}

/** `99.92% (2 wrong)`: two decimals, and the count, so that 1 wrong in 2,560 never rounds to 100%. */
const score = (e: AddingEvaluation) => `${(100 * e.accuracy).toFixed(2)}% (${Math.round((1 - e.accuracy) * e.count)} wrong)`;

/**
 * A Markdown table of the runs and the mean-predicting baseline: test accuracy (|error| < 0.04) with
 * the number of wrong sequences, test MSE, the step at which validation accuracy first reached 99%,
 * steps run and time.
 */
export function resultsTable(results: readonly AddingResult[], baseline: AddingEvaluation): string {
  const rows = [
    '| model | parameters | test accuracy | test MSE | solved at step | steps run | time |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) =>
      `| ${r.kind} (${MODEL_DESCRIPTIONS[r.kind]}) | ${r.parameters} | ${score(r.test)} | ${r.test.mse.toFixed(5)} | ` +
      `${r.solvedAt ?? '—'} | ${r.steps} | ${formatSeconds(r.seconds)} |`),
    `| baseline: always predict 0.5 | 0 | ${score(baseline)} | ${baseline.mse.toFixed(5)} | — | — | — |`,
  ];
  return rows.join('\n');
}

const formatSeconds = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);
