// Converters of autograd's primitives to ONNX nodes: elementwise, reductions and the softmax family,
// matmul, and the ops that move elements. Each reads the op's attrs as the op itself defines them.
import * as K from '@unroll/core';
import type { Range } from '@unroll/core';
import type { AxesOptions, DType } from '@unroll/autograd';
import type { ConvertContext } from '../context.js';
import { constantPoly } from '../dims.js';
import { elemTypeOf } from '../proto.js';

export type Converter = (ctx: ConvertContext) => void;

/** An op with one ONNX counterpart taking the same inputs in the same order. */
const direct = (opType: string): Converter => (ctx) => {
  ctx.output(0, ctx.b.one(opType, ctx.op.inputs.map((_, k) => ctx.input(k))));
};

const rankOf = (ctx: ConvertContext, k = 0) => ctx.tensor(k)!.rank;

/** Reduction axes as ONNX wants them: an attribute before opset 18 for ReduceMax/LogSumExp, an input for ReduceSum (13+) and all from 18. */
function reduce(ctx: ConvertContext, opType: string, axes: readonly number[] | null, keepdims: boolean): string {
  const x = ctx.input(0);
  const attrs = { keepdims: { int: keepdims ? 1 : 0 } };
  if (axes === null) return ctx.b.one(opType, [x], attrs);
  if (opType === 'ReduceSum' || ctx.opset >= 18) return ctx.b.one(opType, [x, ctx.b.int64s(axes)], attrs);
  return ctx.b.one(opType, [x], { ...attrs, axes: { ints: axes } });
}

function axesOf(ctx: ConvertContext, axes: AxesOptions['axes']): number[] | null {
  if (axes === undefined) return null;
  return K.normalizeAxes('reduce', axes, rankOf(ctx));
}

/** Swaps the last two axes (matmul's transA / transB). */
function transposeLast(ctx: ConvertContext, name: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return ctx.b.one('Transpose', [name], { perm: { ints: perm } });
}

export const primitiveConverters: Record<string, Converter> = {
  add: direct('Add'),
  sub: direct('Sub'),
  mul: direct('Mul'),
  div: direct('Div'),
  pow: direct('Pow'),
  neg: direct('Neg'),
  exp: direct('Exp'),
  log: direct('Log'),
  sqrt: direct('Sqrt'),
  abs: direct('Abs'),
  tanh: direct('Tanh'),
  sigmoid: direct('Sigmoid'),
  relu: direct('Relu'),
  softplus: (ctx) => {
    if (ctx.tensor(0)!.dtype === 'float32') return ctx.output(0, ctx.b.one('Softplus', [ctx.input(0)]));
    // onnxruntime has Softplus in float32 only. In float64: relu(x) + log1p(e^(−|x|)), with
    // log1p(e) = e·ln(u)/(u − 1), u = 1 + e (Goldberg's trick: accurate where ln(1 + e) is not).
    const b = ctx.b, x = ctx.input(0), one = b.constant('float64', [], [1]);
    const e = b.one('Exp', [b.one('Neg', [b.one('Abs', [x])])]);
    const u = b.one('Add', [one, e]), d = b.one('Sub', [u, one]);
    const zero = b.one('Equal', [d, b.constant('float64', [], [0])]);
    const log1p = b.one('Where', [zero, e, b.one('Div', [b.one('Mul', [e, b.one('Log', [u])]), d])]);
    ctx.output(0, b.one('Add', [b.one('Relu', [x]), log1p]));
  },

  clamp: (ctx) => {
    const { min, max } = ctx.op.attrs as { min: number; max: number };
    const elem = ctx.tensor(0)!.dtype as 'float32';
    const bound = (v: number) => (Number.isFinite(v) ? ctx.b.constant(elem, [], [v]) : '');
    ctx.output(0, ctx.b.one('Clip', [ctx.input(0), bound(min), bound(max)]));
  },

  where: (ctx) => {
    // The condition is "nonzero" of an int32 or float tensor: Cast to bool says exactly that.
    const cond = ctx.b.one('Cast', [ctx.input(0)], { to: { int: 9 } });
    ctx.output(0, ctx.b.one('Where', [cond, ctx.input(1), ctx.input(2)]));
  },

  sum: (ctx) => {
    const a = ctx.op.attrs as AxesOptions;
    const axes = axesOf(ctx, a.axes);
    // An empty axes list reduces nothing (autograd's sum with axes: []): a copy.
    if (axes !== null && axes.length === 0) return ctx.output(0, ctx.b.one('Identity', [ctx.input(0)]));
    ctx.output(0, reduce(ctx, 'ReduceSum', axes, a.keepdims ?? false));
  },

  max: (ctx) => {
    const a = ctx.op.attrs as AxesOptions;
    const axes = axesOf(ctx, a.axes);
    if (axes !== null && axes.length === 0) return ctx.output(0, ctx.b.one('Identity', [ctx.input(0)]));
    ctx.output(0, reduce(ctx, 'ReduceMax', axes, a.keepdims ?? false));
  },

  logsumexp: (ctx) => {
    const { axis, keepdims } = ctx.op.attrs as { axis: number; keepdims: boolean };
    ctx.output(0, reduce(ctx, 'ReduceLogSumExp', [K.normalizeAxis('logsumexp', axis, rankOf(ctx))], keepdims));
  },

  softmax: (ctx) => {
    ctx.output(0, ctx.b.one('Softmax', [ctx.input(0)], { axis: { int: (ctx.op.attrs as { axis: number }).axis } }));
  },

  logSoftmax: (ctx) => {
    ctx.output(0, ctx.b.one('LogSoftmax', [ctx.input(0)], { axis: { int: (ctx.op.attrs as { axis: number }).axis } }));
  },

  matmul: (ctx) => {
    const { transA = false, transB = false } = ctx.op.attrs as K.MatmulOptions;
    const a = transA ? transposeLast(ctx, ctx.input(0), rankOf(ctx, 0)) : ctx.input(0);
    const b = transB ? transposeLast(ctx, ctx.input(1), rankOf(ctx, 1)) : ctx.input(1);
    ctx.output(0, ctx.b.one('MatMul', [a, b]));
  },

  reshape: (ctx) => {
    ctx.consume('shape');
    ctx.output(0, ctx.b.one('Reshape', [ctx.input(0), ctx.shapeTensor(ctx.outputShape(0))]));
  },

  expand: (ctx) => {
    ctx.consume('shape');
    ctx.output(0, ctx.b.one('Expand', [ctx.input(0), ctx.shapeTensor(ctx.outputShape(0))]));
  },

  permute: (ctx) => {
    const { axes } = ctx.op.attrs as { axes: readonly number[] };
    const rank = rankOf(ctx);
    ctx.output(0, ctx.b.one('Transpose', [ctx.input(0)], { perm: { ints: axes.map((a) => K.normalizeAxis('permute', a, rank)) } }));
  },

  slice: (ctx) => {
    ctx.consume('ranges');
    const { ranges } = ctx.op.attrs as { ranges: readonly (Range | undefined)[] };
    const axes: number[] = [];
    ranges.forEach((r, axis) => { if (r) axes.push(axis); });
    if (axes.length === 0) return ctx.output(0, ctx.b.one('Identity', [ctx.input(0)]));
    // Resolved as the op resolves them (Python's slice.indices), in every recording, so a stop at a
    // dynamic axis's end follows it.
    const resolved = (axis: number, part: 'start' | 'stop' | 'step') => ctx.dim((o) => {
      const r = (o.attrs as { ranges: readonly (Range | undefined)[] }).ranges[axis]!;
      return K.resolveRange('slice', r, o.inputs[0]!.shape[axis]!)[part];
    }, `the slice's ${part} on axis ${axis}`);
    const starts = axes.map((a) => resolved(a, 'start')), ends = axes.map((a) => resolved(a, 'stop'));
    const steps = axes.map((a) => resolved(a, 'step'));
    ctx.output(0, ctx.b.one('Slice', [ctx.input(0), ctx.shapeTensor(starts), ctx.shapeTensor(ends),
      ctx.shapeTensor(axes.map(constantPoly)), ctx.shapeTensor(steps)]));
  },

  concat: (ctx) => {
    ctx.output(0, ctx.b.one('Concat', ctx.op.inputs.map((_, k) => ctx.input(k)), { axis: { int: (ctx.op.attrs as { axis: number }).axis } }));
  },

  gather: (ctx) => {
    // torch.gather is ONNX GatherElements; int32 indices are accepted as they are.
    ctx.output(0, ctx.b.one('GatherElements', [ctx.input(0), ctx.input(1)], { axis: { int: (ctx.op.attrs as { axis: number }).axis } }));
  },

  indexSelect: (ctx) => {
    ctx.output(0, ctx.b.one('Gather', [ctx.input(0), ctx.input(1)], { axis: { int: (ctx.op.attrs as { axis: number }).axis } }));
  },

  softmaxCrossEntropy: (ctx) => {
    // crossEntropy's fused op. Its targets, ignore mask, smoothing and scale are attrs read from the
    // targets' values when it ran, so they enter the graph as constants (as the example's targets did in
    // the composed loss); another recording with other targets differs in them and is refused.
    const { ids, keep, smoothing, scale } = ctx.op.attrs as {
      ids: Int32Array; keep: Int32Array; smoothing: number; scale: number | null;
    };
    const b = ctx.b, elem = ctx.tensor(0)!.dtype as 'float32' | 'float64';
    const [rows, classes] = ctx.tensor(0)!.shape as [number, number];
    const logProbs = b.one('LogSoftmax', [ctx.input(0)], { axis: { int: 1 } });
    const picked = b.one('GatherElements', [logProbs, b.constant('int64', [rows, 1], Array.from(ids))], { axis: { int: 1 } });
    // −(1 − ε)·log p_t − (ε/C)·Σ_c log p_c, then 0 where the target is ignored: [rows, 1].
    let loss = b.one('Neg', [picked]);
    if (smoothing > 0) {
      const total = b.one('ReduceSum', [logProbs, b.int64s([1])], { keepdims: { int: 1 } });
      loss = b.one('Sub', [b.one('Mul', [loss, b.constant(elem, [], [1 - smoothing])]),
        b.one('Mul', [total, b.constant(elem, [], [smoothing / classes])])]);
    }
    const perRow = b.one('Reshape', [b.one('Mul', [loss, b.constant(elem, [rows, 1], Array.from(keep))]), b.int64s([rows])]);
    if (scale === null) return ctx.output(0, perRow);
    ctx.output(0, b.one('Mul', [b.one('ReduceSum', [perRow], { keepdims: { int: 0 } }), b.constant(elem, [], [scale])]));
  },

  cast: (ctx) => {
    ctx.output(0, ctx.b.one('Cast', [ctx.input(0)], { to: { int: elemTypeOf((ctx.op.attrs as { dtype: DType }).dtype) } }));
  },
};
