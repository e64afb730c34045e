// Training the twin taggers and scoring them per token, next to the best any reader without the
// future can do.
import { Adam, binaryCrossEntropyWithLogits, noGrad, tensor } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { lineChart } from '@unroll/plot';
import { forever, markdownTable, percent, seededStreams, smooth } from '../common/run.js';
import { bestAccuracyWithoutFuture, twinBatch, twinProbability } from './data.js';
import type { TwinBatch } from './data.js';
import { TwinTagger } from './model.js';

/** How to train one twin tagger. */
export interface TaggingOptions {
  bidirectional: boolean;
  /** Adam steps (default 400). */
  steps?: number;
  /** Sequences per step (default 32). */
  batchSize?: number;
  /** Tokens per sequence (default 12) and distinct tokens (default 8). */
  length?: number;
  alphabet?: number;
  /** Hidden units per direction (default 32). */
  hiddenSize?: number;
  /** Adam's learning rate (default 0.01). */
  lr?: number;
  /** Seeds weights, training and test data (default 0); the test set depends on the seed only. */
  seed?: number;
  /** Test sequences (default 1000). */
  testSize?: number;
  /** `fit` callbacks (progress, early stopping, …), e.g. `terminalProgress()` from '@unroll/train/node'. */
  callbacks?: readonly Callback[];
}

/** Per-token accuracy, overall and by position. */
export interface TaggingScore {
  /** Fraction of tokens tagged right. */
  accuracy: number;
  /** Accuracy at each position 0 … T−1. */
  perPosition: number[];
}

/** One trained tagger with its losses and test scores. */
export interface TaggingResult {
  label: string;
  parameters: number;
  /** Binary cross-entropy per token at every step. */
  losses: number[];
  test: TaggingScore;
  /** The position rule (the best reader without the future) on the same test set. */
  positionRule: TaggingScore;
  /** Test sequences. */
  testSize: number;
  seconds: number;
}

/** Scores tag guesses (1 where `logitOrGuess` > 0) against the batch's tags. */
export function scoreTags(guesses: readonly (readonly number[])[], data: TwinBatch): TaggingScore {
  const T = data.tags[0]!.length;
  const right = new Array<number>(T).fill(0);
  data.tags.forEach((row, b) => row.forEach((tag, t) => { if ((guesses[b]![t]! > 0 ? 1 : 0) === tag) right[t]!++; }));
  const n = data.tags.length;
  return { accuracy: right.reduce((a, r) => a + r, 0) / (n * T), perPosition: right.map((r) => r / n) };
}

/** The guess of the best reader without the future: tag 1 exactly where p_t > ½, whatever the tokens. */
export function positionRuleScore(data: TwinBatch, alphabet: number): TaggingScore {
  const p = twinProbability(data.tags[0]!.length, alphabet);
  return scoreTags(data.tags.map(() => p.map((q) => (q > 0.5 ? 1 : -1))), data);
}

/** The fixed test set of a seed. */
export function taggingTestSet(seed: number, size: number, length: number, alphabet: number): TwinBatch {
  return twinBatch({ batch: size, length, alphabet, generator: seededStreams(seed, 3)[2]! });
}

/** Trains one tagger and scores it on the seed's test set. */
export function trainTagger(opts: TaggingOptions): TaggingResult {
  const started = Date.now();
  const steps = opts.steps ?? 400, batch = opts.batchSize ?? 32, length = opts.length ?? 12, alphabet = opts.alphabet ?? 8;
  const [init, data] = seededStreams(opts.seed ?? 0, 3);
  const model = new TwinTagger({ bidirectional: opts.bidirectional, alphabet, hiddenSize: opts.hiddenSize, generator: init });
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.01 });
  const { losses } = fitSync({
    model, optimizer, steps, clipGradNorm: 1, callbacks: opts.callbacks ?? [],
    data: forever(() => twinBatch({ batch, length, alphabet, generator: data! })),
    loss: (b) => binaryCrossEntropyWithLogits(model.forward(b.tokens), tensor(b.tags)),
  });
  const test = taggingTestSet(opts.seed ?? 0, opts.testSize ?? 1000, length, alphabet);
  const logits = noGrad(() => model.forward(test.tokens)).toArray() as number[][];
  return {
    label: model.label, parameters: model.numParameters(), losses, test: scoreTags(logits, test),
    positionRule: positionRuleScore(test, alphabet), testSize: test.tokens.length, seconds: (Date.now() - started) / 1000,
  };
}

/** Both taggers' results and the bound, as a table. */
export function taggingTable(results: readonly TaggingResult[], length = 12, alphabet = 8): string {
  const rows = results.map((r) => [r.label, r.parameters, percent(r.test.accuracy)]);
  if (results[0]) rows.push(['position rule (best without the future) on this test set', '', percent(results[0].positionRule.accuracy)]);
  rows.push(['best possible without the future (theory)', '', percent(bestAccuracyWithoutFuture(length, alphabet))]);
  return markdownTable(['model', 'parameters', 'per-token test accuracy'], rows);
}

/** The result in words, from the measurements. */
export function describeTagging(results: readonly TaggingResult[], length = 12, alphabet = 8): string {
  const bound = bestAccuracyWithoutFuture(length, alphabet);
  const bi = results.find((r) => r.label.startsWith('bi')), uni = results.find((r) => r.label.startsWith('uni'));
  const lines: string[] = [];
  if (bi) lines.push(`- The **bidirectional** LSTM tags ${percent(bi.test.accuracy)} of the test tokens right: its backward half has read every later token.`);
  if (uni) {
    lines.push(`- The **unidirectional** LSTM tags ${percent(uni.test.accuracy)} right, against a ceiling of ${percent(bound)} for any ` +
      `left-to-right reader (${percent(uni.positionRule.accuracy)} for the best such rule on this very test set)`+
      ': the later tokens are drawn independently of everything before them, so the past says nothing about ' +
      `whether the current token comes again; the best guess depends on the position alone (a twin is likelier early on, p = ` +
      `${percent(twinProbability(length, alphabet)[0]!, 0)} at the first token, 0 at the last).`);
    const tokens = uni.test.perPosition.length * uni.testSize;
    const gap = uni.test.accuracy - uni.positionRule.accuracy;
    if (gap > 0 && tokens > 0) {
      // On a finite test set a guess can beat the rule by luck where p ≈ ½; compare with one standard error.
      const se = Math.sqrt(uni.positionRule.accuracy * (1 - uni.positionRule.accuracy) / tokens);
      lines.push(`- Its ${(100 * gap).toFixed(1)}-point lead over the rule on this test set can only be chance, on ${tokens} tokens ` +
        `(one standard error is ${(100 * se).toFixed(1)} points): where p ≈ ½ either guess is right about half the time.`);
    }
    const acc = uni.test.perPosition, T = acc.length, worst = acc.indexOf(Math.min(...acc));
    const best = twinProbability(length, alphabet).map((p) => Math.max(p, 1 - p));
    lines.push(`- By position its accuracy is ${percent(acc[0]!, 0)} at the first token, ${percent(acc[worst]!, 0)} at position ${worst} ` +
      `(its lowest) and ${percent(acc[T - 1]!, 0)} at the last; the ceiling max(p, 1 − p) there is ${percent(best[0]!, 0)}, ` +
      `${percent(best[worst]!, 0)} and ${percent(best[T - 1]!, 0)}.`);
  }
  return lines.join('\n');
}

/** Training losses and per-position test accuracy of both taggers. */
export function taggingCharts(results: readonly TaggingResult[], length = 12, alphabet = 8): { loss: string; positions: string } {
  const short = (r: TaggingResult) => r.label.replace(' LSTM', '');
  const loss = lineChart(results.map((r) => ({ name: short(r), values: smooth(r.losses, 10) })),
    { title: 'Twin tagging: training loss', xLabel: 'step', yLabel: 'binary cross-entropy per token' });
  const p = twinProbability(length, alphabet);
  const positions = lineChart([
    ...results.map((r) => ({ name: short(r), values: r.test.perPosition })),
    { name: 'no-future ceiling', values: p.map((q) => Math.max(q, 1 - q)), dashed: true, color: '#999' },
  ], { title: 'Test accuracy by position', xLabel: 'position in the sequence', yLabel: 'accuracy' });
  return { loss, positions };
}
