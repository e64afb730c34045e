// Date normalisation with a seq2seq model: "Sunday, November 22nd 2026" → "2026-11-22".
// Trains with progress output, then prints exact-match test accuracy (greedy and beam) and one
// attention matrix. Run:
//   pnpm exec tsx --conditions=unroll-source packages/examples/scripts/seq2seq-dates.ts --attention additive --minutes 15
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Adam, Generator, clipGradNorm, manualSeed } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { AttentionKind } from '@unroll/rnn';
import { ProgressBar, formatDuration } from '../src/progress.js';
import { heatmap } from '@unroll/plot';
import { FORMATS } from '../src/date-normalization/formats.js';
import { TARGET_VOCAB, example, makeSplits, toBatch, trainBatches } from '../src/date-normalization/dataset.js';
import { buildDateModel } from '../src/date-normalization/model.js';
import type { CellKind } from '../src/date-normalization/model.js';
import { attentionText, exactMatch } from '../src/date-normalization/evaluate.js';

const { values: args } = parseArgs({
  options: {
    attention: { type: 'string', default: 'additive' },
    cell: { type: 'string', default: 'gru' },
    minutes: { type: 'string', default: '15' },
    steps: { type: 'string', default: '100000' },
    beam: { type: 'string', default: '1,2,5' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '64' },
    hidden: { type: 'string', default: '32' },
    embedding: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.003' },
    'teacher-forcing': { type: 'string', default: '1' },
    'eval-every': { type: 'string', default: '250' },
    'stop-at': { type: 'string' },
    test: { type: 'string', default: '2000' },
    svg: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`usage: seq2seq-dates.ts [--attention additive|dot|general|none] [--cell lstm|gru] [--minutes 15]
  [--steps N] [--beam 1,2,5] [--seed 1] [--batch 64] [--hidden 32] [--embedding 32] [--lr 0.003]
  [--teacher-forcing 1] [--eval-every 250] [--stop-at 0.995] [--test 2000] [--svg attention.svg]
Trains for --minutes or --steps, whichever ends first (or until the validation exact match reaches
--stop-at), then reports test exact match with greedy decoding and beam search of each --beam width.`);
  process.exit(0);
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new RangeError(`--${name} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T;
}
function positive(name: string, value: string, integer = true): number {
  const v = Number(value);
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new RangeError(`--${name} must be a positive ${integer ? 'integer' : 'number'}; got '${value}'`);
  return v;
}
const attention = choice<AttentionKind | 'none'>('attention', args.attention, ['additive', 'dot', 'general', 'none']);
const cell = choice<CellKind>('cell', args.cell, ['lstm', 'gru']);
const minutes = positive('minutes', args.minutes, false);
const maxSteps = positive('steps', args.steps);
const seed = Number(args.seed);
if (!Number.isInteger(seed)) throw new RangeError(`--seed must be an integer; got '${args.seed}'`);
const batchSize = positive('batch', args.batch);
const beams = args.beam.split(',').map((b) => positive('beam', b.trim()));
const lr = positive('lr', args.lr, false);
const teacherForcing = Number(args['teacher-forcing']);
if (!(teacherForcing >= 0 && teacherForcing <= 1)) throw new RangeError(`--teacher-forcing must be in [0, 1]; got '${args['teacher-forcing']}'`);
const evalEvery = positive('eval-every', args['eval-every']);
const stopAt = args['stop-at'] === undefined ? Infinity : positive('stop-at', args['stop-at'], false);

manualSeed(seed);
const splits = makeSplits({ seed, test: positive('test', args.test) });
const model = buildDateModel({
  attention, cell, seed, hidden: positive('hidden', args.hidden), embeddingDim: positive('embedding', args.embedding),
});
console.log(`date normalisation: ${FORMATS.length} input formats, ${splits.trainDays.length} training dates, `
  + `${splits.validation.length} validation, ${splits.test.length} test (disjoint dates, seed ${seed})`);
console.log(`model: ${cell.toUpperCase()} encoder–decoder, attention ${attention}, ${model.numParameters()} parameters; `
  + `budget ${minutes} min or ${maxSteps} steps, batch ${batchSize}, Adam lr ${lr} (linear decay to 10%)`);
for (const f of FORMATS.slice(0, 4)) console.log(`  e.g. ${f.name.padEnd(15)} ${example({ year: 2026, month: 11, day: 22 }, f).source}`);

const optimizer = new Adam(model.parameters(), { lr });
const gen = new Generator(seed + 1);
const batches = trainBatches(splits.trainDays, batchSize, gen);
const budgetMs = minutes * 60_000;
const started = Date.now();
// The bar counts seconds of the budget (steps count toward it when --steps ends first).
const budgetSeconds = Math.round(budgetMs / 1000);
const progress = new ProgressBar({ total: budgetSeconds, unit: 'ex', lineIntervalMs: 10_000 });
let best = { accuracy: -1, step: 0, state: model.stateDict() };
let reached99: string | null = null;
let smoothLoss = NaN, step = 0, examples = 0;

const validate = () => {
  const v = exactMatch(model, splits.validation);
  const at = formatDuration((Date.now() - started) / 1000);
  // Ties go to the later weights (trained longer, at a lower learning rate).
  if (v.accuracy >= best.accuracy) best = { accuracy: v.accuracy, step, state: model.stateDict() };
  if (v.accuracy >= 0.99 && !reached99) reached99 = `step ${step}, ${at}`;
  progress.log(`step ${step} (${at}): loss ${smoothLoss.toFixed(4)}, validation exact match ${(100 * v.accuracy).toFixed(2)}% (greedy, ${v.total} examples)`);
  return v.accuracy;
};

while (step < maxSteps && Date.now() - started < budgetMs) {
  // Linear decay over whichever budget runs out first.
  const progressFraction = Math.max((Date.now() - started) / budgetMs, step / maxSteps);
  optimizer.paramGroups[0]!.lr = lr * Math.max(0.1, 1 - 0.9 * progressFraction);
  const batch = batches.next().value!;
  optimizer.zeroGrad();
  const { loss } = model.loss(batch.src, batch.targets, { teacherForcing });
  loss.backward();
  clipGradNorm(model.parameters(), 5);
  optimizer.step();
  step++;
  examples += batch.examples.length;
  const l = loss.item();
  smoothLoss = Number.isNaN(smoothLoss) ? l : 0.95 * smoothLoss + 0.05 * l;
  const done = Math.max((Date.now() - started) / budgetMs, step / maxSteps);
  progress.update(Math.min(budgetSeconds, Math.round(done * budgetSeconds)), { step: String(step), loss: smoothLoss, lr: optimizer.paramGroups[0]!.lr.toExponential(1) }, examples);
  if (step % evalEvery === 0 && validate() >= stopAt) {
    progress.log(`validation reached --stop-at ${stopAt}: stopping`);
    break;
  }
}
const trainedFor = (Date.now() - started) / 1000;
progress.update(budgetSeconds, { step: String(step), loss: smoothLoss }, examples); // closes the bar's line
if (step % evalEvery !== 0) validate();
console.log(`\ntrained ${step} steps (${examples} examples) in ${formatDuration(trainedFor)}; `
  + `using the weights of step ${best.step} (validation ${(100 * best.accuracy).toFixed(2)}%)`);
console.log(`validation first reached 99%: ${reached99 ?? 'never'}`);
model.loadStateDict(best.state);

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

