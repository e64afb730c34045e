// Sentiment where word order matters: a bag-of-words baseline against an LSTM and a GRU.
// Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/uses/sentiment.ts
import { terminalProgress } from '@unroll/train/node';
import { scriptFlags } from '../../src/flags.js';
import { writeOutput } from '../../src/uses/common/output.js';
import { fullRun } from '../../src/uses/common/run.js';
import {
  describeSentiment, patternTable, sentimentCorpus, sentimentLossChart, sentimentTable, trainSentiment,
} from '../../src/uses/sentiment/index.js';
import type { SentimentKind } from '../../src/uses/sentiment/index.js';

const spec = {
  steps: { kind: 'int', min: 0, help: 'Adam steps per model (default 400; 1500 with UNROLL_FULL=1)' },
  train: { kind: 'int', min: 0, help: 'training reviews (default 3000)' },
  test: { kind: 'int', min: 0, help: 'test reviews (default 1000)' },
  seed: { kind: 'int', min: 0, help: 'seed of weights and corpus (default 0)' },
} as const;
const flags = scriptFlags('sentiment.ts', spec);
const steps = flags.steps ?? (fullRun() ? 1500 : 400);
const seed = flags.seed ?? 0;
const corpus = sentimentCorpus(seed, flags.train ?? 3000, flags.test ?? 1000);
console.log('a few training reviews:');
for (const r of corpus.train.slice(0, 6)) console.log(`  ${r.label ? '+' : '-'} ${r.words.join(' ')}   (${r.pattern})`);
const results = (['bag-of-words', 'lstm', 'gru'] as SentimentKind[]).map((kind) => {
  const r = trainSentiment({ kind, steps, seed, callbacks: [terminalProgress()] }, corpus);
  console.log(`${r.label}: ${r.seconds.toFixed(1)} s`);
  return r;
});
const seen = corpus.testSeen.filter((s) => s).length;
console.log(`\n${corpus.test.length} test reviews (${seen} of them also occur in the ${corpus.train.length} training reviews), ${steps} steps per model:\n`);
console.log(sentimentTable(results));
console.log(`\n${patternTable(results)}`);
console.log(`\n${describeSentiment(results)}`);
console.log(`\nloss curves: ${writeOutput('sentiment-loss.svg', sentimentLossChart(results))}`);
