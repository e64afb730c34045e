// Bidirectional tagging: tag each token whose twin appears later, with a bidirectional and a
// unidirectional LSTM. Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/uses/bidirectional-tagging.ts
import { terminalProgress } from '@unroll/train/node';
import { scriptFlags } from '../../src/flags.js';
import { writeOutput } from '../../src/uses/common/output.js';
import { fullRun } from '../../src/uses/common/run.js';
import { describeTagging, taggingCharts, taggingTable, trainTagger } from '../../src/uses/bidirectional-tagging/index.js';

const spec = {
  steps: { kind: 'int', min: 0, help: 'Adam steps per model (default 400; 1500 with UNROLL_FULL=1)' },
  length: { kind: 'int', min: 0, help: 'tokens per sequence (default 12)' },
  alphabet: { kind: 'int', min: 0, help: 'distinct tokens (default 8)' },
  seed: { kind: 'int', min: 0, help: 'seed of weights and data (default 0)' },
} as const;
const flags = scriptFlags('bidirectional-tagging.ts', spec);
const steps = flags.steps ?? (fullRun() ? 1500 : 400);
const length = flags.length ?? 12, alphabet = flags.alphabet ?? 8;
const results = [true, false].map((bi) => {
  const r = trainTagger({ bidirectional: bi, steps, length, alphabet, seed: flags.seed, callbacks: [terminalProgress()] });
  console.log(`${r.label}: ${r.seconds.toFixed(1)} s`);
  return r;
});
console.log(`\nPer-token accuracy on 1000 test sequences (length ${length}, ${alphabet} tokens, ${steps} steps):\n`);
console.log(taggingTable(results, length, alphabet));
console.log(`\n${describeTagging(results, length, alphabet)}`);
const charts = taggingCharts(results, length, alphabet);
console.log(`\ncharts: ${writeOutput('bidirectional-tagging-loss.svg', charts.loss)}, ${writeOutput('bidirectional-tagging-positions.svg', charts.positions)}`);
