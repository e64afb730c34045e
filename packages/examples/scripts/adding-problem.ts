// The adding problem (Hochreiter & Schmidhuber 1997, Experiment 4) for several recurrent layers,
// with a progress line while each trains and a results table at the end.
// Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/adding-problem.ts --T 100 --models lstm,rnn
import { parseArgs } from 'node:util';
import { terminalProgress } from '@unroll/train/node';
import {
  MODEL_KINDS, addingTestSet, baselineEvaluation, movingAverage, parseModelKind, resolveAddingOptions, resultsTable, trainAdding,
} from '../src/adding-problem/index.js';
import type { AddingResult } from '../src/adding-problem/index.js';

const USAGE = `usage: adding-problem.ts [options]
  --T N            minimal sequence length (default 100)
  --steps N        most training steps per model (default 5000)
  --models LIST    comma-separated, from ${MODEL_KINDS.join(', ')} (default: all)
  --seed N         seeds the weights and every data set (default 0)
  --batch N        sequences per step (default 32)
  --hidden N       hidden units (default 32)
  --forget-bias X  initial forget-gate bias of lstm and lstm-peephole (default 3)
  --input-bias=X   initial input-gate bias of every LSTM kind (default -3; 'none' keeps PyTorch's
                   init; write negative values with '=', as here)
  --lr X           Adam learning rate (default 1e-2)
  --clip X         gradient-norm clipping (default 1)
  --eval-every N   validate every N steps (default 100)
  --stop-at X      stop when validation accuracy reaches X (default 0.995; 'none' trains all steps)
  --test-size N    test sequences (default 2560)
  --fixed-length   every sequence exactly T long (default: T to T + T/10, as in the paper)`;

const { values } = parseArgs({
  options: {
    'T': { type: 'string', default: '100' },
    'steps': { type: 'string', default: '5000' },
    'models': { type: 'string', default: MODEL_KINDS.join(',') },
    'seed': { type: 'string', default: '0' },
    'batch': { type: 'string', default: '32' },
    'hidden': { type: 'string', default: '32' },
    'forget-bias': { type: 'string', default: '3' },
    'input-bias': { type: 'string', default: '-3' },
    'lr': { type: 'string', default: '1e-2' },
    'clip': { type: 'string', default: '1' },
    'eval-every': { type: 'string', default: '100' },
    'stop-at': { type: 'string', default: '0.995' },
    'test-size': { type: 'string', default: '2560' },
    'fixed-length': { type: 'boolean', default: false },
    'help': { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isFinite(v)) {
    console.error(`--${name} must be a number; got '${values[name]}'\n${USAGE}`);
    process.exit(2);
  }
  return v;
};

let kinds;
try {
  kinds = values.models.split(',').map((s) => parseModelKind(s.trim()));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const options = resolveAddingOptions({
  T: num('T'), steps: num('steps'), seed: num('seed'), batchSize: num('batch'), hiddenSize: num('hidden'), forgetBias: num('forget-bias'), inputBias: values['input-bias'] === 'none' ? null : num('input-bias'), lr: num('lr'),
  clip: num('clip'), evalEvery: num('eval-every'), testSize: num('test-size'), variableLength: !values['fixed-length'],
  stopAt: values['stop-at'] === 'none' ? null : num('stop-at'),
});

const test = addingTestSet(options.T, options.testSize, options.seed, options.variableLength);
const baseline = baselineEvaluation(test);
console.log(`adding problem, T = ${options.T} (lengths ${options.variableLength ? `${options.T}–${options.T + Math.floor(options.T / 10)}` : options.T}), ` +
  `batch ${options.batchSize}, hidden ${options.hiddenSize}, forget bias ${options.forgetBias}, input bias ${options.inputBias ?? 'PyTorch init'}, Adam lr ${options.lr}, clip ${options.clip}, seed ${options.seed}`);
console.log(`baseline (always 0.5): ${(100 * baseline.accuracy).toFixed(1)}% of ${options.testSize} test sequences within 0.04, MSE ${baseline.mse.toFixed(5)}`);

const results: AddingResult[] = [];
for (const kind of kinds) {
  const bar = terminalProgress({
    label: kind, unit: 'seq', unitsPerStep: options.batchSize, lineIntervalMs: 10_000,
    figures: (e, loss) => ({ loss, 'val acc': e.metrics ? `${(100 * e.metrics.val_accuracy!).toFixed(1)}%` : undefined }),
  });
  const r = trainAdding(kind, { ...options, callbacks: [bar] });
  const recent = movingAverage(r.losses, 100).at(-1)!;
  bar.log(`${kind}: ${r.steps} steps in ${r.seconds.toFixed(0)} s, training loss ${recent.toFixed(5)}, ` +
    `test accuracy ${(100 * r.test.accuracy).toFixed(2)}% (${Math.round((1 - r.test.accuracy) * options.testSize)} wrong of ${options.testSize}), ` +
    `solved at ${r.solvedAt ?? 'never'}`);
  results.push(r);
}
console.log(`\n${resultsTable(results, baseline)}`);
