/**
 * One training loop (`fit`), its callbacks and progress displays. Browser-safe: no Node API here;
 * saving checkpoints and the terminal bar live in `@unroll/train/node`.
 * @module @unroll/train
 */
export { fit, fitSync, NonFiniteLossError } from './fit.js';
export type {
  FitOptions, FitResult, FitOptimizer, Trainable, LossFn, LossOutput, Metrics, StepEnd, EvalEnd, Callback,
} from './fit.js';
export { earlyStopping } from './early-stopping.js';
export type { EarlyStopping, EarlyStoppingOptions } from './early-stopping.js';
export { Progress, notebookProgress, formatDuration } from './progress.js';
export type { ProgressOptions, NotebookDisplay } from './progress.js';
export { firstNonFinite, assertFinite, NonFiniteWeightsError } from './finite.js';
