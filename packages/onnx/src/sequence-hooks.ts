// While exporting, the built-in cells run a whole sequence as ONE recorded op even where they would
// otherwise compose it step by step (LSTM variants, `fused: false`, RNNCell), so that ONNX's LSTM,
// GRU and RNN nodes can say it. The values are still computed by the cell's own composed steps.
import { Tensor, full, trace } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell, unroll } from '@unroll/rnn';
import type { FusedUnrollArgs, HiddenState, LSTMState, RecurrentCell, UnrollResult } from '@unroll/rnn';

/** An ONNX activation name, or null when a function is not one of the built-in activations. */
export type OnnxActivation = 'Sigmoid' | 'Tanh' | 'Relu' | 'Affine';

/** A whole-sequence op recorded by the exporter itself (no autograd op behind it). */
export interface SequenceOp {
  readonly op: 'onnx.lstm' | 'onnx.gru' | 'onnx.rnn';
  readonly attrs: SequenceAttrs;
  readonly inputNames: readonly string[];
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
}

/** What a recorded sequence op needs besides its tensors. */
export interface SequenceAttrs {
  readonly batchFirst: boolean;
  readonly reverse: boolean;
  readonly lengths: Int32Array | null;
  /** LSTM: f = 1 − i (CIFG). */
  readonly inputForget?: boolean;
  /** GRU: reset applied after the recurrent product (PyTorch's form). */
  readonly resetAfter?: boolean;
  /** ONNX activations in ONNX's order: LSTM f, g, h (σ_g, σ_c, σ_h); GRU f, g; RNN f. */
  readonly activations: readonly OnnxActivation[];
}

type Emit = (op: SequenceOp) => void;
// `this` is whichever cell class the hook is installed on (three of them).
type Fused<S> = (this: any, xs: Tensor, args: FusedUnrollArgs<S>) => UnrollResult<S> | null;

/** Which built-in activation `f` is, found by applying it to a probe under a private trace. */
export function activationName(f: unknown, dtype: 'float32' | 'float64'): OnnxActivation | null {
  if (typeof f !== 'function') return null;
  const probe = full([1, 1], 0.5, { dtype });
  const seen: { op: string; input: unknown; output: unknown }[] = [];
  let out: unknown;
  try {
    trace(() => { out = (f as (x: Tensor) => unknown)(probe); }, (t) => seen.push({ op: t.op, input: t.inputs[0], output: t.outputs[0] }));
  } catch {
    return null;
  }
  if (out === probe && seen.length === 0) return 'Affine'; // identity: α = 1, β = 0
  const only = seen.length === 1 ? seen[0]! : null;
  if (!only || only.input !== probe || only.output !== out) return null;
  return ({ sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' } as Record<string, OnnxActivation>)[only.op] ?? null;
}

/** Runs the cell's composed steps over the sequence, hiding their ops from the exporter's trace. */
function composed<S>(cell: RecurrentCell<S>, xs: Tensor, args: FusedUnrollArgs<S>): UnrollResult<S> {
  // A plain protocol object: `unroll` must step it, not call back into fusedUnroll.
  const plain: RecurrentCell<S> = {
    inputSize: cell.inputSize,
    outputSize: cell.outputSize,
    initialState: (b, o) => cell.initialState(b, o),
    step: (s, x) => cell.step(s, x),
  };
  const opts = { batchFirst: args.batchFirst, reverse: args.reverse, initialState: args.initialState, lengths: args.lengths ?? undefined };
  return trace(() => unroll(plain, xs, opts), () => {});
}

const baseAttrs = (args: FusedUnrollArgs<unknown>) => ({
  batchFirst: args.batchFirst, reverse: args.reverse, lengths: args.lengths ? Int32Array.from(args.lengths) : null,
});

/**
 * Installs the export-time `fusedUnroll` of LSTMCell, GRUCell and RNNCell; returns the function that
 * restores the originals. Subclasses that redefine `step` are left to the runner (their ops are exported).
 */
export function installSequenceHooks(emit: Emit): () => void {
  const lstmProto = LSTMCell.prototype as unknown as { fusedUnroll: Fused<LSTMState> };
  const gruProto = GRUCell.prototype as unknown as { fusedUnroll: Fused<HiddenState> };
  const rnnProto = RNNCell.prototype as unknown as { fusedUnroll?: Fused<HiddenState> };
  const lstmOriginal = lstmProto.fusedUnroll, gruOriginal = gruProto.fusedUnroll;
  const rnnHad = Object.hasOwn(rnnProto, 'fusedUnroll'), rnnOriginal = rnnProto.fusedUnroll;

  lstmProto.fusedUnroll = function (this: LSTMCell, xs, args) {
    if (this.step !== LSTMCell.prototype.step) return null;
    if (this.fused && this.fusable) return lstmOriginal.call(this, xs, args); // one lstmSequence op
    const acts = (['gateAct', 'cellAct', 'hiddenAct'] as const).map((k) => activationName((this as unknown as Record<string, unknown>)[k], this.dtype as 'float32'));
    // ONNX's LSTM always has a forget gate (own or coupled); an activation it cannot name is a user function.
    if (!this.forgetGate || acts.some((a) => a === null)) return null;
    const r = composed(this, xs, args);
    emit({
      op: 'onnx.lstm',
      attrs: { ...baseAttrs(args), inputForget: this.coupledGates, activations: acts as OnnxActivation[] },
      inputNames: ['x', 'h0', 'c0', 'weightIh', 'weightHh', 'biasIh', 'biasHh', 'weightCi', 'weightCf', 'weightCo'],
      inputs: [xs, args.initialState.h, args.initialState.c, this.weightIh, this.weightHh, this.biasIh, this.biasHh,
        this.weightCi, this.weightCf, this.weightCo],
      outputs: [r.outputs, r.state.h, r.state.c],
    });
    return r;
  };

  gruProto.fusedUnroll = function (this: GRUCell, xs, args) {
    if (this.step !== GRUCell.prototype.step) return null;
    if (this.fused) return gruOriginal.call(this, xs, args); // one gruSequence op
    const r = composed(this, xs, args);
    emit({
      op: 'onnx.gru',
      attrs: { ...baseAttrs(args), resetAfter: this.resetAfter, activations: ['Sigmoid', 'Tanh'] },
      inputNames: ['x', 'h0', 'weightIh', 'weightHh', 'biasIh', 'biasHh'],
      inputs: [xs, args.initialState.h, this.weightIh, this.weightHh, this.biasIh, this.biasHh],
      outputs: [r.outputs, r.state.h],
    });
    return r;
  };

  rnnProto.fusedUnroll = function (this: RNNCell, xs, args) {
    if (this.step !== RNNCell.prototype.step) return null;
    const r = composed(this, xs, args);
    emit({
      op: 'onnx.rnn',
      attrs: { ...baseAttrs(args), activations: [this.nonlinearity === 'relu' ? 'Relu' : 'Tanh'] },
      inputNames: ['x', 'h0', 'weightIh', 'weightHh', 'biasIh', 'biasHh'],
      inputs: [xs, args.initialState.h, this.weightIh, this.weightHh, this.biasIh, this.biasHh],
      outputs: [r.outputs, r.state.h],
    });
    return r;
  };

  return () => {
    lstmProto.fusedUnroll = lstmOriginal;
    gruProto.fusedUnroll = gruOriginal;
    if (rnnHad) rnnProto.fusedUnroll = rnnOriginal;
    else delete rnnProto.fusedUnroll;
  };
}
