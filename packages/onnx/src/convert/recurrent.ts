// Converters of the recurrent ops: whole-sequence ops become ONNX LSTM / GRU / RNN nodes (gate
// blocks reordered in the graph, so the initializers keep PyTorch's layout and state-dict names);
// the fused single-step ops become their pointwise equations.
import type { ConvertContext } from '../context.js';
import type { OnnxActivation, SequenceAttrs } from '../sequence-hooks.js';
import type { RecordedOp } from '../record.js';
import type { Converter } from './primitives.js';

type Kind = 'LSTM' | 'GRU' | 'RNN';

/** One sequence layer, whatever op recorded it. Names are ONNX value names ('' when absent). */
interface Layer {
  kind: Kind;
  /** x [T, B, I] (or [B, T, I] when batchFirst). */
  x: string;
  batchFirst: boolean;
  hidden: number;
  h0: string;
  c0: string;
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

/** Emits one ONNX LSTM/GRU/RNN node for a layer; returns [outputs [T, B, H] (or batch-first), h_T, c_T]. */
function emitLayer(ctx: ConvertContext, l: Layer): string[] {
  const order = ORDER[l.kind], H = l.hidden;
  const X = l.batchFirst ? ctx.b.one('Transpose', [l.x], { perm: { ints: [1, 0, 2] } }) : l.x;
  const W = unsqueeze0(ctx, reorder(ctx, l.weightIh, order, H));
  const R = unsqueeze0(ctx, reorder(ctx, l.weightHh, order, H));
  const B = l.biasIh ? unsqueeze0(ctx, ctx.b.one('Concat', [reorder(ctx, l.biasIh, order, H), reorder(ctx, l.biasHh, order, H)], { axis: { int: 0 } })) : '';
  const inputs = [X, W, R, B, l.seqLens, l.h0 ? unsqueeze0(ctx, l.h0) : ''];
  if (l.kind === 'LSTM') {
    inputs.push(l.c0 ? unsqueeze0(ctx, l.c0) : '');
    if (l.peep) {
      const dtype = ctx.tensor(0)!.dtype as 'float32';
      // ONNX's P is i|o|f; without an independent forget gate the f part is never read (f = 1 − i).
      const [pi, pf, po] = l.peep;
      inputs.push(unsqueeze0(ctx, ctx.b.one('Concat', [pi, po, pf || ctx.b.constant(dtype, [H], new Array(H).fill(0))], { axis: { int: 0 } })));
    }
  }
  const attrs: Parameters<typeof ctx.b.node>[2] = {
    hidden_size: { int: H },
    direction: { string: l.reverse ? 'reverse' : 'forward' },
    activations: { strings: l.activations },
  };
  // Affine(x) = α·x + β is how ONNX says identity: α = 1, β = 0 for each one used.
  const affine = l.activations.filter((a) => a === 'Affine').length;
  if (affine) {
    attrs.activation_alpha = { floats: new Array(affine).fill(1) };
    attrs.activation_beta = { floats: new Array(affine).fill(0) };
  }
  if (l.kind === 'LSTM' && l.inputForget) attrs.input_forget = { int: 1 };
  if (l.kind === 'GRU') attrs.linear_before_reset = { int: l.linearBeforeReset ? 1 : 0 };
  const outs = ctx.b.node(l.kind, inputs, attrs, l.kind === 'LSTM' ? 3 : 2);
  // Y is [T, directions, B, H]; Y_h and Y_c are [directions, B, H].
  let y = squeeze(ctx, outs[0]!, 1);
  if (l.batchFirst) y = ctx.b.one('Transpose', [y], { perm: { ints: [1, 0, 2] } });
  return [y, ...outs.slice(1).map((o) => squeeze(ctx, o, 0))];
}

const lengthsOf = (o: RecordedOp) => (o.attrs as { lengths: Int32Array | null }).lengths;
const hiddenOf = (ctx: ConvertContext, k: number) => ctx.tensor(k)!.shape[1]!;
const state = (ctx: ConvertContext, k: number) => (ctx.isZeros(k) ? '' : ctx.input(k));
const bind = (ctx: ConvertContext, outs: string[]) => outs.forEach((name, k) => ctx.output(k, name));

/** lstmSequence (the fused op): x time-major; absent inputs are placeholders, told apart by attrs. */
const lstmSequence: Converter = (ctx) => {
  const a = ctx.op.attrs as { reverse: boolean; bias: boolean; peephole: boolean };
  bind(ctx, emitLayer(ctx, {
    kind: 'LSTM', x: ctx.input(0), batchFirst: false, hidden: hiddenOf(ctx, 4), h0: state(ctx, 1), c0: state(ctx, 2),
    weightIh: ctx.input(3), weightHh: ctx.input(4), biasIh: a.bias ? ctx.input(5) : '', biasHh: a.bias ? ctx.input(6) : '',
    peep: a.peephole ? [ctx.input(7), ctx.input(8), ctx.input(9)] : null,
    reverse: a.reverse, seqLens: ctx.lengths(lengthsOf), inputForget: false, linearBeforeReset: false,
    activations: ['Sigmoid', 'Tanh', 'Tanh'],
  }));
};

const gruSequence: Converter = (ctx) => {
  const a = ctx.op.attrs as { reverse: boolean; bias: boolean; resetAfter: boolean };
  bind(ctx, emitLayer(ctx, {
    kind: 'GRU', x: ctx.input(0), batchFirst: false, hidden: hiddenOf(ctx, 3), h0: state(ctx, 1), c0: '',
    weightIh: ctx.input(2), weightHh: ctx.input(3), biasIh: a.bias ? ctx.input(4) : '', biasHh: a.bias ? ctx.input(5) : '',
    peep: null, reverse: a.reverse, seqLens: ctx.lengths(lengthsOf), inputForget: false, linearBeforeReset: a.resetAfter,
    activations: ['Sigmoid', 'Tanh'],
  }));
};

/** The sequence ops the exporter recorded itself (LSTM variants, fused: false, RNNCell): null inputs are absent. */
const hooked = (kind: Kind): Converter => (ctx) => {
  const a = ctx.op.attrs as SequenceAttrs;
  const lstm = kind === 'LSTM';
  const w = lstm ? 3 : 2; // position of weightIh
  const opt = (k: number) => (ctx.tensor(k) ? ctx.input(k) : '');
  bind(ctx, emitLayer(ctx, {
    kind, x: ctx.input(0), batchFirst: a.batchFirst, hidden: hiddenOf(ctx, w + 1), h0: state(ctx, 1), c0: lstm ? state(ctx, 2) : '',
    weightIh: ctx.input(w), weightHh: ctx.input(w + 1), biasIh: opt(w + 2), biasHh: opt(w + 3),
    peep: lstm && ctx.tensor(7) ? [ctx.input(7), opt(8), ctx.input(9)] : null,
    reverse: a.reverse, seqLens: ctx.lengths(lengthsOf), inputForget: a.inputForget ?? false,
    linearBeforeReset: a.resetAfter ?? false, activations: a.activations,
  }));
};

/** Columns [k·H, (k+1)·H) of a [B, G·H] tensor. */
const block = (ctx: ConvertContext, name: string, k: number, H: number) =>
  ctx.b.one('Slice', [name, ctx.b.int64s([k * H]), ctx.b.int64s([(k + 1) * H]), ctx.b.int64s([1])]);

/** lstmStep: the LSTM cell's pointwise step on precomputed gates [B, 4H] (i|f|g|o). */
const lstmStep: Converter = (ctx) => {
  const { peephole } = ctx.op.attrs as { peephole: boolean };
  const b = ctx.b, H = ctx.tensor(1)!.shape[1]!;
  const gates = ctx.input(0), c = ctx.input(1);
  let [ai, af, ag, ao] = [0, 1, 2, 3].map((k) => block(ctx, gates, k, H)) as [string, string, string, string];
  if (peephole) {
    ai = b.one('Add', [ai, b.one('Mul', [c, ctx.input(2)])]);
    af = b.one('Add', [af, b.one('Mul', [c, ctx.input(3)])]);
  }
  const i = b.one('Sigmoid', [ai]), f = b.one('Sigmoid', [af]), g = b.one('Tanh', [ag]);
  const cNext = b.one('Add', [b.one('Mul', [f, c]), b.one('Mul', [i, g])]);
  if (peephole) ao = b.one('Add', [ao, b.one('Mul', [cNext, ctx.input(4)])]);
  const h = b.one('Mul', [b.one('Sigmoid', [ao]), b.one('Tanh', [cNext])]);
  bind(ctx, [h, cNext]);
};

/** gruStep (reset-after): gi = x·W_ihᵀ + b_ih, gh = h·W_hhᵀ + b_hh, both [B, 3H] (r|z|n). */
const gruStep: Converter = (ctx) => {
  const b = ctx.b, H = ctx.tensor(2)!.shape[1]!;
  const gi = ctx.input(0), gh = ctx.input(1), h = ctx.input(2);
  const r = b.one('Sigmoid', [b.one('Add', [block(ctx, gi, 0, H), block(ctx, gh, 0, H)])]);
  const z = b.one('Sigmoid', [b.one('Add', [block(ctx, gi, 1, H), block(ctx, gh, 1, H)])]);
  const n = b.one('Tanh', [b.one('Add', [block(ctx, gi, 2, H), b.one('Mul', [r, block(ctx, gh, 2, H)])])]);
  // h' = n + z ⊙ (h − n), as the cell writes it.
  bind(ctx, [b.one('Add', [n, b.one('Mul', [z, b.one('Sub', [h, n])])])]);
};

export const recurrentConverters: Record<string, Converter> = {
  lstmSequence,
  gruSequence,
  'onnx.lstm': hooked('LSTM'),
  'onnx.gru': hooked('GRU'),
  'onnx.rnn': hooked('RNN'),
  lstmStep,
  gruStep,
};
