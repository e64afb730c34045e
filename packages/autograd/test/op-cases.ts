// The op-case table: one line per differentiable op case, each run through gradcheck by
// ops.grad.test.ts. registry.test.ts proves every registered primitive has a line here.
import fc from 'fast-check';
import {
  abs, add, cast, chunk, clamp, concat, div, exp, expand, gather, indexSelect, log, logSoftmax, logsumexp, matmul, max,
  mean, mul, narrow, neg, permute, pow, relu, reshape, select, sigmoid, slice, softmax, softplus, split, sqrt, squeeze,
  stack, sub, sum, tanh, transpose, unsqueeze, where, crossEntropy,
  type GradcheckOptions, type Range, type Tensor,
} from '@unroll/autograd';
import {
  avoiding, awayFromZero, axesOf, axisOf, broadcastShapes, broadcastableTo, concatInputs, distinctTensorOf, float32Grid,
  gatherInputs, indexSelectInputs, intTensorOf, matmulPair, oneShape, permutationOf, rangeOf, reshapeTargetOf, shape, stackInputs,
  tensorOf, tensors, uniform, whereInputs, withArgs, type Drawn,
} from './arbitraries.js';

export type Outputs = Tensor | Tensor[];

export interface OpCase {
  /** Shown by describe.each. */
  readonly name: string;
  /** The registered op under test, or for a composite its own name (listed in COMPOSITES). */
  readonly primitive: string;
  /** float64 leaves with requiresGrad (int32 ids/masks where the op takes them) and the op's arguments. */
  readonly inputs: fc.Arbitrary<Drawn<unknown>>;
  readonly fn: (xs: Tensor[], args: unknown) => Outputs;
  /** gradcheck options beyond the shared tolerances (only where a case needs its own step). */
  readonly options?: GradcheckOptions;
}

/** Ops built from registered primitives, with no backward rule of their own. */
export const COMPOSITES = ['chunk', 'mean', 'narrow', 'select', 'split', 'squeeze', 'stack', 'transpose', 'unsqueeze'] as const;

function c(name: string, primitive: string, inputs: fc.Arbitrary<Tensor[]>, fn: (xs: Tensor[]) => Outputs, options?: GradcheckOptions): OpCase;
function c<A>(name: string, primitive: string, inputs: fc.Arbitrary<Drawn<A>>, fn: (xs: Tensor[], args: A) => Outputs, options?: GradcheckOptions): OpCase;
function c<A>(
  name: string, primitive: string, inputs: fc.Arbitrary<Tensor[] | Drawn<A>>,
  fn: (xs: Tensor[], args: A) => Outputs, options?: GradcheckOptions,
): OpCase {
  return {
    name,
    primitive,
    inputs: inputs.map((v) => (Array.isArray(v) ? { xs: v, args: undefined } : v)),
    // The arbitrary and fn above come in one call, so args has fn's type.
    fn: (xs, args) => fn(xs, args as A),
    ...(options ? { options } : {}),
  };
}

const any = oneShape();
const ranked = oneShape({ minRank: 1 });
const pair = broadcastShapes(2);
const axisArgs = (s: number[][]) => fc.record({ axis: axisOf(s[0]!.length), keepdims: fc.boolean() });
const axesArgs = (s: number[][]) => fc.record({ axes: axesOf(s[0]!.length), keepdims: fc.boolean() });
const maxInputs = (withAxes: boolean) =>
  shape({ minRank: withAxes ? 1 : 0 }).chain((s) =>
    fc.tuple(distinctTensorOf(s), withAxes ? axesArgs([s]) : fc.constant({})).map(([x, args]) => ({ xs: [x], args })));
const squeezable = shape({ maxRank: 2 }).chain((s) =>
  fc.integer({ min: 0, max: s.length }).map((at) => ({ s: [...s.slice(0, at), 1, ...s.slice(at)], at })));
const matmulCases = [false, true].flatMap((batched) =>
  [[false, false], [true, false], [false, true], [true, true]].map(([transA, transB]) => {
    const flags = [transA && 'transA', transB && 'transB'].filter(Boolean).join(' ');
    return c(`matmul ${batched ? 'batched (broadcast batch)' : '2-D'}${flags ? ` ${flags}` : ''}`, 'matmul',
      matmulPair({ batched, transA, transB }), ([a, b], o) => matmul(a!, b!, o));
  }));

export const opCases: OpCase[] = [
  c('add (broadcast)', 'add', tensors(pair), ([a, b]) => add(a!, b!)),
  c('add (tensor + number)', 'add', tensors(any), ([a]) => add(a!, 1.5)),
  c('sub (broadcast)', 'sub', tensors(pair), ([a, b]) => sub(a!, b!)),
  c('sub (number − tensor)', 'sub', tensors(any), ([b]) => sub(2, b!)),
  c('mul (broadcast)', 'mul', tensors(pair), ([a, b]) => mul(a!, b!)),
  c('mul (same tensor twice)', 'mul', tensors(any), ([a]) => mul(a!, a!)),
  c('div (broadcast)', 'div', tensors(pair, [uniform(-2, 2), awayFromZero(0.5, 2)]), ([a, b]) => div(a!, b!)),
  c('div (number / tensor)', 'div', tensors(any, awayFromZero(0.5, 2)), ([b]) => div(1, b!)),
  c('pow (tensor exponent, broadcast)', 'pow', tensors(pair, [uniform(0.5, 2), uniform(-2, 2)]), ([a, b]) => pow(a!, b!)),
  c('pow (number exponent)', 'pow', withArgs(any, () => fc.constantFrom(2, 3, 0.5, -1.5, 0), uniform(0.5, 2)), ([a], e) => pow(a!, e)),
  c('pow (number base)', 'pow', tensors(any), ([b]) => pow(1.5, b!)),
  c('neg', 'neg', tensors(any), ([x]) => neg(x!)),
  c('exp', 'exp', tensors(any), ([x]) => exp(x!)),
  c('log', 'log', tensors(any, uniform(0.1, 5)), ([x]) => log(x!)),
  c('sqrt', 'sqrt', tensors(any, uniform(0.1, 5)), ([x]) => sqrt(x!)),
  c('abs', 'abs', tensors(any, awayFromZero()), ([x]) => abs(x!)),
  c('tanh', 'tanh', tensors(any), ([x]) => tanh(x!)),
  c('sigmoid', 'sigmoid', tensors(any, uniform(-4, 4)), ([x]) => sigmoid(x!)),
  c('relu', 'relu', tensors(any, awayFromZero()), ([x]) => relu(x!)),
  c('softplus', 'softplus', tensors(any, uniform(-4, 4)), ([x]) => softplus(x!)),
  c('clamp (min and max)', 'clamp', tensors(any, avoiding([-0.5, 0.5], 0.05)), ([x]) => clamp(x!, { min: -0.5, max: 0.5 })),
  c('clamp (min only)', 'clamp', tensors(any, avoiding([0.25], 0.05)), ([x]) => clamp(x!, { min: 0.25 })),
  c('clamp (max only)', 'clamp', tensors(any, avoiding([-0.25], 0.05)), ([x]) => clamp(x!, { max: -0.25 })),
  c('where (broadcast mask, a, b)', 'where', whereInputs(), ([m, a, b]) => where(m!, a!, b!)),
  c('where (number branch)', 'where', whereInputs(), ([m, a]) => where(m!, a!, 0.5)),
  c('sum (all)', 'sum', tensors(any), ([x]) => sum(x!)),
  c('sum (axes, keepdims)', 'sum', withArgs(ranked, axesArgs), ([x], o) => sum(x!, o)),
  c('mean (all)', 'mean', tensors(any), ([x]) => mean(x!)),
  c('mean (axes, keepdims)', 'mean', withArgs(ranked, axesArgs), ([x], o) => mean(x!, o)),
  c('max (all)', 'max', maxInputs(false), ([x]) => max(x!)),
  c('max (axes, keepdims)', 'max', maxInputs(true), ([x], o) => max(x!, o)),
  c('logsumexp (axis, keepdims)', 'logsumexp', withArgs(ranked, axisArgs), ([x], { axis, keepdims }) => logsumexp(x!, axis, { keepdims })),
  c('softmax (axis)', 'softmax', withArgs(ranked, (s) => axisOf(s[0]!.length)), ([x], axis) => softmax(x!, axis)),
  c('logSoftmax (axis)', 'logSoftmax', withArgs(ranked, (s) => axisOf(s[0]!.length)), ([x], axis) => logSoftmax(x!, axis)),
  ...matmulCases,
  c('reshape (flatten, reverse, -1, size-1 axes)', 'reshape', withArgs(any, (s) => reshapeTargetOf(s[0]!)), ([x], to) => reshape(x!, to)),
  c('permute', 'permute', withArgs(any, (s) => permutationOf(s[0]!.length)), ([x], axes) => permute(x!, axes)),
  c('transpose (any two axes)', 'transpose', withArgs(ranked, (s) => fc.tuple(axisOf(s[0]!.length), axisOf(s[0]!.length))),
    ([x], [a0, b0]) => transpose(x!, a0, b0)),
  c('slice (steps, negative and out-of-range bounds)', 'slice',
    withArgs(any, (s) => fc.tuple(...s[0]!.map((d) => fc.option(rangeOf(d), { nil: undefined })))),
    ([x], ranges: (Range | undefined)[]) => slice(x!, ranges)),
  c('select (negative index too)', 'select',
    withArgs(ranked, (s) => axisOf(s[0]!.length).chain((axis) => {
      const n = s[0]![axis < 0 ? axis + s[0]!.length : axis]!;
      return fc.integer({ min: -n, max: n - 1 }).map((index) => ({ axis, index }));
    })),
    ([x], { axis, index }) => select(x!, axis, index)),
  c('narrow', 'narrow',
    withArgs(ranked, (s) => axisOf(s[0]!.length).chain((axis) => {
      const n = s[0]![axis < 0 ? axis + s[0]!.length : axis]!;
      return fc.integer({ min: 0, max: n - 1 }).chain((start) =>
        fc.integer({ min: 1, max: n - start }).map((length) => ({ axis, start, length })));
    })),
    ([x], { axis, start, length }) => narrow(x!, axis, start, length)),
  c('concat (1–3 inputs)', 'concat', concatInputs(), (xs, { axis }) => concat(xs, axis)),
  c('stack (1–3 inputs)', 'stack', stackInputs(), (xs, { axis }) => stack(xs, axis)),
  c('split (by size)', 'split',
    withArgs(ranked, (s) => axisOf(s[0]!.length).chain((axis) =>
      fc.integer({ min: 1, max: s[0]![axis < 0 ? axis + s[0]!.length : axis]! + 1 }).map((size) => ({ axis, size })))),
    ([x], { axis, size }) => split(x!, size, axis)),
  c('split (by list of sizes)', 'split',
    withArgs(ranked, (s) => axisOf(s[0]!.length).chain((axis) => {
      const n = s[0]![axis < 0 ? axis + s[0]!.length : axis]!;
      const cuts = fc.subarray(Array.from({ length: n - 1 }, (_, i) => i + 1));
      return cuts.map((cs) => {
        const ends = [...cs, n];
        return { axis, sizes: ends.map((end, i) => end - (ends[i - 1] ?? 0)) };
      });
    })),
    ([x], { axis, sizes }) => split(x!, sizes, axis)),
  c('chunk', 'chunk', withArgs(ranked, (s) => fc.record({ chunks: fc.integer({ min: 1, max: 4 }), axis: axisOf(s[0]!.length) })),
    ([x], { chunks, axis }) => chunk(x!, chunks, axis)),
  c('unsqueeze', 'unsqueeze', withArgs(any, (s) => axisOf(s[0]!.length + 1)), ([x], axis) => unsqueeze(x!, axis)),
  c('squeeze (all size-1 axes)', 'squeeze', tensors(squeezable.map(({ s }) => [s])), ([x]) => squeeze(x!)),
  c('squeeze (one axis)', 'squeeze',
    squeezable.chain(({ s, at }) => fc.tuple(tensorOf(s), fc.constantFrom(at, at - s.length)).map(([x, axis]) => ({ xs: [x], args: axis }))),
    ([x], axis) => squeeze(x!, axis)),
  c('expand (rank and size-1 broadcast)', 'expand',
    shape().chain((target) => broadcastableTo(target).chain((s) => tensorOf(s).map((x) => ({ xs: [x], args: target })))),
    ([x], target) => expand(x!, target)),
  // crossEntropy is one fused primitive: logits [N, C] or [B, T, C], some targets ignored, smoothing, each reduction.
  c('softmaxCrossEntropy (crossEntropy: ignored targets, smoothing, reductions)', 'softmaxCrossEntropy',
    shape({ minRank: 2, maxRank: 3 }).chain((s) => {
      const classes = s[s.length - 1]!;
      const lead = s.slice(0, -1);
      return fc.record({
        x: tensorOf(s),
        t: intTensorOf(lead, -1, classes - 1).map((t) => { t.data.data[0] = Math.max(0, t.data.data[0]!); return t; }),
        args: fc.record({ reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), labelSmoothing: fc.constantFrom(0, 0.2, 1) }),
      }).map(({ x, t, args }) => ({ xs: [x, t], args }));
    }),
    ([x, t], o) => crossEntropy(x!, t!, { ...o, ignoreIndex: -1 })),
  c('gather (int32 index)', 'gather', gatherInputs(), ([x, index], { axis }) => gather(x!, axis, index!)),
  c('indexSelect (ids of rank 0–2)', 'indexSelect', indexSelectInputs({ repeated: false }), ([x, ids], { axis }) => indexSelect(x!, axis, ids!)),
  c('indexSelect (repeated ids)', 'indexSelect', indexSelectInputs({ repeated: true }), ([x, ids], { axis }) => indexSelect(x!, axis, ids!)),
  // NOTE: through float32 a 1e-6 step is lost to rounding; on a 1/64 grid a 2⁻⁸ step is exact
  // in float32, and the function is bilinear, so central differences stay exact.
  c('cast (float64 → float32 mul → float64)', 'cast', tensors(any.map(([s]) => [s!, s!]), float32Grid),
    ([x, w]) => cast(mul(cast(x!, 'float32'), cast(w!, 'float32')), 'float64'), { eps: 2 ** -8 }),
];
