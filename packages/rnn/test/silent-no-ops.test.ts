// Silent no-ops that trained nothing (issue 16 item 9): a cell that is a plain class holding tensors
// inside a container, and unknown or misplaced options to unroll, run and forward.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Module, Parameter, SGD, Tensor, concat, matmul, randUniform, tensor, zeros } from '@unroll/autograd';
import {
  Decoder, Encoder, LSTM, LSTMCell, Seq2Seq, bidirectional, cellLayer, chunks, identityBridge, stackCells, stackLayers, unroll,
} from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';

/** h' = tanh(x Wᵀ + h Uᵀ): a plain class (not a Module) holding its weights as properties, as users write. */
class PlainCell implements RecurrentCell<{ h: Tensor }> {
  readonly outputSize: number;
  readonly w: Tensor;
  readonly recurrent: { u: Tensor };
  constructor(readonly inputSize: number, hidden: number, g: RandomGenerator) {
    this.outputSize = hidden;
    this.w = randUniform([hidden, inputSize], -0.5, 0.5, { generator: g, requiresGrad: true });
    this.recurrent = { u: randUniform([hidden, hidden], -0.5, 0.5, { generator: g, requiresGrad: true }) };
  }
  initialState(batch: number) { return { h: zeros([batch, this.outputSize]) }; }
  step(state: { h: Tensor }, x: Tensor) {
    const h = matmul(x, this.w, { transB: true }).add(matmul(state.h, this.recurrent.u, { transB: true })).tanh();
    return { state: { h }, output: h };
  }
}

/** The same cell with its weights in a closure: no container can see them. */
function closureCell(inputSize: number, hidden: number, g: RandomGenerator): RecurrentCell<{ h: Tensor }> {
  const w = randUniform([hidden, inputSize], -0.5, 0.5, { generator: g, requiresGrad: true });
  return {
    inputSize, outputSize: hidden,
    initialState: (batch) => ({ h: zeros([batch, hidden]) }),
    step: (state, x) => { const h = matmul(x, w, { transB: true }).add(state.h).tanh(); return { state: { h }, output: h }; },
  };
}

describe('plain cells inside containers', () => {
  const g = new RandomGenerator(5);

  it('their tensors become parameters of stackCells, bidirectional, cellLayer and stackLayers, so an optimizer trains them', () => {
    const a = new PlainCell(3, 4, g), b = new PlainCell(4, 2, g);
    const stack = stackCells([a, b]);
    expect(stack.parameters()).toEqual([a.w, a.recurrent.u, b.w, b.recurrent.u]);
    expect(Object.keys(stack.stateDict())).toEqual(['0.w', '0.recurrent.u', '1.w', '1.recurrent.u']);
    const before = a.w.toArray();
    const opt = new SGD(stack.parameters(), { lr: 0.5 });
    unroll(stack, randUniform([3, 2, 3], -1, 1, { generator: g })).outputs.sum().backward();
    opt.step();
    expect(a.w.toArray()).not.toEqual(before);

    const f = new PlainCell(3, 2, g), r = new PlainCell(3, 2, g);
    expect(bidirectional(f, r).parameters()).toEqual([f.w, f.recurrent.u, r.w, r.recurrent.u]);
    expect(bidirectional(f).parameters()).toEqual([f.w, f.recurrent.u]);
    expect(cellLayer(f).parameters()).toEqual([f.w, f.recurrent.u]);
    expect(stackLayers([f, bidirectional(new PlainCell(2, 1, g), new PlainCell(2, 1, g))]).parameters()).toHaveLength(6);
  });

  it('a plain wrapper holding a built-in cell registers that cell', () => {
    const lstm = new LSTMCell({ inputSize: 3, hiddenSize: 2, generator: g });
    const wrapper: RecurrentCell<unknown> & { inner: LSTMCell } = {
      inner: lstm, inputSize: 3, outputSize: 2,
      initialState: (batch) => lstm.initialState(batch),
      step: (state, x) => lstm.step(state as never, x),
    };
    expect(stackCells([wrapper]).parameters()).toEqual(lstm.parameters());
  });

  it('inside Encoder and Decoder too', () => {
    const enc = new PlainCell(2, 3, g), dec = new PlainCell(2, 3, g);
    const encoder = new Encoder({ vocabSize: 5, embeddingDim: 2, paddingIdx: 0, rnn: enc, generator: g });
    const decoder = new Decoder({ vocabSize: 5, embeddingDim: 2, paddingIdx: 0, cell: dec, generator: g });
    const model = new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: 1, eosId: 2 });
    for (const t of [enc.w, enc.recurrent.u, dec.w, dec.recurrent.u]) expect(model.parameters()).toContain(t);
  });

  it('a Module cell holding a Parameter it never registered is refused, naming the property', () => {
    class Forgetful extends Module {
      readonly inputSize = 3;
      readonly outputSize = 2;
      readonly w = new Parameter(randUniform([2, 3], -0.5, 0.5, { generator: g })); // not registered
      initialState(batch: number) { return { h: zeros([batch, 2]) }; }
      step(state: { h: Tensor }, x: Tensor) { const h = matmul(x, this.w, { transB: true }).tanh(); return { state: { h }, output: h }; }
    }
    expect(() => stackCells([new Forgetful()])).toThrow(
      "stackCells: cells[0] (Forgetful) holds the Parameter 'w' but never registered it, so parameters() would leave it out and an optimizer would never update it; register it: this.w = this.registerParameter('w', ...)");
    expect(() => bidirectional(new Forgetful())).toThrow("bidirectional: the forward cell (Forgetful) holds the Parameter 'w'");
  });

  it('a plain cell whose weights no container can see is refused, saying to extend Module', () => {
    const hidden = closureCell(3, 2, g);
    const message = /stackCells: cells\[0\] is not a Module and none of its properties holds a trainable tensor.*extends Module/;
    expect(() => stackCells([hidden])).toThrow(message);
    expect(() => bidirectional(new PlainCell(3, 2, g), closureCell(3, 2, g))).toThrow('bidirectional: the backward cell is not a Module');
    expect(() => cellLayer(hidden)).toThrow('CellLayer: the cell is not a Module');
    expect(() => new Decoder({ vocabSize: 5, embeddingDim: 3, cell: hidden })).toThrow('Decoder: cell is not a Module');
    expect(() => new Encoder({ vocabSize: 5, embeddingDim: 3, rnn: hidden })).toThrow('Encoder: rnn is not a Module');
    // unroll itself takes any cell: the caller holds the parameters there.
    expect(unroll(hidden, zeros([2, 1, 3])).outputs.shape).toEqual([2, 1, 2]);
  });
});

describe('unknown options are refused, like the constructors refuse theirs', () => {
  const cell = new LSTMCell({ inputSize: 3, hiddenSize: 2 });
  const xs = zeros([4, 2, 3]);
  it.each([
    ['unroll', () => unroll(cell, xs, { lenghts: [4, 3] } as never), "unroll: unknown option 'lenghts'; options are batchFirst, initialState, lengths, mask, reverse"],
    ['unroll masks', () => unroll(cell, xs, { masks: [[1, 1]] } as never), "unroll: unknown option 'masks'"],
    ['unroll mask of the wrong shape', () => unroll(cell, xs, { mask: xs } as never), 'unroll: mask must be [time, batch] = [4, 2] (as xs); got [4, 2, 3]'],
    ['cellLayer.run', () => cellLayer(cell).run(xs, { reverse: true } as never), "CellLayer.run: unknown option 'reverse'; options are batchFirst, initialState, lengths, mask"],
    ['stackLayers.run', () => stackLayers([cell]).run(xs, { batch_first: true } as never), "StackedLayers.run: unknown option 'batch_first' (did you mean 'batchFirst'?)"],
    ['bidirectional.run', () => bidirectional(cell).run(xs, { masks: xs } as never), "Bidirectional.run: unknown option 'masks'"],
    ['LSTM.forward', () => new LSTM({ inputSize: 3, hiddenSize: 2 }).forward(xs, undefined, { lenghts: [4, 4] } as never), "LSTM.forward: unknown option 'lenghts'; options are lengths, mask"],
    ['chunks', () => [...chunks(xs, 2, { batchfirst: true } as never)], "chunks: unknown option 'batchfirst'"],
    ['unroll non-object', () => unroll(cell, xs, true as never), 'unroll: options must be an object; got true'],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });

  it('module forward with the options where the state goes says so', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 2 });
    expect(() => lstm.forward(xs, { lengths: [4, 3] } as never))
      .toThrow('LSTM.forward: state has unknown key(s) lengths; a state is { h, c }, and options go third: forward(x, state | undefined, { lengths })');
    expect(lstm.forward(xs, undefined, { lengths: [4, 3] }).output.shape).toEqual([4, 2, 2]);
  });

  it('seq2seq methods refuse unknown options', () => {
    const g = new RandomGenerator(1);
    const encoder = new Encoder({ vocabSize: 5, embeddingDim: 2, paddingIdx: 0, rnn: new LSTMCell({ inputSize: 2, hiddenSize: 3, generator: g }), generator: g });
    const decoder = new Decoder({ vocabSize: 5, embeddingDim: 2, paddingIdx: 0, cell: new LSTMCell({ inputSize: 2, hiddenSize: 3, generator: g }), generator: g });
    const model = new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: 1, eosId: 2 });
    const src = tensor([[3, 4]], { dtype: 'int32' }), tgt = tensor([[3, 2]], { dtype: 'int32' });
    expect(() => model.forward(src, tgt, { teacherForcingRatio: 0.5 } as never)).toThrow("Seq2Seq.forward: unknown option 'teacherForcingRatio'");
    expect(() => model.loss(src, tgt, { label_smoothing: 0.1 } as never)).toThrow("Seq2Seq.loss: unknown option 'label_smoothing' (did you mean 'labelSmoothing'?)");
    expect(() => model.greedy(src, { maxLen: 3 } as never)).toThrow("greedyDecode: unknown option 'maxLen'");
    expect(() => model.beamSearch(src, { beamSize: 3 } as never)).toThrow("beamSearch: unknown option 'beamSize'");
    expect(() => model.encode(src, { lengths: [2] } as never)).toThrow("Seq2Seq.encode: unknown option 'lengths'; options are srcLengths");
    expect(() => encoder.forward(src, { srcLengths: [2] } as never)).toThrow("Encoder.forward: unknown option 'srcLengths'; options are lengths");
    expect(model.loss(src, tgt, { labelSmoothing: 0.1, teacherForcing: 1 }).loss.shape).toEqual([]);
  });
});

describe("the rnn README's MGU (a Module)", () => {
  it('runs as written, and every container holding it lists its weights', () => {
    // --- README snippet (packages/rnn/README.md, "Your own cell") ---
    /** Minimal gated unit: f = σ(W_f[x, h] + b_f), h̃ = tanh(W_h[x, f⊙h] + b_h), h' = (1 − f)⊙h + f⊙h̃. */
    class MGU extends Module {
      readonly outputSize: number;
      readonly wF: Parameter; readonly bF: Parameter; readonly wH: Parameter; readonly bH: Parameter;
      constructor(readonly inputSize: number, readonly hiddenSize: number) {
        super();
        this.outputSize = hiddenSize;
        const w = (name: string, shape: number[]) => this.registerParameter(name, new Parameter(randUniform(shape, -0.3, 0.3)));
        [this.wF, this.bF] = [w('wF', [hiddenSize, inputSize + hiddenSize]), w('bF', [hiddenSize])];
        [this.wH, this.bH] = [w('wH', [hiddenSize, inputSize + hiddenSize]), w('bH', [hiddenSize])];
      }
      initialState(batch: number) {
        return { h: zeros([batch, this.hiddenSize]) };
      }
      step(state: { h: Tensor }, x: Tensor) {
        const f = matmul(concat([x, state.h], 1), this.wF, { transB: true }).add(this.bF).sigmoid();
        const hTilde = matmul(concat([x, f.mul(state.h)], 1), this.wH, { transB: true }).add(this.bH).tanh();
        const h = state.h.add(f.mul(hTilde.sub(state.h)));
        return { state: { h }, output: h };
      }
    }

    const xs = randUniform([10, 4, 3], -1, 1);                       // [T, B, I]
    const { outputs, state } = unroll(new MGU(3, 8), xs);            // [10, 4, 8], { h: [4, 8] }
    const deep = unroll(stackCells([new MGU(3, 8), new MGU(8, 8)]), xs);
    const both = bidirectional(new MGU(3, 8), new MGU(3, 8)).run(xs); // outputs [10, 4, 16]
    // --- end ---
    expect(outputs.shape).toEqual([10, 4, 8]);
    expect(state.h.shape).toEqual([4, 8]);
    expect(deep.outputs.shape).toEqual([10, 4, 8]);
    expect(both.outputs.shape).toEqual([10, 4, 16]);
    expect(stackCells([new MGU(3, 8), new MGU(8, 8)]).parameters()).toHaveLength(8);
    expect(Object.keys(bidirectional(new MGU(3, 8), new MGU(3, 8)).stateDict())).toEqual(
      ['forward.wF', 'forward.bF', 'forward.wH', 'forward.bH', 'backward.wF', 'backward.bF', 'backward.wH', 'backward.bH']);
  });
});
