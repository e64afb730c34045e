// The children's book ("Doug saw Jane."): vanilla RNN and LSTM next-word models, and the mistakes
// in what they write. Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/uses/childrens-book.ts
import { terminalProgress } from '@unroll/train/node';
import { scriptFlags } from '../../src/flags.js';
import { writeOutput } from '../../src/uses/common/output.js';
import { fullRun } from '../../src/uses/common/run.js';
import { BOOK_MODELS, bookLossChart, bookTable, describeBook, poolSeeds, trainNextWord } from '../../src/uses/childrens-book/index.js';
import type { BookResult } from '../../src/uses/childrens-book/index.js';

const spec = {
  steps: { kind: 'int', min: 0, help: 'Adam steps per model (default 300; 600 with UNROLL_FULL=1)' },
  seeds: { kind: 'int', min: 0, help: 'seeds to pool, 0 … n−1 (default 1; 3 with UNROLL_FULL=1)' },
  seed: { kind: 'int', min: 0, help: 'first seed (default 0)' },
} as const;
const flags = scriptFlags('childrens-book.ts', spec);
const full = fullRun();
const steps = flags.steps ?? (full ? 600 : 300);
const seeds = flags.seeds ?? (full ? 3 : 1);
const first = flags.seed ?? 0;

const runs: BookResult[][] = [];
for (let s = first; s < first + seeds; s++) {
  runs.push(BOOK_MODELS.map((m) => {
    const r = trainNextWord({ ...m, steps, seed: s, callbacks: [terminalProgress()] });
    console.log(`seed ${s}  ${r.label.padEnd(30)} ${r.seconds.toFixed(1)} s  writes: ${r.sample}`);
    return r;
  }));
}
const results = poolSeeds(runs);
console.log(`\nMistakes in ${results[0]!.report.sentences} sentences per model (${seeds} seed${seeds > 1 ? 's' : ''}, ${steps} steps each):\n`);
console.log(bookTable(results));
console.log(`\n${describeBook(results)}`);
for (const r of results) {
  const ex = Object.entries(r.report.examples).filter(([, e]) => e.length).map(([k, e]) => `${k}: ${e.join(' | ')}`);
  if (ex.length) console.log(`\n${r.label} — ${ex.join('; ')}`);
}
console.log(`\nloss curves: ${writeOutput('childrens-book-loss.svg', bookLossChart(results))}`);
