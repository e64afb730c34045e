// Hochreiter & Schmidhuber 1997 at their longest lags: the adding and temporal-order problems, trained to the paper's criterion.
export { lagProblem, LAG_PROBLEMS } from './problems.js';
export type { LagProblem, LagProblemName, LagBatch } from './problems.js';
export { RecentOutcomes } from './recent.js';
export { trainLongLag, evaluateLag, resolveLagOptions } from './train.js';
export type { LagTrainOptions, LagProgress, LagEvaluation, LagResult } from './train.js';
export { lagTable, lagSummary, paperSequences, PAPER_SEQUENCES } from './report.js';
