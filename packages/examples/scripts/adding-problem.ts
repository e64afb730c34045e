// The adding problem (Hochreiter & Schmidhuber 1997, Experiment 4) for several recurrent layers,
// with a progress line while each trains and a results table at the end.
// Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/adding-problem.ts --T 100 --models lstm,rnn
import { terminalProgress } from '@unroll/train/node';
import {
  MODEL_KINDS, addingTestSet, baselineEvaluation, movingAverage, parseModelKind, resolveAddingOptions, resultsTable, trainAdding,
} from '../src/adding-problem/index.js';
import { flagName, parseValue, scriptFlags } from '../src/flags.js';
import type { AddingResult } from '../src/adding-problem/index.js';

const flags = scriptFlags('adding-problem.ts', {
  T: { kind: 'int', min: 1, default: 100, help: 'minimal sequence length' },
  steps: { kind: 'int', min: 1, default: 5000, help: 'most training steps per model' },
  models: { kind: 'string', default: MODEL_KINDS.join(','), metavar: 'LIST', help: `comma-separated, from ${MODEL_KINDS.join(', ')}` },
  seed: { kind: 'int', min: 0, default: 0, help: 'seeds the weights and every data set' },
  batch: { kind: 'int', min: 1, default: 32, help: 'sequences per step' },
  hidden: { kind: 'int', min: 1, default: 32, help: 'hidden units' },
  forgetBias: { kind: 'float', default: 3, help: 'initial forget-gate bias of lstm and lstm-peephole' },
  inputBias: { kind: 'string', default: '-3', metavar: 'X', help: "initial input-gate bias of every LSTM kind ('none' keeps PyTorch's init)" },
  lr: { kind: 'float', min: 0, exclusiveMin: true, default: 1e-2, help: 'Adam learning rate' },
  clip: { kind: 'float', min: 0, default: 1, help: 'gradient-norm clipping' },
  evalEvery: { kind: 'int', min: 1, default: 100, help: 'validate every N steps' },
  stopAt: { kind: 'string', default: '0.995', metavar: 'X', help: "stop when validation accuracy reaches X ('none' trains all steps)" },
  testSize: { kind: 'int', min: 1, default: 2560, help: 'test sequences' },
  fixedLength: { kind: 'bool', help: 'every sequence exactly T long (default: T to T + T/10, as in the paper)' },
});

/** A number flag that may also be 'none' (→ null). */
const numberOrNone = (key: string, text: string): number | null => {
  if (text === 'none') return null;
  try {
    return parseValue(flagName(key), { kind: 'float', help: '' }, text) as number;
  } catch (e) {
    console.error(`${(e as Error).message} (or 'none')`);
    process.exit(2);
  }
};

let kinds;
try {
  kinds = flags.models.split(',').map((s) => parseModelKind(s.trim()));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const options = resolveAddingOptions({
  T: flags.T, steps: flags.steps, seed: flags.seed, batchSize: flags.batch, hiddenSize: flags.hidden, forgetBias: flags.forgetBias,
  inputBias: numberOrNone('inputBias', flags.inputBias), lr: flags.lr, clip: flags.clip, evalEvery: flags.evalEvery,
  testSize: flags.testSize, variableLength: !flags.fixedLength, stopAt: numberOrNone('stopAt', flags.stopAt),
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
