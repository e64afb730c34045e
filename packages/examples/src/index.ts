// @unroll/examples: what notebooks and scripts share (SVG plots, progress, the adding problem, char-rnn, the uses).
export { lineChart, heatmap } from '@unroll/plot';
export type { Series, LineChartOptions, HeatmapOptions } from '@unroll/plot';
export * from './adding-problem/index.js';
// The temporal-order problem and the long-lag runs of both tasks to the 1997 paper's criterion.
export * from './temporal-order/index.js';
export * from './long-lags/index.js';
// The char-rnn CLI's model, trainer and sampler (for the char-rnn notebook).
export { Trainer, LN2 } from './char-rnn/trainer.js';
export type { StepResult, History } from './char-rnn/trainer.js';
export { defaultConfig } from './char-rnn/options.js';
export type { TrainConfig } from './char-rnn/options.js';
export { CharRNN, describeModel } from './char-rnn/model.js';
export { sampleText } from './char-rnn/sample.js';
export type { SampleOptions } from './char-rnn/sample.js';
export { projectSources } from './char-rnn/corpus.js';
// The lecture notes' uses (one namespace each) and the UNROLL_FULL switch their notebooks read.
export * as childrensBook from './uses/childrens-book/index.js';
export * as weather from './uses/weather/index.js';
export * as sentiment from './uses/sentiment/index.js';
export * as timeSeries from './uses/time-series/index.js';
export * as bidirectionalTagging from './uses/bidirectional-tagging/index.js';
export { fullRun, markdownTable } from './uses/common/run.js';
export * as dateNormalization from './date-normalization/index.js';
