// Training both weather directions and scoring them on held-out days: the captioner by exact
// sentences and tokens, the reader by the mean absolute error of each field.
import { Adam, crossEntropy, mseLoss, noGrad, tensor } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import { lineChart } from '@unroll/plot';
import { forever, markdownTable, percent, seededStreams, smooth } from '../common/run.js';
import type { UseTrainOptions } from '../common/run.js';
import { BOS, FIELDS, decodeWeather, encodeWeather, scaleWeather, unscaleWeather, weatherSplits, weatherText } from './data.js';
import type { FieldName, Weather, WeatherSplits } from './data.js';
import { WeatherCaptioner, WeatherReader } from './model.js';

/**
 * How to train either direction.
 * Defaults: 600 Adam steps for the captioner, 300 for the reader, on batches of 32 training days;
 * learning rate 0.01; 64 hidden units; seed 0 (it seeds weights, data and batches; the days depend on the seed only).
 */
export type WeatherTrainOptions = UseTrainOptions;

/** The training and held-out days of a seed (defaults: 2000 and 300). */
export function weatherData(seed = 0, trainSize = 2000, testSize = 300): WeatherSplits {
  return weatherSplits(trainSize, testSize, seededStreams(seed, 4)[1]!);
}

/** How well written sentences match the true ones. */
export interface CaptionScore {
  /** Sentences written exactly right, <eos> included. */
  exactSentence: number;
  /** Tokens right, position by position (a missing or extra token counts as wrong). */
  token: number;
  /** The five numbers right, position by position. */
  number: number;
  /** Each field's number right. */
  numberByField: Record<FieldName, number>;
}

/** The trained captioner with its losses and held-out scores. */
export interface CaptionResult {
  losses: number[];
  test: CaptionScore;
  /** A few held-out days with the sentence written for them. */
  examples: { weather: Weather; truth: string; written: string }[];
  parameters: number;
  seconds: number;
  model: WeatherCaptioner;
}

/** The positions of the five numbers in a sentence (each clause is "Field is N unit ."). */
const NUMBER_POSITIONS = FIELDS.map((_, i) => 5 * i + 2);

/** Scores written sentences (token ids ending in <eos>) against the true ones. */
export function scoreCaptions(written: readonly (readonly number[])[], truth: readonly (readonly number[])[]): CaptionScore {
  let exact = 0, tokens = 0, tokensRight = 0;
  const numbersRight = FIELDS.map(() => 0);
  written.forEach((w, b) => {
    const t = truth[b]!;
    if (w.length === t.length && w.every((id, i) => id === t[i])) exact++;
    tokens += Math.max(w.length, t.length);
    t.forEach((id, i) => { if (w[i] === id) tokensRight++; });
    NUMBER_POSITIONS.forEach((i, f) => { if (w[i] === t[i]) numbersRight[f]!++; });
  });
  const n = written.length;
  return {
    exactSentence: exact / n,
    token: tokensRight / tokens,
    number: numbersRight.reduce((a, r) => a + r, 0) / (FIELDS.length * n),
    numberByField: Object.fromEntries(FIELDS.map((f, i) => [f.name, numbersRight[i]! / n])) as Record<FieldName, number>,
  };
}

/** Trains the captioner (teacher forcing, cross-entropy per word) and lets it write the held-out days' sentences. */
export function trainCaptioner(opts: WeatherTrainOptions = {}, data = weatherData(opts.seed ?? 0)): CaptionResult {
  const started = Date.now();
  const steps = opts.steps ?? 600, batch = opts.batchSize ?? 32;
  const [init, , batches] = seededStreams(opts.seed ?? 0, 4);
  const model = new WeatherCaptioner({ hiddenSize: opts.hiddenSize, generator: init });
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.01 });
  const sentences = data.train.map(encodeWeather);
  const { losses } = fitSync({
    model, optimizer, steps, clipGradNorm: 1, callbacks: opts.callbacks ?? [],
    data: forever(() => Array.from({ length: batch }, () => batches!.int(data.train.length))),
    loss: (pick) => {
      const targets = pick.map((i) => sentences[i]!);
      const logits = model.forward(tensor(pick.map((i) => scaleWeather(data.train[i]!))), targets.map((s) => [BOS, ...s.slice(0, -1)]));
      return crossEntropy(logits, tensor(targets, { dtype: 'int32' }));
    },
  });
  const written = model.write(tensor(data.test.map(scaleWeather)));
  const test = scoreCaptions(written, data.test.map(encodeWeather));
  const examples = data.test.slice(0, 4).map((w, i) => ({ weather: w, truth: weatherText(w), written: decodeWeather(written[i]!).join(' ').replace(/ \./g, '.') }));
  return { losses, test, examples, parameters: model.numParameters(), seconds: (Date.now() - started) / 1000, model };
}

/** The trained reader with its losses and held-out errors. */
export interface ReaderResult {
  losses: number[];
  /** Mean absolute error of each field on the held-out days, in its unit (°F, mph, %). */
  mae: Record<FieldName, number>;
  /** A few held-out days with the vector read back (rounded to one decimal). */
  examples: { sentence: string; truth: Weather; read: number[] }[];
  parameters: number;
  seconds: number;
  model: WeatherReader;
}

/** Trains the reader (MSE on the scaled vector) and reads the held-out days' sentences back. */
export function trainReader(opts: WeatherTrainOptions = {}, data = weatherData(opts.seed ?? 0)): ReaderResult {
  const started = Date.now();
  const steps = opts.steps ?? 300, batch = opts.batchSize ?? 32;
  const [init, , batches] = seededStreams((opts.seed ?? 0) + 1, 4);
  const model = new WeatherReader({ hiddenSize: opts.hiddenSize, generator: init });
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.01 });
  const sentences = data.train.map((w) => encodeWeather(w).slice(0, -1));
  const { losses } = fitSync({
    model, optimizer, steps, clipGradNorm: 1, callbacks: opts.callbacks ?? [],
    data: forever(() => Array.from({ length: batch }, () => batches!.int(data.train.length))),
    loss: (pick) => mseLoss(model.forward(pick.map((i) => sentences[i]!)), tensor(pick.map((i) => scaleWeather(data.train[i]!)))),
  });
  const read = noGrad(() => model.forward(data.test.map((w) => encodeWeather(w).slice(0, -1))).toArray() as number[][]).map(unscaleWeather);
  const mae = Object.fromEntries(FIELDS.map((f, j) => [f.name, data.test.reduce((a, w, i) => a + Math.abs(read[i]![j]! - w[j]!), 0) / data.test.length])) as Record<FieldName, number>;
  const examples = data.test.slice(0, 4).map((w, i) => ({ sentence: weatherText(w), truth: w, read: read[i]!.map((v) => Math.round(v * 10) / 10) }));
  return { losses, mae, examples, parameters: model.numParameters(), seconds: (Date.now() - started) / 1000, model };
}

/** Both directions' scores as tables. */
export function weatherTables(caption: CaptionResult, reader: ReaderResult): { caption: string; reader: string } {
  return {
    caption: markdownTable(['held-out days', 'exact sentences', 'tokens', 'numbers', ...FIELDS.map((f) => `${f.name} number`)],
      [['vector → sentence', percent(caption.test.exactSentence), percent(caption.test.token), percent(caption.test.number),
        ...FIELDS.map((f) => percent(caption.test.numberByField[f.name]))]]),
    reader: markdownTable(['sentence → vector', ...FIELDS.map((f) => `${f.name} (${f.unit === 'F' ? '°F' : f.unit})`)],
      [['mean absolute error', ...FIELDS.map((f) => reader.mae[f.name].toFixed(2))]]),
  };
}

/** The result in words, from the measurements. */
export function describeWeather(caption: CaptionResult, reader: ReaderResult, testSize: number): string {
  const worst = FIELDS.reduce((a, f) => (reader.mae[f.name] > reader.mae[a.name] ? f : a));
  return [
    `- **One-to-many (vector → sentence):** on ${testSize} days it never saw, the captioner writes ${percent(caption.test.exactSentence)} of the sentences ` +
      `exactly right; ${percent(caption.test.token)} of all tokens but ${percent(caption.test.number)} of the numbers are right: ` +
      'the words between the numbers are a fixed template, while each number must be carried from the initial state for up to 22 steps.',
    `- **Many-to-one (sentence → vector):** reading those days' sentences back, the mean absolute errors are ` +
      `${FIELDS.map((f) => `${f.name} ${reader.mae[f.name].toFixed(2)} ${f.unit === 'F' ? '°F' : f.unit}`).join(', ')} ` +
      `(largest on ${worst.name}; the values are multiples of 5 or 10, so an error under 2.5 rounds to the right value).`,
  ].join('\n');
}

/** Training losses of both directions. */
export function weatherLossChart(caption: CaptionResult, reader: ReaderResult): string {
  return lineChart([
    { name: 'captioner (CE)', values: smooth(caption.losses, 10) },
    { name: 'reader (MSE)', values: smooth(reader.losses, 10) },
  ], { title: 'Weather: training losses', xLabel: 'step', yLabel: 'loss', logY: true });
}
