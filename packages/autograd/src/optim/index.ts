// optim: optimizers, gradient clipping and learning-rate schedules.
export { Optimizer } from './optimizer.js';
export type {
  ParamGroup, ParamGroupInput, ParamsInput, OptimizerStateDict, OptimizerStateDictInput, OptimizerSpec, StateRecord,
} from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions, SGDState } from './sgd.js';
export { Adam } from './adam.js';
export type { AdamOptions, AdamState } from './adam.js';
export { AdamW } from './adamw.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions, AdagradState } from './adagrad.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions, RMSpropState } from './rmsprop.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler } from './lr-scheduler.js';
export type { LRSchedulerState, SchedulableOptimizer } from './lr-scheduler.js';
export { StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR } from './schedulers.js';
export type { StepLROptions, ExponentialLROptions, CosineAnnealingLROptions, LinearLROptions, LambdaLROptions } from './schedulers.js';
