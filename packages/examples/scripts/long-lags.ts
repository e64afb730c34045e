// Hochreiter & Schmidhuber 1997 at their longest lags: the adding problem (experiment 4, T up to 1,000)
// and the temporal-order problem (6a, 6b), trained until the paper's criterion holds, for several cells.
// Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/long-lags.ts --problem adding --T 1000 --cell lstm
import { terminalProgress } from '@unroll/train/node';
import { LAG_PROBLEMS, lagSummary, lagTable, lagProblem, resolveLagOptions, trainLongLag } from '../src/long-lags/index.js';
import type { LagProblemName, LagProgress, LagResult } from '../src/long-lags/index.js';
import { MODEL_KINDS, parseModelKind } from '../src/adding-problem/index.js';
import { flagName, parseValue, scriptFlags } from '../src/flags.js';

const flags = scriptFlags('long-lags.ts', {
  problem: { kind: 'choice', choices: LAG_PROBLEMS, default: 'adding', help: 'adding (experiment 4), order-2 (temporal order 6a) or order-3 (6b)' },
  T: { kind: 'int', min: 4, default: 100, help: 'minimal sequence length (the paper: 100, 500, 1000 for adding; 100 for temporal order)' },
  cell: { kind: 'string', default: 'lstm,rnn', metavar: 'LIST', help: `comma-separated, from ${MODEL_KINDS.join(', ')}` },
  hidden: { kind: 'int', min: 1, default: 32, help: 'hidden units' },
  batch: { kind: 'int', min: 1, default: 32, help: 'sequences per step' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seeds the weights, the training data and the test set' },
  budget: { kind: 'int', min: 1, default: 500_000, help: 'most training sequences per model' },
  lr: { kind: 'float', min: 0, exclusiveMin: true, default: 1e-2, help: 'Adam learning rate' },
  clip: { kind: 'float', min: 0, exclusiveMin: true, default: 1, help: 'gradient-norm clipping' },
  forgetBias: { kind: 'float', default: 3, help: 'initial forget-gate bias of lstm and lstm-peephole, update-gate bias of gru (7 for T ≥ 500)' },
  inputBias: { kind: 'string', default: '-3', metavar: 'X', help: "initial input-gate bias of every LSTM kind ('none' keeps PyTorch's init; -6 for T ≥ 500)" },
  window: { kind: 'int', min: 1, default: 2000, help: 'solved when this many most recent training sequences were all correct' },
  testSize: { kind: 'int', min: 1, default: 2560, help: 'test sequences after training' },
});

/** Exits with a usage error (status 2), as the flag parser does. */
const refuse = (message: string): never => {
  console.error(`${message}\n(long-lags.ts --help lists the flags)`);
  process.exit(2);
};

let inputBias: number | null = null;
if (flags.inputBias !== 'none') {
  try {
    inputBias = parseValue(flagName('inputBias'), { kind: 'float', help: '' }, flags.inputBias) as number;
  } catch (e) {
    refuse(`${(e as Error).message} (or 'none')`);
  }
}
let kinds;
let options;
try {
  kinds = flags.cell.split(',').map((s) => parseModelKind(s.trim()));
  options = resolveLagOptions({
    problem: flags.problem as LagProblemName, T: flags.T, budget: flags.budget, batchSize: flags.batch, hiddenSize: flags.hidden,
    lr: flags.lr, clip: flags.clip, forgetBias: flags.forgetBias, inputBias, seed: flags.seed, window: flags.window, testSize: flags.testSize,
  });
} catch (e) {
  refuse(`long-lags.ts: ${(e as Error).message}`);
}
kinds = kinds!;
options = options!;

const problem = lagProblem(options.problem, options.T);
console.log(problem.title);
console.log(`batch ${options.batchSize}, hidden ${options.hiddenSize}, Adam lr ${options.lr}, clip ${options.clip}, forget (GRU: update) bias ${options.forgetBias}, ` +
  `input bias ${options.inputBias ?? 'PyTorch init'}, seed ${options.seed}; solved when the last ${options.window} training sequences were all correct; ` +
  `budget ${options.budget.toLocaleString('en-US')} sequences per model; test on ${options.testSize}; chance: ${problem.chance.describe}`);

const results: LagResult[] = [];
for (const kind of kinds) {
  let live: LagProgress | undefined;
  const bar = terminalProgress({
    label: `${kind}`, unit: 'seq', unitsPerStep: options.batchSize, lineIntervalMs: 15_000,
    figures: (_e, loss) => ({ seqs: live?.sequences.toLocaleString('en-US'), loss, recent: live ? `${(100 * live.recentAccuracy).toFixed(1)}%` : undefined }),
  });
  const r = trainLongLag(kind, { ...options, onProgress: (p) => { live = p; }, callbacks: [bar] });
  bar.log(lagSummary(r));
  results.push(r);
}
console.log(`\n${lagTable(results)}`);
