// Converters of the recurrent ops: whole-sequence ops become ONNX LSTM / GRU / RNN nodes (gate
// blocks reordered in the graph, so the initializers keep PyTorch's layout and state-dict names);
// the fused single-step ops become their pointwise equations.
import type { ConvertContext } from '../context.js';
import type { OnnxActivation, SequenceAttrs } from '../sequence-hooks.js';
import type { RecordedOp } from '../record.js';
import type { Converter } from './primitives.js';

type Kind = 'LSTM' | 'GRU' | 'RNN';

/** A state input: zeros made inside the function can be left out (ONNX's default); `name` emits it anyway. */
interface StateInput {
  zeros: boolean;
  name: () => string;
}

/** One direction of a sequence layer, whatever op recorded it. Names are ONNX value names ('' when absent). */
interface Layer {
  kind: Kind;
  /** x [T, B, I] (or [B, T, I] when batchFirst). */
  x: string;
  batchFirst: boolean;
  hidden: number;
  h0: StateInput;
  c0: StateInput | null;
  weightIh: string;
  weightHh: string;
  biasIh: string;
  biasHh: string;
  /** LSTM peepholes i, f, o ([H] each; f may be '' when there is no independent forget gate). */
  peep: [string, string, string] | null;
  reverse: boolean;
  seqLens: string;
  inputForget: boolean;
  linearBeforeReset: boolean;
  activations: readonly OnnxActivation[];
}

// Our gate order → ONNX's: LSTM i|f|g|o → i|o|f|c, GRU r|z|n → z|r|h.
const ORDER: Record<Kind, readonly number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] };

/** The gate blocks of a [G·H, …] weight or [G·H] bias, in `order`, as a new tensor. */
function reorder(ctx: ConvertContext, name: string, order: readonly number[], H: number): string {
  if (order.length === 1) return name;
  const blocks = order.map((g) => ctx.b.one('Slice', [name, ctx.b.int64s([g * H]), ctx.b.int64s([(g + 1) * H]), ctx.b.int64s([0])]));
  return ctx.b.one('Concat', blocks, { axis: { int: 0 } });
}

const unsqueeze0 = (ctx: ConvertContext, name: string) => ctx.b.one('Unsqueeze', [name, ctx.b.int64s([0])]);
const squeeze = (ctx: ConvertContext, name: string, axis: number) => ctx.b.one('Squeeze', [name, ctx.b.int64s([axis])]);

/** Stacks one [..] tensor per direction into [directions, ..]. */
function perDirection(ctx: ConvertContext, names: readonly string[]): string {
  const parts = names.map((n) => unsqueeze0(ctx, n));
  return parts.length === 1 ? parts[0]! : ctx.b.one('Concat', parts, { axis: { int: 0 } });
}

/**
 * Emits ONE ONNX LSTM/GRU/RNN node for a layer's directions (one, or forward and reverse of a
 * bidirectional layer); returns, per direction, [outputs [T, B, H] (or batch-first), h_T, c_T].
 */
function emitLayer(ctx: ConvertContext, dirs: readonly Layer[]): string[][] {
  const l = dirs[0]!, D = dirs.length;
  const order = ORDER[l.kind], H = l.hidden;
  const X = l.batchFirst ? ctx.b.one('Transpose', [l.x], { perm: { ints: [1, 0, 2] } }) : l.x;
  const W = perDirection(ctx, dirs.map((d) => reorder(ctx, d.weightIh, order, H)));
  const R = perDirection(ctx, dirs.map((d) => reorder(ctx, d.weightHh, order, H)));
  const B = l.biasIh ? perDirection(ctx, dirs.map((d) =>
    ctx.b.one('Concat', [reorder(ctx, d.biasIh, order, H), reorder(ctx, d.biasHh, order, H)], { axis: { int: 0 } }))) : '';
  const initial = (states: (StateInput | null)[]) => (states.every((s) => s!.zeros) ? '' : perDirection(ctx, states.map((s) => s!.name())));
  const inputs = [X, W, R, B, l.seqLens, initial(dirs.map((d) => d.h0))];
  if (l.kind === 'LSTM') {
    inputs.push(initial(dirs.map((d) => d.c0)));
    if (l.peep) {
      const dtype = ctx.tensor(ctx.named('weightIh'))!.dtype as 'float32';
      // ONNX's P is i|o|f; without an independent forget gate the f part is never read (f = 1 − i).
      inputs.push(perDirection(ctx, dirs.map((d) => {
        const [pi, pf, po] = d.peep!;
        return ctx.b.one('Concat', [pi, po, pf || ctx.b.constant(dtype, [H], new Array(H).fill(0))], { axis: { int: 0 } });
      })));
    }
  }
  const activations = dirs.flatMap((d) => d.activations);
  const attrs: Parameters<typeof ctx.b.node>[2] = {
    hidden_size: { int: H },
    direction: { string: D === 2 ? 'bidirectional' : l.reverse ? 'reverse' : 'forward' },
    activations: { strings: activations },
  };
  // Affine(x) = α·x + β is how ONNX says identity: α = 1, β = 0 for each one used.
  const affine = activations.filter((a) => a === 'Affine').length;
  if (affine) {
    attrs.activation_alpha = { floats: new Array(affine).fill(1) };
    attrs.activation_beta = { floats: new Array(affine).fill(0) };
  }
  if (l.kind === 'LSTM' && l.inputForget) attrs.input_forget = { int: 1 };
  if (l.kind === 'GRU') attrs.linear_before_reset = { int: l.linearBeforeReset ? 1 : 0 };
  const outs = ctx.b.node(l.kind, inputs, attrs, l.kind === 'LSTM' ? 3 : 2);
  // Y is [T, directions, B, H]; Y_h and Y_c are [directions, B, H]: pick direction d.
  const pick = (name: string, axis: number, d: number) =>
    D === 1 ? squeeze(ctx, name, axis) : ctx.b.one('Gather', [name, ctx.b.constant('int64', [], [d])], { axis: { int: axis } });
  return dirs.map((_, d) => {
    let y = pick(outs[0]!, 1, d);
    if (l.batchFirst) y = ctx.b.one('Transpose', [y], { perm: { ints: [1, 0, 2] } });
    return [y, ...outs.slice(1).map((o) => pick(o, 0, d))];
  });
}

const lengthsOf = (o: RecordedOp) => (o.attrs as { lengths: Int32Array | null }).lengths;
const state = (ctx: ConvertContext, k: number): StateInput => ({ zeros: ctx.isZeros(k), name: () => ctx.input(k) });
const bind = (ctx: ConvertContext, outs: string[]) => outs.forEach((name, k) => ctx.output(k, name));

/** The layer an op describes: the fused ops (absent inputs are placeholders, told apart by attrs; x time-major) or the hooked ones. */
function layerOf(ctx: ConvertContext, withX = true): Layer {
  const seqLens = ctx.lengths(lengthsOf);
  const k = (name: string) => ctx.named(name);
  const opt = (name: string) => (ctx.has(name) ? ctx.input(k(name)) : ''); // absent optional inputs
  const x = withX ? ctx.input(k('x')) : ''; // a bidirectional layer's reverse direction reads the forward's x
  const common = {
    x, hidden: ctx.tensor(k('weightHh'))!.shape[1]!, h0: state(ctx, k('h0')), weightIh: ctx.input(k('weightIh')),
    weightHh: ctx.input(k('weightHh')), biasIh: opt('biasIh'), biasHh: opt('biasHh'), seqLens,
  };
  const peep = (): Layer['peep'] => (ctx.has('weightCi') ? [opt('weightCi'), opt('weightCf'), opt('weightCo')] : null);
  const a = ctx.op.attrs as { reverse: boolean };
  switch (ctx.op.op) {
    case 'lstmSequence': // the fused ops take x time-major
      return {
        ...common, kind: 'LSTM', batchFirst: false, c0: state(ctx, k('c0')), peep: peep(),
        reverse: a.reverse, inputForget: false, linearBeforeReset: false, activations: ['Sigmoid', 'Tanh', 'Tanh'],
      };
    case 'gruSequence':
      return {
        ...common, kind: 'GRU', batchFirst: false, c0: null, peep: null, reverse: a.reverse, inputForget: false,
        // The fused op's form: reset after the recurrent product unless told otherwise (its default).
        linearBeforeReset: (ctx.op.attrs as { resetAfter?: boolean }).resetAfter ?? true, activations: ['Sigmoid', 'Tanh'],
      };
    default: {
      // Recorded by the exporter's own hooks (LSTM variants, fused: false, RNNCell).
      const h = ctx.op.attrs as SequenceAttrs;
      const kind: Kind = ctx.op.op === 'onnx.lstm' ? 'LSTM' : ctx.op.op === 'onnx.gru' ? 'GRU' : 'RNN';
      return {
        ...common, kind, batchFirst: h.batchFirst, c0: kind === 'LSTM' ? state(ctx, k('c0')) : null, peep: kind === 'LSTM' ? peep() : null,
        reverse: h.reverse, inputForget: h.inputForget ?? false, linearBeforeReset: h.resetAfter ?? false, activations: h.activations,
      };
    }
  }
}

const sequence: Converter = (ctx) => bind(ctx, emitLayer(ctx, [layerOf(ctx)])[0]!);

/** The forward and reverse directions of one bidirectional layer, as one ONNX node (see `bidirectionalPairs`). */
export function convertBidirectional(forward: ConvertContext, reverse: ConvertContext): void {
  const f = layerOf(forward), r = layerOf(reverse, false);
  const [outF, outR] = emitLayer(forward, [f, r]);
  bind(forward, outF!);
  bind(reverse, outR!);
}

/** The ops that run a whole sequence layer (one direction). */
export const SEQUENCE_OPS = ['lstmSequence', 'gruSequence', 'onnx.lstm', 'onnx.gru', 'onnx.rnn'];

/**
 * Pairs (i, j) of sequence ops that are the forward and reverse direction of one layer: the same op
 * and options on the same input (or on the same input permuted alike, batch-first), the same
 * lengths, and every input of j already there at i. Each pair becomes one bidirectional ONNX node.
 */
export function bidirectionalPairs(ops: readonly RecordedOp[]): Map<number, number> {
  const producer = new Map<unknown, number>();
  ops.forEach((o, i) => o.outputs.forEach((t) => producer.set(t, i)));
  const sameX = (a: unknown, b: unknown) => {
    if (a === b) return true;
    const pa = producer.get(a), pb = producer.get(b);
    if (pa === undefined || pb === undefined) return false;
    const oa = ops[pa]!, ob = ops[pb]!;
    return oa.op === 'permute' && ob.op === 'permute' && oa.inputs[0] === ob.inputs[0] && JSON.stringify(oa.attrs) === JSON.stringify(ob.attrs);
  };
  const options = (o: RecordedOp) => {
    const { reverse: _r, lengths: _l, record: _rec, ...rest } = o.attrs as Record<string, unknown>;
    return JSON.stringify(rest);
  };
  const sameLengths = (a: RecordedOp, b: RecordedOp) => {
    const la = lengthsOf(a), lb = lengthsOf(b);
    return la === lb || (!!la && !!lb && la.length === lb.length && la.every((v, k) => v === lb[k]));
  };
  const pairs = new Map<number, number>();
  const taken = new Set<number>();
  ops.forEach((o, i) => {
    if (!SEQUENCE_OPS.includes(o.op) || (o.attrs as { reverse: boolean }).reverse || taken.has(i)) return;
    for (let j = i + 1; j < ops.length; j++) {
      const p = ops[j]!;
      if (taken.has(j) || p.op !== o.op || !(p.attrs as { reverse: boolean }).reverse) continue;
      const ready = p.inputs.every((t, k) => k === 0 || t === null || (producer.get(t) ?? -1) < i);
      const shapes = p.inputNames.join() === o.inputNames.join() && p.inputs.every((t, k) => (t === null) === (o.inputs[k] === null) && (!t || t.shape.join() === o.inputs[k]!.shape.join()));
      if (sameX(o.inputs[0], p.inputs[0]) && options(o) === options(p) && sameLengths(o, p) && ready && shapes) {
        pairs.set(i, j);
        taken.add(j);
        break;
      }
    }
  });
  return pairs;
}

/** Columns [k·H, (k+1)·H) of a [B, G·H] tensor. */
const block = (ctx: ConvertContext, name: string, k: number, H: number) =>
  ctx.b.one('Slice', [name, ctx.b.int64s([k * H]), ctx.b.int64s([(k + 1) * H]), ctx.b.int64s([1])]);

/** lstmStep: the LSTM cell's pointwise step on precomputed gates [B, 4H] (i|f|g|o). */
const lstmStep: Converter = (ctx) => {
  const k = (name: string) => ctx.named(name);
  const peephole = ctx.has('weightCi');
  const b = ctx.b, H = ctx.tensor(k('c'))!.shape[1]!;
  const gates = ctx.input(k('gates')), c = ctx.input(k('c'));
  let [ai, af, ag, ao] = [0, 1, 2, 3].map((k) => block(ctx, gates, k, H)) as [string, string, string, string];
  if (peephole) {
    ai = b.one('Add', [ai, b.one('Mul', [c, ctx.input(k('weightCi'))])]);
    af = b.one('Add', [af, b.one('Mul', [c, ctx.input(k('weightCf'))])]);
  }
  const i = b.one('Sigmoid', [ai]), f = b.one('Sigmoid', [af]), g = b.one('Tanh', [ag]);
  const cNext = b.one('Add', [b.one('Mul', [f, c]), b.one('Mul', [i, g])]);
  if (peephole) ao = b.one('Add', [ao, b.one('Mul', [cNext, ctx.input(k('weightCo'))])]);
  const h = b.one('Mul', [b.one('Sigmoid', [ao]), b.one('Tanh', [cNext])]);
  bind(ctx, [h, cNext]);
};

/** gruStep (reset-after): gi = x·W_ihᵀ + b_ih, gh = h·W_hhᵀ + b_hh, both [B, 3H] (r|z|n). */
const gruStep: Converter = (ctx) => {
  const k = (name: string) => ctx.named(name);
  const b = ctx.b, H = ctx.tensor(k('h'))!.shape[1]!;
  const gi = ctx.input(k('gi')), gh = ctx.input(k('gh')), h = ctx.input(k('h'));
  const r = b.one('Sigmoid', [b.one('Add', [block(ctx, gi, 0, H), block(ctx, gh, 0, H)])]);
  const z = b.one('Sigmoid', [b.one('Add', [block(ctx, gi, 1, H), block(ctx, gh, 1, H)])]);
  const n = b.one('Tanh', [b.one('Add', [block(ctx, gi, 2, H), b.one('Mul', [r, block(ctx, gh, 2, H)])])]);
  // h' = n + z ⊙ (h − n), as the cell writes it.
  bind(ctx, [b.one('Add', [n, b.one('Mul', [z, b.one('Sub', [h, n])])])]);
};

export const recurrentConverters: Record<string, Converter> = {
  ...Object.fromEntries(SEQUENCE_OPS.map((op) => [op, sequence])),
  lstmStep,
  gruStep,
};
