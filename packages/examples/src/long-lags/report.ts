// The results table of the long-time-lag runs, with the 1997 paper's figures beside ours.
import { MODEL_DESCRIPTIONS } from '../adding-problem/models.js';
import type { LagProblemName } from './problems.js';
import type { LagResult } from './train.js';

/**
 * Average training sequences until the paper's stopping rule held, from Hochreiter & Schmidhuber
 * (1997), Neural Computation 9(8): Table 7 (adding problem, experiment 4) and Table 9 (temporal order,
 * experiments 6a and 6b). Online gradient descent, one sequence per weight update.
 */
export const PAPER_SEQUENCES: readonly { problem: LagProblemName; T: number; sequences: number }[] = [
  { problem: 'adding', T: 100, sequences: 74_000 },
  { problem: 'adding', T: 500, sequences: 209_000 },
  { problem: 'adding', T: 1000, sequences: 853_000 },
  { problem: 'order-2', T: 100, sequences: 31_390 },
  { problem: 'order-3', T: 100, sequences: 571_100 },
];

/** The paper's figure for a problem at T, or null when the paper did not run it. */
export function paperSequences(problem: LagProblemName, T: number): number | null {
  return PAPER_SEQUENCES.find((p) => p.problem === problem && p.T === T)?.sequences ?? null;
}

const PROBLEM_LABELS: Record<LagProblemName, string> = { 'adding': 'adding', 'order-2': 'temporal order 6a', 'order-3': 'temporal order 6b' };
const thousands = (n: number) => n.toLocaleString('en-US');
const duration = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

/**
 * One Markdown row per run: problem and T, model, training sequences to solution (ours, or "not solved"
 * with the budget), the paper's figure, the test score on fresh sequences, the final training loss
 * and the wall time.
 */
export function lagTable(results: readonly LagResult[]): string {
  const rows = [
    '| problem | model | parameters | sequences to solution (ours) | paper | test: wrong of N | final training loss | wall time |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => {
      const paper = paperSequences(r.problem, r.T);
      const ours = r.solvedAt === null
        ? `not solved in ${thousands(r.budget)} (recent ${(100 * r.recentAccuracy).toFixed(1)} % correct)`
        : thousands(r.solvedAt);
      return `| ${PROBLEM_LABELS[r.problem]}, T = ${r.T} | ${r.kind} (${MODEL_DESCRIPTIONS[r.kind]}) | ${r.parameters} | ${ours} | ` +
        `${paper === null ? '—' : thousands(paper)} | ${r.test.wrong} of ${r.test.count} (${(100 * r.test.accuracy).toFixed(2)} % correct) | ` +
        `${r.finalLoss.toFixed(5)} | ${duration(r.seconds)} |`;
    }),
  ];
  return rows.join('\n');
}

/** One line for a finished run, for the terminal. */
export function lagSummary(r: LagResult): string {
  const solved = r.solvedAt === null ? `not solved within ${thousands(r.budget)} sequences` : `solved after ${thousands(r.solvedAt)} sequences`;
  const paper = paperSequences(r.problem, r.T);
  return `${r.kind}: ${solved}${paper === null ? '' : ` (paper: ${thousands(paper)})`} in ${duration(r.seconds)}; ` +
    `recent ${(100 * r.recentAccuracy).toFixed(1)} % correct, training loss ${r.finalLoss.toFixed(5)}; ` +
    `test ${(100 * r.test.accuracy).toFixed(2)} % correct (${r.test.wrong} wrong of ${r.test.count}), loss ${r.test.loss.toFixed(5)}`;
}
