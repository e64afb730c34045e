// Training the sentiment classifiers and scoring them on all test reviews, the negation subset and
// the reviews whose word order decides the label.
import { Adam, binaryCrossEntropyWithLogits, noGrad, tensor } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { lineChart } from '@unroll/plot';
import { forever, markdownTable, percent, seededStreams, smooth } from '../common/run.js';
import { NEGATION_PATTERNS, ORDER_PATTERNS, PATTERNS, encodeWords, sentimentSplits } from './data.js';
import type { Pattern, Review, SentimentSplits } from './data.js';
import { SentimentModel, padBatch } from './model.js';
import type { SentimentKind } from './model.js';

/** How to train one sentiment classifier. */
export interface SentimentOptions {
  kind: SentimentKind;
  /** Adam steps (default 400), each on `batchSize` (default 32) reviews drawn from the training set. */
  steps?: number;
  batchSize?: number;
  /** Distinct training and test reviews (defaults 3000 and 1000). */
  trainSize?: number;
  testSize?: number;
  /** Adam's learning rate (default 0.01). */
  lr?: number;
  /** Seeds the weights, the corpus and the batches (default 0); the corpus depends on the seed only. */
  seed?: number;
  /** `fit` callbacks (progress, early stopping, …), e.g. `terminalProgress()` from '@unroll/train/node'. */
  callbacks?: readonly Callback[];
}

/** Test accuracies overall and on the subsets. */
export interface SentimentScore {
  accuracy: number;
  /** Reviews with "not" or "never". */
  negation: number;
  /** Reviews whose words, reordered, read the other way ("good , not bad" / "bad , not good"). */
  orderDecided: number;
  /** Reviews absent from the training set (NaN when every test review was seen). */
  unseen: number;
  /** Accuracy per pattern. */
  byPattern: Record<Pattern, number>;
}

/** One trained classifier with its losses and test scores. */
export interface SentimentResult {
  label: string;
  kind: SentimentKind;
  parameters: number;
  /** Binary cross-entropy at every step. */
  losses: number[];
  test: SentimentScore;
  seconds: number;
}

/** The corpus of a seed (the same for every model trained with it). */
export function sentimentCorpus(seed: number, trainSize = 3000, testSize = 1000): SentimentSplits {
  return sentimentSplits(trainSize, testSize, seededStreams(seed, 3)[1]!);
}

/**
 * Accuracy of the predictions (1 when the logit is positive) overall and on the subsets;
 * `seen[i]` marks test reviews that also occur in the training set.
 */
export function scoreSentiment(logits: readonly number[], reviews: readonly Review[], seen: readonly boolean[] = []): SentimentScore {
  const hits = reviews.map((r, i) => ((logits[i]! > 0 ? 1 : 0) === r.label ? 1 : 0));
  const rate = (keep: (r: Review, i: number) => boolean) => {
    const idx = reviews.map((r, i) => (keep(r, i) ? i : -1)).filter((i) => i >= 0);
    return idx.length ? idx.reduce((a, i) => a + hits[i]!, 0) / idx.length : NaN;
  };
  const byPattern = Object.fromEntries(PATTERNS.map((p) => [p, rate((r) => r.pattern === p)])) as Record<Pattern, number>;
  return {
    accuracy: rate(() => true),
    negation: rate((r) => NEGATION_PATTERNS.includes(r.pattern)),
    orderDecided: rate((r) => ORDER_PATTERNS.includes(r.pattern)),
    unseen: rate((_, i) => !seen[i]),
    byPattern,
  };
}

/** Logits of a model for many reviews, without recording gradients. */
export function predictSentiment(model: SentimentModel, reviews: readonly Review[]): number[] {
  const wasTraining = model.training;
  model.eval();
  const out: number[] = [];
  noGrad(() => {
    for (let i = 0; i < reviews.length; i += 250) {
      const { ids, lengths } = padBatch(reviews.slice(i, i + 250).map((r) => encodeWords(r.words)));
      out.push(...model.forward(ids, lengths).values());
    }
  });
  model.train(wasTraining);
  return out;
}

/** Trains one classifier on the seed's corpus and scores it on the test reviews. */
export function trainSentiment(opts: SentimentOptions, corpus?: SentimentSplits): SentimentResult & { model: SentimentModel } {
  const started = Date.now();
  const seed = opts.seed ?? 0, steps = opts.steps ?? 400, batch = opts.batchSize ?? 32;
  const data = corpus ?? sentimentCorpus(seed, opts.trainSize, opts.testSize);
  const [init, , batches] = seededStreams(seed, 3);
  const model = new SentimentModel({ kind: opts.kind, generator: init });
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.01 });
  const encoded = data.train.map((r) => encodeWords(r.words));
  const { losses } = fitSync({
    model, optimizer, steps, clipGradNorm: 1, callbacks: opts.callbacks ?? [],
    data: forever(() => {
      const pick = Array.from({ length: batch }, () => batches!.int(data.train.length));
      return { ...padBatch(pick.map((i) => encoded[i]!)), labels: tensor(pick.map((i) => data.train[i]!.label)) };
    }),
    loss: (b) => binaryCrossEntropyWithLogits(model.forward(b.ids, b.lengths), b.labels),
  });
  const test = scoreSentiment(predictSentiment(model, data.test), data.test, data.testSeen);
  return { label: model.label, kind: opts.kind, parameters: model.numParameters(), losses, test, seconds: (Date.now() - started) / 1000, model };
}

/** Test accuracies of every model: overall, negation subset, order-decided subset. */
export function sentimentTable(results: readonly SentimentResult[]): string {
  return markdownTable(
    ['model', 'parameters', 'test accuracy', 'negation subset', 'order-decided subset', 'reviews unseen in training'],
    results.map((r) => [
      r.label, r.parameters, percent(r.test.accuracy), percent(r.test.negation), percent(r.test.orderDecided), percent(r.test.unseen),
    ]));
}

/** Accuracy per sentence pattern, one column per model. */
export function patternTable(results: readonly SentimentResult[]): string {
  return markdownTable(['pattern', ...results.map((r) => r.label)],
    PATTERNS.map((p) => [p, ...results.map((r) => percent(r.test.byPattern[p]))]));
}

/** The result in words, from the measurements. */
export function describeSentiment(results: readonly SentimentResult[]): string {
  const bow = results.find((r) => r.kind === 'bag-of-words');
  const rnns = results.filter((r) => r.kind !== 'bag-of-words');
  const lines: string[] = [];
  if (bow) {
    const single = ['not', 'not at all', 'never'] as const;
    const singleAcc = single.reduce((a, p) => a + bow.test.byPattern[p], 0) / single.length;
    lines.push(`- The **bag of words** gets ${percent(bow.test.accuracy)} of the test reviews right and ${percent(bow.test.negation)} of those with a negation. ` +
      `Its hidden layer does learn that "not" or "never" flips a lone adjective (${percent(singleAcc)} on those patterns), but on the reviews ` +
      `whose words can be reordered into the opposite verdict it scores ${percent(bow.test.orderDecided)}: ` +
      '"good , not bad" and "bad , not good" are the same bag to it, so it can do no better than a coin there.');
  }
  for (const r of rnns) {
    lines.push(`- The **${r.label}** reads the words in order: ${percent(r.test.accuracy)} overall, ${percent(r.test.negation)} on the negation subset, ` +
      `${percent(r.test.orderDecided)} on the order-decided reviews and ${percent(r.test.unseen)} on test reviews it never saw in training.`);
  }
  return lines.join('\n');
}

/** Training losses of every model. */
export function sentimentLossChart(results: readonly SentimentResult[]): string {
  return lineChart(results.map((r) => ({ name: r.label, values: smooth(r.losses, 20) })),
    { title: 'Sentiment: training loss', xLabel: 'step', yLabel: 'binary cross-entropy' });
}
