// RNN / LSTM / GRU modules: PyTorch's names, shapes and state layout, equal to the combinators,
// dropout between layers, gradients, and errors that name the module and the shapes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { Adam, RandomGenerator, StateDictError, Tensor, concat, gradcheck, matmul, mseLoss, randUniform, stack } from '@unroll/autograd';
import { GRU, LSTM, RNN, unroll } from '@unroll/rnn';
import { GRAD_TOL, SEED, expectClose, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };
const names = (m: { namedParameters(): [string, Tensor][] }) => m.namedParameters().map(([n, p]) => `${n}${K.fmt(p.shape)}`);

describe('parameter names and shapes (PyTorch)', () => {
  it('LSTM: weight_ih_l{k}, …, _reverse, in torch order; layer 1 reads 2·hidden', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    expect(names(m)).toEqual([
      'weight_ih_l0[16, 3]', 'weight_hh_l0[16, 4]', 'bias_ih_l0[16]', 'bias_hh_l0[16]',
      'weight_ih_l0_reverse[16, 3]', 'weight_hh_l0_reverse[16, 4]', 'bias_ih_l0_reverse[16]', 'bias_hh_l0_reverse[16]',
      'weight_ih_l1[16, 8]', 'weight_hh_l1[16, 4]', 'bias_ih_l1[16]', 'bias_hh_l1[16]',
      'weight_ih_l1_reverse[16, 8]', 'weight_hh_l1_reverse[16, 4]', 'bias_ih_l1_reverse[16]', 'bias_hh_l1_reverse[16]',
    ]);
    expect(m.dtype).toBe('float32');
    expect(m.outputSize).toBe(8);
  });

  it('GRU, RNN without bias, LSTM with peepholes', () => {
    expect(names(new GRU({ inputSize: 2, hiddenSize: 3 }))).toEqual(['weight_ih_l0[9, 2]', 'weight_hh_l0[9, 3]', 'bias_ih_l0[9]', 'bias_hh_l0[9]']);
    expect(names(new RNN({ inputSize: 2, hiddenSize: 3, bias: false, numLayers: 2 })))
      .toEqual(['weight_ih_l0[3, 2]', 'weight_hh_l0[3, 3]', 'weight_ih_l1[3, 3]', 'weight_hh_l1[3, 3]']);
    expect(names(new LSTM({ inputSize: 2, hiddenSize: 3, peephole: true, bidirectional: true })).filter((n) => n.startsWith('weight_c')))
      .toEqual(['weight_ci_l0[3]', 'weight_cf_l0[3]', 'weight_co_l0[3]', 'weight_ci_l0_reverse[3]', 'weight_cf_l0_reverse[3]', 'weight_co_l0_reverse[3]']);
  });
});

describe('forward', () => {
  const g = new RandomGenerator(81);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, ...f64, generator: g });
  const x = rand([5, 2, 3], g);

  it('returns output [T, B, D·H] and h, c [L·D, B, H], equal to the cells run by hand', () => {
    const h0 = rand([4, 2, 4], g), c0 = rand([4, 2, 4], g);
    const r = lstm.forward(x, { h: h0, c: c0 });
    expect(r.output.shape).toEqual([5, 2, 8]);
    expect(r.state.h.shape).toEqual([4, 2, 4]);
    const s = (k: number) => ({ h: h0.select(0, k), c: c0.select(0, k) });
    const [[f0, b0], [f1, b1]] = lstm.cells as [[never, never], [never, never]];
    const l0f = unroll(f0, x, { initialState: s(0) }), l0b = unroll(b0, x, { initialState: s(1), reverse: true });
    const mid = concat([l0f.outputs, l0b.outputs], -1);
    const l1f = unroll(f1, mid, { initialState: s(2) }), l1b = unroll(b1, mid, { initialState: s(3), reverse: true });
    expectClose(r.output, concat([l1f.outputs, l1b.outputs], -1), 0);
    expectClose(r.state.c, stack([l0f.state.c, l0b.state.c, l1f.state.c, l1b.state.c] as Tensor[], 0), 0);
  });

  it('starts from zeros by default; batchFirst changes x and output, not the state', () => {
    const zero = { h: new Tensor(K.zeros([4, 2, 4], f64)), c: new Tensor(K.zeros([4, 2, 4], f64)) };
    expectClose(lstm.forward(x).output, lstm.forward(x, zero).output, 0);
    const bf = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true, ...f64 });
    bf.loadStateDict(lstm.stateDict());
    const r = bf.forward(x.permute([1, 0, 2]));
    expectClose(r.output, lstm.forward(x).output.permute([1, 0, 2]), 0);
    expect(r.state.h.shape).toEqual([4, 2, 4]);
  });

  it('with lengths, equals running each sequence alone', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, ...f64, generator: g });
    const r = gru.forward(x, undefined, { lengths: [3, 5] });
    const alone = gru.forward(x.narrow(0, 0, 3).narrow(1, 0, 1));
    expectClose(r.output.narrow(1, 0, 1).narrow(0, 0, 3), alone.output, 1e-15);
    expectClose(r.state.h.narrow(1, 0, 1), alone.state.h, 1e-15);
  });

  it('applies dropout between layers in training mode only, following the module mode', () => {
    const m = new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 3, dropout: 0.5, ...f64, generator: new RandomGenerator(3) });
    const noDrop = new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 3, ...f64 });
    noDrop.loadStateDict(m.stateDict());
    const want = noDrop.forward(x).output;
    expect(K.sum(K.abs(K.sub(m.forward(x).output.data, want.data))).data[0]).toBeGreaterThan(1e-3);
    m.eval();
    expectClose(m.forward(x).output, want, 0);
  });

  it('converts with to(dtype) and runs in float32', () => {
    const m = new GRU({ inputSize: 3, hiddenSize: 2, ...f64, generator: new RandomGenerator(4) });
    const want = m.forward(x).output;
    m.to('float32');
    expect(m.dtype).toBe('float32');
    const got = m.forward(x.to('float32')).output;
    expect(got.dtype).toBe('float32');
    expectClose(got.to('float64'), want, 1e-6);
  });

  it('passes gradcheck for x, h0 and c0 through a 2-layer bidirectional LSTM with lengths', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const gg = new RandomGenerator(s.seed);
      const bf = new LSTM({
        inputSize: s.input, hiddenSize: s.hidden, numLayers: 2, bidirectional: true, peephole: s.seed % 2 === 0, batchFirst: true, ...f64, generator: gg,
      });
      const xx = rand([s.batch, s.time, s.input], gg, { requiresGrad: true });
      const h0 = rand([4, s.batch, s.hidden], gg, { requiresGrad: true });
      const c0 = rand([4, s.batch, s.hidden], gg, { requiresGrad: true });
      const lens = Array.from({ length: s.batch }, () => 1 + gg.int(s.time));
      const r = gradcheck((a, h, c) => {
        const out = bf.forward(a!, { h: h!, c: c! }, { lengths: lens });
        return [out.output, out.state.h, out.state.c];
      }, [xx, h0, c0], GRAD_TOL);
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 4 });
  });
});

describe('training', () => {
  it('a float32 GRU learns to recall the first input of a sequence', () => {
    const g = new RandomGenerator(5);
    const gru = new GRU({ inputSize: 1, hiddenSize: 8, generator: g });
    const head = randUniform([1, 8], -0.3, 0.3, { generator: g, requiresGrad: true });
    const opt = new Adam([...gru.parameters(), head], { lr: 0.03 });
    const loss = () => {
      const x = randUniform([6, 16, 1], -1, 1, { generator: g });
      const { output } = gru.forward(x);
      return mseLoss(matmul(output.select(0, 5), head, { transB: true }), x.select(0, 0));
    };
    const first = loss().item();
    let last = first;
    for (let i = 0; i < 80; i++) {
      opt.zeroGrad();
      const l = loss();
      l.backward();
      opt.step();
      last = l.item();
    }
    expect(last).toBeLessThan(first / 4);
  });
});

describe('errors and state-dict interop', () => {
  const m = new LSTM({ inputSize: 8, hiddenSize: 20, numLayers: 2 });

  it('forward names the module and the shapes', () => {
    const z = (shape: number[]) => new Tensor(K.zeros(shape));
    expect(() => m.forward(z([6, 4, 5]))).toThrow('LSTM.forward: x must be [time, batch, 8] (the input size); got [6, 4, 5]');
    expect(() => m.forward(z([4, 1, 4, 8]))).toThrow('LSTM.forward: x must be rank 3 [time, batch, features] or rank 2 [time, features] (unbatched); got [4, 1, 4, 8]');
    expect(() => m.forward(z([6, 4, 8]), { h: z([2, 4, 20]), c: z([2, 4, 21]) }))
      .toThrow('LSTM.forward: state.c must be [2, 4, 20] ([numLayers · directions, batch, hiddenSize]); got [2, 4, 21]');
    expect(() => m.forward(z([6, 4, 8]), { h: z([1, 4, 20]) } as never)).toThrow('LSTM.forward: state.h must be [2, 4, 20]');
    expect(() => m.forward(z([6, 4, 8]), undefined, { lengths: [6, 7, 1, 1] })).toThrow('LSTM.forward: lengths[1] = 7 is outside [1, 6]');
    expect(() => m.forward(z([6, 0, 8]))).toThrow('LSTM.forward: x has an empty batch (batch = 0): [6, 0, 8]');
    expect(() => m.forward(new Tensor(K.zeros([6, 4, 8], f64)))).toThrow('LSTM.forward: x is float64 but the parameters are float32');
    expect(() => new GRU({ inputSize: 8, hiddenSize: 20, dropout: 1.5 })).toThrow('GRU: dropout must be in [0, 1); got 1.5');
    expect(() => new RNN({ inputSize: 8, hiddenSize: 20, numLayers: 0 })).toThrow('RNN: numLayers must be a positive integer; got 0');
    expect(() => new GRU({ inputSize: 8, hiddenSize: 20, batch_first: true } as never)).toThrow("GRU: unknown option 'batch_first'");
    expect(() => new RNN({ inputSize: 8, hiddenSize: 20, peephole: true } as never)).toThrow("RNN: unknown option 'peephole'");
  });

  it('loadStateDict explains direction, depth and LSTM layout differences', () => {
    const bi = new LSTM({ inputSize: 8, hiddenSize: 20, numLayers: 2, bidirectional: true });
    expect(() => m.loadStateDict(bi.stateDict())).toThrow(StateDictError);
    expect(() => m.loadStateDict(bi.stateDict())).toThrow(/bidirectional: true/);
    expect(() => bi.loadStateDict(m.stateDict())).toThrow(/no _reverse weights: build with bidirectional: false/);
    const three = new LSTM({ inputSize: 8, hiddenSize: 20, numLayers: 3 });
    expect(() => m.loadStateDict(three.stateDict())).toThrow(/the state dict has 3 layer\(s\) but this module has numLayers: 2/);
    const peep = new LSTM({ inputSize: 8, hiddenSize: 20, numLayers: 2, peephole: true });
    expect(() => peep.loadStateDict(m.stateDict())).toThrow(/weight_ci_l0, weight_cf_l0, weight_co_l0, .* \(peepholes\) are not in the state dict/);
    const sd: Record<string, Tensor> = m.stateDict();
    sd.weight_ih_l0 = new Tensor(K.zeros([60, 8]));
    expect(() => new LSTM({ inputSize: 8, hiddenSize: 20, numLayers: 2, forgetGate: false }).loadStateDict(sd))
      .toThrow(/weight_ih_l0 has 3H = 60 rows: LSTMCell always keeps PyTorch's 4H layout/);
  });
});
