// Parameter initializers as torch.nn.init has them: each fills a tensor in place and returns it.
import * as K from '@unroll/core';
import type { RandomGenerator } from '@unroll/core';
import { Tensor } from '../tensor.js';
import { describe } from './checks.js';
import { randomOrthogonal } from './householder.js';

/** The random source of an initializer (the default generator, seeded by `manualSeed`, if omitted). */
export interface InitOptions {
  generator?: RandomGenerator;
}
export interface XavierOptions extends InitOptions {
  /** Scale (default 1); see `calculateGain`. */
  gain?: number;
}
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only; default 0). */
  a?: number;
  /** 'fanIn' (default) keeps the forward variance, 'fanOut' the backward one. */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity after this layer (default 'leaky_relu', with slope `a`). */
  nonlinearity?: Nonlinearity;
}
export interface OrthogonalOptions extends InitOptions {
  /** Scale of the orthogonal matrix (default 1). */
  gain?: number;
}

/** Nonlinearity names as torch.nn.init.calculate_gain spells them. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

const LINEAR_LIKE = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid'];

/**
 * The recommended scale for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear, conv and
 * sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu (slope `param`, default
 * 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_LIKE.includes(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'selu': return 3 / 4;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new TypeError(`init.calculateGain: negative slope must be a finite number; got ${String(slope)}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
  }
  throw new RangeError(
    `init.calculateGain: unknown nonlinearity '${String(nonlinearity)}'; expected one of ${[...LINEAR_LIKE, 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}`);
}

/**
 * fan_in and fan_out of a weight shape as torch computes them: for [out, in, ...kernel],
 * fanIn = in · Π kernel and fanOut = out · Π kernel. Needs rank ≥ 2.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  return fansOf('init.fans', shape);
}

function fansOf(op: string, shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new K.ShapeError(`${op}: fan in and fan out need a tensor of rank ≥ 2 ([out, in, ...]); got ${K.fmt(shape)}`);
  }
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Fills `t` with U(low, high) (defaults 0 and 1). */
export function uniform<T extends Tensor>(t: T, low = 0, high = 1, opts: InitOptions = {}): T {
  checkTarget('init.uniform', t);
  checkFinite('init.uniform', { low, high });
  if (low > high) throw new RangeError(`init.uniform: low (${low}) must not exceed high (${high})`);
  return fillUniform(t, low, high, opts.generator);
}

/** Fills `t` with N(mean, std²) (defaults 0 and 1). */
export function normal<T extends Tensor>(t: T, mean = 0, std = 1, opts: InitOptions = {}): T {
  checkTarget('init.normal', t);
  checkFinite('init.normal', { mean, std });
  if (std < 0) throw new RangeError(`init.normal: std must be ≥ 0; got ${std}`);
  return fillNormal(t, mean, std, opts.generator);
}

/** Fills `t` with the value `v`. */
export function constant<T extends Tensor>(t: T, v: number): T {
  checkTarget('init.constant', t);
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`init.constant: value must be a number; got ${String(v)}`);
  return write(t, new Float64Array(t.size).fill(v));
}

/** Fills `t` with zeros. */
export function zeros<T extends Tensor>(t: T): T {
  checkTarget('init.zeros', t);
  return write(t, new Float64Array(t.size));
}

/** Fills `t` with ones. */
export function ones<T extends Tensor>(t: T): T {
  checkTarget('init.ones', t);
  return write(t, new Float64Array(t.size).fill(1));
}

/** Fills a 2-D `t` [rows, cols] with the identity (ones on the main diagonal, also when not square). */
export function eye<T extends Tensor>(t: T): T {
  checkTarget('init.eye', t);
  if (t.rank !== 2) throw new K.ShapeError(`init.eye: tensor must be 2-D [rows, cols]; got ${K.fmt(t.shape)}`);
  const [rows, cols] = t.shape as [number, number];
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
  return write(t, values);
}

/** Glorot uniform: U(−a, a) with a = gain · √(6 / (fanIn + fanOut)). Shape [out, in, ...]. */
export function xavierUniform<T extends Tensor>(t: T, opts: XavierOptions = {}): T {
  const std = xavierStd('init.xavierUniform', t, opts);
  const bound = Math.sqrt(3) * std; // U(−a, a) has std a/√3
  return fillUniform(t, -bound, bound, opts.generator);
}

/** Glorot normal: N(0, std²) with std = gain · √(2 / (fanIn + fanOut)). Shape [out, in, ...]. */
export function xavierNormal<T extends Tensor>(t: T, opts: XavierOptions = {}): T {
  return fillNormal(t, 0, xavierStd('init.xavierNormal', t, opts), opts.generator);
}

/**
 * He uniform: U(−b, b) with b = gain · √(3 / fan), gain = calculateGain(nonlinearity, a) and fan
 * chosen by `mode`. Linear's default is `{ a: √5 }`, i.e. U(−1/√in, 1/√in). Shape [out, in, ...].
 */
export function kaimingUniform<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  const std = kaimingStd('init.kaimingUniform', t, opts);
  const bound = Math.sqrt(3) * std;
  return fillUniform(t, -bound, bound, opts.generator);
}

/** He normal: N(0, std²) with std = gain / √fan (see kaimingUniform). Shape [out, in, ...]. */
export function kaimingNormal<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  return fillNormal(t, 0, kaimingStd('init.kaimingNormal', t, opts), opts.generator);
}

/**
 * A (semi-)orthogonal matrix times `gain` (Saxe et al. 2013), as torch.nn.init.orthogonal_: t is
 * [rows, ...] read as [rows, cols] with cols = the product of the trailing dims; rows are
 * orthonormal when rows ≤ cols (W Wᵀ = I), columns when rows ≥ cols (Wᵀ W = I).
 */
export function orthogonal<T extends Tensor>(t: T, opts: OrthogonalOptions = {}): T {
  checkTarget('init.orthogonal', t);
  if (t.rank < 2) throw new K.ShapeError(`init.orthogonal: tensor must have rank ≥ 2 ([rows, cols, ...]); got ${K.fmt(t.shape)}`);
  const gain = opts.gain ?? 1;
  checkFinite('init.orthogonal', { gain });
  if (t.size === 0) return t; // nothing to fill (torch warns and returns too)
  const rows = t.shape[0]!;
  const q = randomOrthogonal(rows, t.size / rows, opts.generator ?? K.defaultGenerator);
  if (gain !== 1) for (let i = 0; i < q.length; i++) q[i] = q[i]! * gain;
  return write(t, q);
}

function xavierStd(op: string, t: Tensor, opts: XavierOptions): number {
  checkTarget(op, t);
  const gain = opts.gain ?? 1;
  checkFinite(op, { gain });
  const { fanIn, fanOut } = fansOf(op, t.shape);
  // NOTE: a zero-element tensor has fanIn + fanOut possibly 0; there is nothing to fill anyway.
  return fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(2 / (fanIn + fanOut));
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  checkTarget(op, t);
  const a = opts.a ?? 0, mode = opts.mode ?? 'fanIn', nonlinearity = opts.nonlinearity ?? 'leaky_relu';
  checkFinite(op, { a });
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new RangeError(`${op}: mode must be 'fanIn' or 'fanOut'; got '${String(mode)}'`);
  const { fanIn, fanOut } = fansOf(op, t.shape);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(nonlinearity, a);
  return fan === 0 ? 0 : gain / Math.sqrt(fan);
}

function fillUniform<T extends Tensor>(t: T, low: number, high: number, generator: RandomGenerator = K.defaultGenerator): T {
  const values = new Float64Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = low + (high - low) * generator.uniform();
  return write(t, values);
}

function fillNormal<T extends Tensor>(t: T, mean: number, std: number, generator: RandomGenerator = K.defaultGenerator): T {
  const values = new Float64Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = mean + std * generator.normal();
  return write(t, values);
}

/** Writes row-major `values` into t's storage, whatever its strides (a view is filled in place too). */
function write<T extends Tensor>(t: T, values: Float64Array): T {
  K.sliceAssign(t.data, [], K.fromData(values, t.shape));
  t.bumpVersion();
  return t;
}

function checkTarget(op: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor or Parameter; got ${describe(t)}`);
  if (t.dtype === 'int32') throw new K.DTypeError(`${op}: tensor must be float32 or float64; got int32`);
}

function checkFinite(op: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number; got ${String(v)}`);
  }
}
