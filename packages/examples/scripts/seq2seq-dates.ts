// Date normalisation with a seq2seq model: "Sunday, November 22nd 2026" → "2026-11-22".
// Trains with progress output, then prints exact-match test accuracy (greedy and beam) and one
// attention matrix. Run:
//   pnpm exec tsx --conditions=unroll-source packages/examples/scripts/seq2seq-dates.ts --attention additive --minutes 15
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Adam, Generator, manualSeed } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import type { AttentionKind } from '@unroll/rnn';
import { earlyStopping, fit, formatDuration } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { terminalProgress } from '@unroll/train/node';
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
    steps: { type: 'string' },
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
const maxSteps = args.steps === undefined ? Infinity : positive('steps', args.steps);
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
  + `budget ${minutes} min${maxSteps < Infinity ? ` or ${maxSteps} steps` : ''}, batch ${batchSize}, Adam lr ${lr} (linear decay to 10%)`);
for (const f of FORMATS.slice(0, 4)) console.log(`  e.g. ${f.name.padEnd(15)} ${example({ year: 2026, month: 11, day: 22 }, f).source}`);

const optimizer = new Adam(model.parameters(), { lr });
const gen = new Generator(seed + 1);
const budgetMs = minutes * 60_000;
const started = Date.now();
let best = { accuracy: -1, step: 0, state: model.stateDict() };
let reached99: string | null = null;
let step = 0, examples = 0;
const elapsed = () => formatDuration((Date.now() - started) / 1000);
// Linear decay over whichever budget runs out first, set after each step for the next one.
const decay = {
  step() {
    const fraction = Math.max((Date.now() - started) / budgetMs, step / maxSteps);
    optimizer.paramGroups[0]!.lr = lr * Math.max(0.1, 1 - 0.9 * fraction);
  },
};
const progress = terminalProgress({
  unit: 'ex', unitsPerStep: batchSize, lineIntervalMs: 10_000,
  figures: (e, loss) => ({ loss, lr: e.lr.toExponential(1), time: `${elapsed()} of ${formatDuration(budgetMs / 1000)}` }),
});
const bookkeeping: Callback = {
  onStepEnd: (e) => {
    step = e.step;
    if (Date.now() - started >= budgetMs) e.stop(`the ${minutes}-minute budget is spent`);
  },
  onEvalEnd: (e) => {
    const accuracy = e.metrics.val_exact_match!;
    // Ties go to the later weights (trained longer, at a lower learning rate).
    if (accuracy >= best.accuracy) best = { accuracy, step: e.step, state: model.stateDict() };
    if (accuracy >= 0.99 && !reached99) reached99 = `step ${e.step}, ${elapsed()}`;
    progress.log(`step ${e.step} (${elapsed()}): loss ${progress.line.match(/loss ([\d.]+)/)?.[1] ?? '?'}, ` +
      `validation exact match ${(100 * accuracy).toFixed(2)}% (greedy, ${splits.validation.length} examples)`);
  },
};
const result = await fit({
  model, optimizer, scheduler: decay, clipGradNorm: 5,
  // --steps bounds the run only when given; the time budget (a callback) ends it otherwise.
  ...(maxSteps < Infinity ? { steps: maxSteps } : {}),
  data: (function* () {
    for (const batch of trainBatches(splits.trainDays, batchSize, gen)) { examples += batch.examples.length; yield batch; }
  })(),
  loss: (batch) => model.loss(batch.src, batch.targets, { teacherForcing }).loss,
  evaluate: () => ({ val_exact_match: exactMatch(model, splits.validation).accuracy }),
  evalEvery,
  callbacks: [bookkeeping, progress, ...(stopAt === Infinity ? [] : [earlyStopping({ monitor: 'val_exact_match', target: stopAt })])],
});
step = result.step;
const trainedFor = (Date.now() - started) / 1000;
if (result.stopReason !== 'steps') console.log(`stopped: ${result.stopReason}`);
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

