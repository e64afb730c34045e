// Date normalisation with a seq2seq model: "Sunday, November 22nd 2026" → "2026-11-22".
// Trains with progress output, then prints exact-match test accuracy (greedy and beam) and one
// attention matrix. Run:
//   pnpm exec tsx --conditions=unroll-source packages/examples/scripts/seq2seq-dates.ts --attention additive --minutes 15
import { writeFileSync } from 'node:fs';
import { manualSeed } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { AttentionKind } from '@unroll/rnn';
import { formatDuration } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { terminalProgress } from '@unroll/train/node';
import { heatmap } from '@unroll/plot';
import { FORMATS } from '../src/date-normalization/formats.js';
import { TARGET_VOCAB, example, makeSplits, toBatch } from '../src/date-normalization/dataset.js';
import { buildDateModel } from '../src/date-normalization/model.js';
import type { CellKind } from '../src/date-normalization/model.js';
import { attentionText, exactMatch } from '../src/date-normalization/evaluate.js';
import { trainDateModel } from '../src/date-normalization/train.js';
import { parseValue, scriptFlags } from '../src/flags.js';

const args = scriptFlags('seq2seq-dates.ts', {
  attention: { kind: 'choice', choices: ['additive', 'dot', 'general', 'none'], default: 'additive', help: 'the decoder\'s attention' },
  cell: { kind: 'choice', choices: ['lstm', 'gru'], default: 'gru', help: 'encoder and decoder cell' },
  minutes: { kind: 'float', min: 0, exclusiveMin: true, default: 15, help: 'training budget in minutes (whichever of --minutes and --steps ends first)' },
  steps: { kind: 'int', min: 1, help: 'training budget in steps (default: none)' },
  beam: { kind: 'string', default: '1,2,5', metavar: 'LIST', help: 'beam widths to report test exact match for' },
  seed: { kind: 'int', default: 1, help: 'seeds the splits and the weights' },
  batch: { kind: 'int', min: 1, default: 64, help: 'examples per step' },
  hidden: { kind: 'int', min: 1, default: 32, help: 'hidden units' },
  embedding: { kind: 'int', min: 1, default: 32, help: 'embedding size' },
  lr: { kind: 'float', min: 0, exclusiveMin: true, default: 0.003, help: 'Adam learning rate (linear decay to 10%)' },
  teacherForcing: { kind: 'float', min: 0, max: 1, default: 1, help: 'probability of feeding the target token' },
  evalEvery: { kind: 'int', min: 1, default: 250, help: 'validate every N steps' },
  stopAt: { kind: 'float', min: 0, exclusiveMin: true, help: 'stop when validation exact match reaches this (default: never)' },
  test: { kind: 'int', min: 1, default: 2000, help: 'test examples' },
  svg: { kind: 'string', metavar: 'FILE', help: 'write the attention heatmap here' },
});
const attention = args.attention as AttentionKind | 'none';
const cell = args.cell as CellKind;
const minutes = args.minutes;
const maxSteps = args.steps ?? Infinity;
const seed = args.seed;
const batchSize = args.batch;
const beams = args.beam.split(',').map((b) => parseValue('--beam', { kind: 'int', min: 1, help: '' }, b.trim()) as number);
const lr = args.lr;
const teacherForcing = args.teacherForcing;
const evalEvery = args.evalEvery;
const stopAt = args.stopAt ?? Infinity;

manualSeed(seed);
const splits = makeSplits({ seed, test: args.test });
const model = buildDateModel({
  attention, cell, seed, hidden: args.hidden, embeddingDim: args.embedding,
});
console.log(`date normalisation: ${FORMATS.length} input formats, ${splits.trainDays.length} training dates, `
  + `${splits.validation.length} validation, ${splits.test.length} test (disjoint dates, seed ${seed})`);
console.log(`model: ${cell.toUpperCase()} encoder–decoder, attention ${attention}, ${model.numParameters()} parameters; `
  + `budget ${minutes} min${maxSteps < Infinity ? ` or ${maxSteps} steps` : ''}, batch ${batchSize}, Adam lr ${lr} (linear decay to 10%)`);
for (const f of FORMATS.slice(0, 4)) console.log(`  e.g. ${f.name.padEnd(15)} ${example({ year: 2026, month: 11, day: 22 }, f).source}`);

const budgetMs = minutes * 60_000;
const started = Date.now();
const elapsed = () => formatDuration((Date.now() - started) / 1000);
const progress = terminalProgress({
  unit: 'ex', unitsPerStep: batchSize, lineIntervalMs: 10_000,
  figures: (e, loss) => ({ loss, lr: e.lr.toExponential(1), time: `${elapsed()} of ${formatDuration(budgetMs / 1000)}` }),
});
const logEvaluations: Callback = {
  onEvalEnd: (e) => progress.log(`step ${e.step} (${elapsed()}): loss ${progress.line.match(/loss ([\d.]+)/)?.[1] ?? '?'}, ` +
    `validation exact match ${(100 * e.metrics.val_exact_match!).toFixed(2)}% (greedy, ${splits.validation.length} examples)`),
};
const trained = await trainDateModel(model, splits, {
  budgetMs, seed, batchSize, lr, teacherForcing, evalEvery, callbacks: [progress, logEvaluations],
  ...(maxSteps < Infinity ? { steps: maxSteps } : {}), ...(stopAt < Infinity ? { stopAt } : {}),
});
if (trained.stopReason !== 'steps') console.log(`stopped: ${trained.stopReason}`);
console.log(`\ntrained ${trained.steps} steps (${trained.examples} examples) in ${formatDuration(trained.seconds)}; `
  + `using the weights of step ${trained.best.step} (validation ${(100 * trained.best.accuracy).toFixed(2)}%)`);
const r99 = trained.reached99;
console.log(`validation first reached 99%: ${r99 ? `step ${r99.step}, ${formatDuration(r99.seconds)}` : 'never'}`);

console.log(`\ntest exact-match accuracy (${splits.test.length} examples, dates never seen in training):`);
const report = (label: string, r: ReturnType<typeof exactMatch>, seconds: number) => {
  console.log(`  ${label.padEnd(8)} ${(100 * r.accuracy).toFixed(2)}%  (${r.correct}/${r.total}, ${seconds.toFixed(1)} s)`);
  for (const [src, want, got] of r.mistakes.slice(0, 3)) console.log(`           ✗ ${JSON.stringify(src)} → ${got} (want ${want})`);
};
let t0 = Date.now();
report('greedy', exactMatch(model, splits.test), (Date.now() - t0) / 1000);
for (const k of beams) {
  t0 = Date.now();
  report(`beam ${k}`, exactMatch(model, splits.test, { beamWidth: k }), (Date.now() - t0) / 1000);
}

if (attention !== 'none') {
  model.eval();
  const shown = example({ year: 2026, month: 11, day: 22 }, FORMATS.find((f) => f.name === 'weekday-long')!);
  const batch = toBatch([shown]);
  const [r] = model.greedy(batch.src as Tensor, { maxLength: 12 });
  const output = TARGET_VOCAB.decode(r!.tokens);
  console.log(`\nattention for ${JSON.stringify(shown.source)} → ${output} (rows: output characters, columns: source characters)`);
  console.log(attentionText(shown.source, output, r!.attention!));
  if (args.svg) {
    const svg = heatmap(r!.attention!, {
      title: `${attention} attention: ${shown.source} → ${output}`,
      rowLabels: r!.attention!.map((_, i) => output[i] ?? '</s>'), colLabels: [...shown.source].map((c) => (c === ' ' ? '␣' : c)), range: [0, 1],
    });
    writeFileSync(args.svg, svg);
    console.log(`wrote ${args.svg}`);
  }
}

