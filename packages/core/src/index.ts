/**
 * Arrays (scijs-ndarray-compatible views over typed arrays) and the kernels that compute on them:
 * broadcasting elementwise maps, reductions, softmax family, gemm (WebAssembly SIMD for float32),
 * movement, gather/scatter, a seeded random source. No gradients here.
 * @module @unroll/core
 */
export { ShapeError, DTypeError, fmt } from './errors.js';
export { DEFAULT_DTYPE, allocate, dtypeOf, isFloat, checkDType } from './dtype.js';
export type { DType, FloatDType, TypedArray, FloatArray } from './dtype.js';
export {
  MAX_RANK, sizeOf, stridesOf, sameShape, broadcastShapes, broadcastStrides, normalizeAxis, normalizeAxes, resolveReshape,
} from './shape.js';
export type { Shape } from './shape.js';
export { RandomGenerator, Generator, defaultGenerator, manualSeed } from './random.js';
export { checkKeys, checkOptions, checkOptionsObject, optionKeys } from './options.js';
export {
  fromData, empty, zeros, ones, full, arange, fromNested, toNested, shapeOfNested, randUniform, randNormal,
  isContiguous, contiguous, compact, clone, cast, checkInt32,
} from './array.js';
export type { NdArray, Nested, CreateOptions, RandomOptions } from './array.js';
export { forEachRun } from './kernels/iterate.js';
export {
  map, zip, zip3, broadcastTo, neg, exp, log, sqrt, abs, sign, tanh, sigmoid, relu, softplus, square, scale, addScalar,
  clamp, add, sub, mul, div, pow, maximum, minimum, sigmoidScalar, softplusScalar,
} from './kernels/elementwise.js';
export { sum, max, min, mean, sumTo, argmax, reducedShape, softmax, logSoftmax, logsumexp } from './kernels/reduce.js';
export type { ReduceOptions } from './kernels/reduce.js';
export {
  reshape, permute, transpose, slice, sliceAssign, resolveRange, concat, stack, gather, scatterAdd, indexSelect, indexAdd, indexAddInto,
} from './kernels/movement.js';
export type { Range } from './kernels/movement.js';
export { matmul } from './kernels/matmul.js';
export type { MatmulOptions } from './kernels/matmul.js';
export { gemm, gemmNaive, setGemmBackend, gemmBackend } from './kernels/gemm.js';
export type { GemmBackend } from './kernels/gemm.js';
export { gemmWasmF32, wasmGemmAvailable } from './kernels/wasm/gemm-f32.js';
export { setNumThreads, getNumThreads } from './kernels/wasm/threads.js';
// The WebAssembly runtime, its assembler and gemm on its memory are internal: `@unroll/core/internal`.
