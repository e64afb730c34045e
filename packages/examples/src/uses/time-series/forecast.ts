// Multi-step forecasting of a series: windows of the past → the next H values, with an LSTM read
// many-to-one and a linear layer giving all H steps at once; the naive and seasonal-naive
// baselines; MAE/RMSE on the last part of the series, which training never sees.
import { Adam, RandomGenerator, Linear, Module, Tensor, mseLoss, noGrad, tensor } from '@unroll/autograd';
import { fitSync } from '@unroll/train';
import { LSTM } from '@unroll/rnn';
import { lineChart } from '@unroll/plot';
import { forever, markdownTable, seededStreams, smooth } from '../common/run.js';
import type { UseTrainOptions } from '../common/run.js';

/** Window, horizon, baseline season, split and training settings. */
/**
 * How to train a forecaster. Defaults: 400 Adam steps on batches of 32 windows, learning rate 0.005,
 * 32 LSTM hidden units, seed 0.
 */
export interface ForecastOptions extends UseTrainOptions {
  /** Past values each forecast reads (default 28: four weeks) and steps it predicts (default 7). */
  window?: number;
  horizon?: number;
  /** The seasonal-naive baseline's period (default 7: a week). */
  season?: number;
  /** Fraction of the series used for training; the rest is the test part (default 0.8). */
  trainFraction?: number;
}

/**
 * Reads a window of the past, as differences from its last value over a fixed scale
 * (x_i = (y_{t−W+1+i} − y_t) / scale, [B, W, 1]), with an LSTM, and maps the final hidden state to
 * the H future differences (ŷ_{t+h} − y_t) / scale, [B, H]. Working in differences from the last
 * value lets one model serve any level the trend has wandered to.
 */
export class Forecaster extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(readonly window: number, readonly horizon: number, hiddenSize: number, generator?: RandomGenerator) {
    super();
    this.lstm = this.registerModule('lstm', new LSTM({ inputSize: 1, hiddenSize, batchFirst: true, generator }));
    this.head = this.registerModule('head', new Linear(hiddenSize, horizon, { generator }));
  }
  /** x [B, W, 1] → [B, H]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(x).state.h.select(0, 0));
  }
}

/** Origins t (index of the last value read) whose window and horizon lie in [from, to). */
export function forecastOrigins(from: number, to: number, window: number, horizon: number, stride = 1): number[] {
  const out: number[] = [];
  for (let t = from + window - 1; t + horizon < to; t += stride) out.push(t);
  return out;
}

/** The last-value forecast: ŷ_{t+h} = y_t. */
export const naiveForecast = (y: readonly number[], t: number, horizon: number): number[] =>
  Array.from({ length: horizon }, () => y[t]!);

/** The seasonal-naive forecast: ŷ_{t+h} = the value one season (or more) before, y_{t+h−m·⌈h/m⌉}. */
export const seasonalNaiveForecast = (y: readonly number[], t: number, horizon: number, season: number): number[] =>
  Array.from({ length: horizon }, (_, i) => y[t + i + 1 - season * Math.ceil((i + 1) / season)]!);

/** Forecast errors in the series' units. */
export interface ErrorScore {
  mae: number;
  rmse: number;
  /** MAE at each horizon step 1 … H. */
  maeByStep: number[];
}

/** MAE and RMSE of forecasts (one row of H values per origin) against the series. */
export function scoreForecasts(y: readonly number[], origins: readonly number[], forecasts: readonly (readonly number[])[]): ErrorScore {
  const H = forecasts[0]!.length;
  let abs = 0, sq = 0;
  const byStep = new Array<number>(H).fill(0);
  origins.forEach((t, k) => forecasts[k]!.forEach((f, i) => {
    const e = f - y[t + i + 1]!;
    abs += Math.abs(e);
    sq += e * e;
    byStep[i]! += Math.abs(e);
  }));
  const n = origins.length * H;
  return { mae: abs / n, rmse: Math.sqrt(sq / n), maeByStep: byStep.map((s) => s / origins.length) };
}

/** The trained forecaster, its losses, and its and the baselines' test errors. */
export interface ForecastResult {
  /** The series and where its test part starts. */
  series: number[];
  testStart: number;
  window: number;
  horizon: number;
  season: number;
  /** Training loss (MSE of the scaled differences) at every step. */
  losses: number[];
  /** Over every test origin (windows may reach back into the training part; targets never do). */
  scores: { lstm: ErrorScore; naive: ErrorScore; seasonalNaive: ErrorScore };
  testOrigins: number;
  model: Forecaster;
  /** The scale of the differences (σ of one-day changes in the training part). */
  scale: number;
  seconds: number;
}

/** Forecasts of `model` from each origin, in the series' units. */
export function predictForecasts(model: Forecaster, y: readonly number[], origins: readonly number[], scale: number): number[][] {
  const W = model.window;
  return noGrad(() => {
    const x = windowTensor(y, origins, W, scale);
    const d = model.forward(x).toArray() as number[][];
    return d.map((row, k) => row.map((v) => y[origins[k]!]! + v * scale));
  });
}

const windowTensor = (y: readonly number[], origins: readonly number[], W: number, scale: number) =>
  tensor(origins.map((t) => Array.from({ length: W }, (_, i) => [(y[t - W + 1 + i]! - y[t]!) / scale])));

/** Trains the forecaster on the first part of `series` and scores it and the baselines on the rest. */
export function trainForecaster(series: readonly number[], opts: ForecastOptions = {}): ForecastResult {
  const started = Date.now();
  const W = opts.window ?? 28, H = opts.horizon ?? 7, season = opts.season ?? 7, steps = opts.steps ?? 400;
  const testStart = Math.floor(series.length * (opts.trainFraction ?? 0.8));
  const trainOrigins = forecastOrigins(0, testStart, W, H);
  const testOrigins = forecastOrigins(testStart - W + 1, series.length, W, H);
  if (trainOrigins.length < 1 || testOrigins.length < 1) {
    throw new RangeError(`forecast: a series of ${series.length} values is too short for window ${W} and horizon ${H} with a ${opts.trainFraction ?? 0.8} training fraction`);
  }
  if (season > W) throw new RangeError(`forecast: the season (${season}) must fit in the window (${W})`);
  const diffs = series.slice(1, testStart).map((v, i) => v - series[i]!);
  const meanDiff = diffs.reduce((a, d) => a + d, 0) / diffs.length;
  const scale = Math.sqrt(diffs.reduce((a, d) => a + (d - meanDiff) ** 2, 0) / diffs.length) || 1;
  const [init, batches] = seededStreams(opts.seed ?? 0, 2);
  const model = new Forecaster(W, H, opts.hiddenSize ?? 32, init);
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.005 });
  const { losses } = fitSync({
    model, optimizer, steps, clipGradNorm: 1, callbacks: opts.callbacks ?? [],
    data: forever(() => Array.from({ length: opts.batchSize ?? 32 }, () => trainOrigins[batches!.int(trainOrigins.length)]!)),
    loss: (origins) => {
      const target = tensor(origins.map((t) => Array.from({ length: H }, (_, i) => (series[t + i + 1]! - series[t]!) / scale)));
      return mseLoss(model.forward(windowTensor(series, origins, W, scale)), target);
    },
  });
  const lstm = scoreForecasts(series, testOrigins, predictForecasts(model, series, testOrigins, scale));
  const naive = scoreForecasts(series, testOrigins, testOrigins.map((t) => naiveForecast(series, t, H)));
  const seasonalNaive = scoreForecasts(series, testOrigins, testOrigins.map((t) => seasonalNaiveForecast(series, t, H, season)));
  return {
    series: [...series], testStart, window: W, horizon: H, season, losses, scores: { lstm, naive, seasonalNaive },
    testOrigins: testOrigins.length, model, scale, seconds: (Date.now() - started) / 1000,
  };
}

/** MAE and RMSE of the LSTM and both baselines. */
export function forecastTable(r: ForecastResult): string {
  const row = (name: string, s: ErrorScore) => [name, s.mae.toFixed(3), s.rmse.toFixed(3), s.maeByStep[0]!.toFixed(3), s.maeByStep[r.horizon - 1]!.toFixed(3)];
  return markdownTable(['forecast', 'MAE', 'RMSE', `MAE 1 step ahead`, `MAE ${r.horizon} steps ahead`], [
    row('LSTM', r.scores.lstm), row('naive (last value)', r.scores.naive), row(`seasonal naive (${r.season} steps back)`, r.scores.seasonalNaive),
  ]);
}

/** The result in words, from the measurements. */
export function describeForecast(r: ForecastResult): string {
  const { lstm, naive, seasonalNaive } = r.scores;
  const best = naive.mae <= seasonalNaive.mae ? ['the naive forecast', naive] as const : ['the seasonal-naive forecast', seasonalNaive] as const;
  const change = (a: number, b: number) => `${Math.abs(100 * (1 - a / b)).toFixed(0)}% ${a <= b ? 'lower' : 'higher'}`;
  return [
    `- Over ${r.testOrigins} forecasts of ${r.horizon} steps on the last ${r.series.length - r.testStart} values (never trained on), ` +
      `the LSTM's MAE is ${lstm.mae.toFixed(3)} and RMSE ${lstm.rmse.toFixed(3)}; ` +
      `naive ${naive.mae.toFixed(3)} / ${naive.rmse.toFixed(3)}, seasonal naive ${seasonalNaive.mae.toFixed(3)} / ${seasonalNaive.rmse.toFixed(3)}.`,
    `- Its MAE is ${change(lstm.mae, best[1].mae)} than that of ${best[0]}, the better baseline here; ` +
      `one step ahead it is ${lstm.maeByStep[0]!.toFixed(3)} (baselines ${naive.maeByStep[0]!.toFixed(3)}, ${seasonalNaive.maeByStep[0]!.toFixed(3)}), ` +
      `${r.horizon} steps ahead ${lstm.maeByStep[r.horizon - 1]!.toFixed(3)} (${naive.maeByStep[r.horizon - 1]!.toFixed(3)}, ${seasonalNaive.maeByStep[r.horizon - 1]!.toFixed(3)}).`,
  ].join('\n');
}

/**
 * Forecast against truth at the end of the test part: `count` back-to-back H-step forecasts (each
 * made from the values before it) of the LSTM and the seasonal-naive baseline, over the series.
 */
export function forecastChart(r: ForecastResult, title = 'Forecasts at the end of the test part', count = 9): string {
  const y = r.series, H = r.horizon;
  const all = forecastOrigins(r.testStart - r.window, y.length, r.window, H, H);
  const origins = all.slice(-count);
  const lstm = predictForecasts(r.model, y, origins, r.scale);
  const points = (rows: number[][]) => rows.flatMap((row, k) => row.map((v, i): [number, number] => [origins[k]! + i + 1, v]));
  const from = Math.max(0, origins[0]! - 2 * H);
  return lineChart([
    { name: 'truth', values: y.slice(from).map((v, i): [number, number] => [from + i, v]), color: '#333' },
    { name: 'LSTM forecast', values: points(lstm), color: '#d62728' },
    { name: 'seasonal naive', values: points(origins.map((t) => seasonalNaiveForecast(y, t, H, r.season))), dashed: true, color: '#2ca02c' },
  ], { title, xLabel: 'day', yLabel: 'value', width: 760 });
}

/** The training loss, smoothed. */
export function forecastLossChart(r: ForecastResult): string {
  return lineChart([{ name: 'LSTM (scaled MSE)', values: smooth(r.losses, 20) }],
    { title: 'Forecaster: training loss', xLabel: 'step', yLabel: 'MSE of scaled differences', logY: true });
}
