/**
 * Tensors that remember how they were computed: differentiable ops (as functions and as chainable
 * Tensor methods), reverse-mode `backward`, `gradcheck`, `defineOp`, nn modules, losses,
 * optimizers and checkpoints. Works in any JavaScript environment.
 * @module @unroll/autograd
 */
import './fluent.js';

export { Tensor } from './tensor.js';
export type { Node, GradThunk } from './node.js';
export { defineOp, registeredOps, opSpec } from './define-op.js';
export type {
  Op, OpSpec, OpInputs, BackwardContext, ForwardContext, ForwardResult, Gradients, Named, PointwiseRule, SaveSpec,
} from './define-op.js';
export { SparseGradient } from './sparse-gradient.js';
export { InPlaceModificationError } from './saved-versions.js';
export { trace } from './trace.js';
export type { TracedOp, TraceObserver } from './trace.js';
export { backward, backwardStats, topologicalOrder } from './engine.js';
export type { BackwardOptions } from './engine.js';
export { noGrad, enableGrad, isGradEnabled, setAnomalyDetection, detectAnomaly, isAnomalyEnabled, AnomalyError } from './mode.js';
export { gradcheck } from './gradcheck.js';
export { setPrintOptions, getPrintOptions } from './print.js';
export type { PrintOptions } from './print.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { gradcheckModule } from './gradcheck-module.js';
export type { GradcheckModuleOptions } from './gradcheck-module.js';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, arange, randUniform, randNormal, randn, rand,
} from './creation.js';
export type { TensorOptions, RandomTensorOptions } from './creation.js';
export type { TensorLike } from './ops/lift.js';
// The ops: each is one defineOp in ops/<kind>.ts, its forward and backward side by side.
export {
  add, sub, mul, div, pow, neg, exp, log, sqrt, abs, tanh, sigmoid, relu, softplus, clamp, where,
} from './ops/elementwise.js';
export { sum, mean, max, logsumexp, softmax, logSoftmax } from './ops/reduce.js';
export type { AxesOptions } from './ops/reduce.js';
export { matmul } from './ops/linalg.js';
export {
  reshape, permute, transpose, slice, select, narrow, concat, stack, split, chunk, unsqueeze, squeeze, expand,
  gather, indexSelect, cast,
} from './ops/movement.js';
export { ShapeError, DTypeError, manualSeed, RandomGenerator, Generator, setNumThreads, getNumThreads } from '@unroll/core';
export type { DType, Nested, Range, Shape, NdArray } from '@unroll/core';
export * from './nn/index.js';
export * from './optim/index.js';
export { checkOptions, optionKeys } from '@unroll/core';
export * from './checkpoint/index.js';
