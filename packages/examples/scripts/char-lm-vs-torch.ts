// unroll's char-rnn and torch.nn.LSTM side by side with PyTorch's char-rnn recipe (one-hot 65,
// hidden 256, batch 32, seq 64, Adam 2e-3, clip 5, carried state) on tinyshakespeare: the same
// initial weights, batches and validation; prints the validation loss of both at each step asked.
// Run: nice -n 10 pnpm exec tsx --conditions=unroll-source packages/examples/scripts/char-lm-vs-torch.ts
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { terminalProgress } from '@unroll/train/node';
import { getNumThreads } from '@unroll/core';
import { scriptFlags } from '../src/flags.js';
import { readTextFile, repoRoot } from '../src/char-rnn/corpus.js';
import { cliCommand, compareWithTorch, comparisonTable, recipeConfig } from '../src/char-rnn/torch-comparison.js';

const defaultText = join(repoRoot(), '..', 'shared', 'data', 'tinyshakespeare.txt');
const flags = scriptFlags('char-lm-vs-torch.ts', {
  text: { kind: 'string', default: defaultText, metavar: 'FILE', help: 'the text (tinyshakespeare beside the repository)' },
  steps: { kind: 'int', min: 1, default: 3000, help: 'training steps of each side' },
  evalAt: { kind: 'string', default: '500,1000,2000,3000', metavar: 'LIST', help: 'comma-separated steps to validate at' },
  hidden: { kind: 'int', min: 1, default: 256, help: 'LSTM hidden units' },
  batch: { kind: 'int', min: 1, default: 32, help: 'parallel streams' },
  seqLen: { kind: 'int', min: 1, default: 64, help: 'characters per truncated-BPTT chunk' },
  lr: { kind: 'float', min: 0, exclusiveMin: true, default: 2e-3, help: 'Adam learning rate (constant)' },
  clip: { kind: 'float', min: 0, default: 5, help: 'global gradient-norm clipping (0: off)' },
  seed: { kind: 'int', min: 0, default: 1, help: 'seed of unroll\'s initial weights' },
  torchInit: { kind: 'choice', choices: ['unroll', 'torch'], default: 'unroll', help: 'torch starts from unroll\'s initial weights, or from its own init' },
  python: { kind: 'string', default: '/usr/bin/python3', metavar: 'PATH', help: "Python with PyTorch ('none': unroll alone)" },
  torchThreads: { kind: 'int', min: 1, default: 1, help: 'torch.set_num_threads' },
});

if (!existsSync(flags.text)) {
  console.error(`char-lm-vs-torch.ts: --text: no file at '${flags.text}' (tinyshakespeare is expected in ../shared/data beside the repository)`);
  process.exit(2);
}
const evalAt = flags.evalAt.split(',').map((s) => Number(s.trim()));
if (evalAt.some((s) => !Number.isInteger(s) || s < 1 || s > flags.steps)) {
  console.error(`char-lm-vs-torch.ts: --eval-at must list integers in [1, ${flags.steps}]; got '${flags.evalAt}'`);
  process.exit(2);
}
const recipe = { ...flags, evalAt, torchInit: flags.torchInit as 'unroll' | 'torch', python: flags.python === 'none' ? null : flags.python };
const corpus = readTextFile(flags.text);
const textArg = relative(repoRoot(), flags.text);
const c = recipeConfig(recipe);
console.log(`recipe: one-hot inputs → LSTM ${c.hidden} → Linear; batch ${c.batch} streams × ${c.seqLen} characters, Adam lr ${c.lr} (constant), ` +
  `clip ${c.clip} (global norm), state carried across batches, ${c.steps} steps; validation: the last ${c.valFraction} of ${textArg}`);
console.log(`unroll alone, the same numbers: ${cliCommand(recipe, textArg)}`);

let torchStep = '';
const bar = terminalProgress({
  unit: 'chars', unitsPerStep: c.batch * c.seqLen,
  figures: (e) => ({ loss: e.loss, ...(torchStep ? { torch: `step ${torchStep}` } : {}) }),
});
const result = await compareWithTorch({
  ...recipe, text: corpus.text, callbacks: [bar],
  onTorchLine: (line) => {
    const m = /^torch step (\d+)/.exec(line);
    if (m) torchStep = m[1]!;
    if (line.includes(': val ')) bar.log(line);
  },
});

console.log('');
console.log(`unroll (${getNumThreads()} threads): ${result.unrollSeconds.toFixed(0)} s; ` +
  (result.torchSkipped ? `PyTorch skipped: ${result.torchSkipped}` : `PyTorch ${result.torchVersion} (${flags.torchThreads} thread${flags.torchThreads > 1 ? 's' : ''}, ` +
    `${recipe.torchInit === 'unroll' ? 'from unroll\'s initial weights' : 'its own init'}): ${result.torchSeconds?.toFixed(0)} s, trained alongside`));
console.log(`validation loss, nats/char (${result.vocabSize} symbols):\n`);
console.log(comparisonTable(result));
