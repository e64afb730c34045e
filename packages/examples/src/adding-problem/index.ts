// The adding problem (Hochreiter & Schmidhuber 1997): data, models, training loop and report.
export { addingProblemBatch, addingAccuracy } from './data.js';
export type { AddingProblemOptions, AddingProblemBatch } from './data.js';
export { AddingModel, MODEL_KINDS, MODEL_DESCRIPTIONS, parseModelKind } from './models.js';
export type { ModelKind, AddingModelOptions } from './models.js';
export {
  trainAdding, trainAddingAsync, evaluateAdding, baselineEvaluation, addingTestSet, addingStreams, resolveAddingOptions,
} from './train.js';
export type { AddingTrainOptions, AddingProgress, AddingEvaluation, AddingResult, ResolvedAddingOptions } from './train.js';
export { movingAverage, lossSeries, resultsTable } from './report.js';
