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
export { NAdam } from './nadam.js';
export type { NAdamOptions, NAdamState } from './nadam.js';
export { RAdam } from './radam.js';
export type { RAdamOptions, RAdamState } from './radam.js';
export { Adamax } from './adamax.js';
export type { AdamaxOptions, AdamaxState } from './adamax.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions, AdagradState } from './adagrad.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions, RMSpropState } from './rmsprop.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler } from './lr-scheduler.js';
export type { LRSchedulerState, SchedulableOptimizer } from './lr-scheduler.js';
export { StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR, LambdaLR } from './schedulers.js';
export type {
  StepLROptions, MultiStepLROptions, ExponentialLROptions, CosineAnnealingLROptions, CosineAnnealingWarmRestartsOptions,
  LinearLROptions, LambdaLROptions,
} from './schedulers.js';
export { OneCycleLR } from './one-cycle-lr.js';
export type { OneCycleLROptions } from './one-cycle-lr.js';
export { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
export type { ReduceLROnPlateauOptions, ReduceLROnPlateauState } from './reduce-lr-on-plateau.js';
