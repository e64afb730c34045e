// Recurrent dropout and zoneout: the built-in cells' options and the wrappers for any cell, against
// their equations written out with the same random draws; one mask per sequence; train/eval;
// the generator seed; unroll, stacks, bidirectional, modules; gradcheck; refusals.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, gradcheckModule, matmul, stack } from '@unroll/autograd';
import {
  CompileError, Decoder, Encoder, GRU, GRUCell, Seq2Seq, padSequences, LSTM, LSTMCell, RNN, RNNCell, bidirectional, compileCell, stackCells, unroll, withRecurrentDropout, withZoneout,
} from '@unroll/rnn';
import type { HiddenState, LSTMState, RecurrentCell } from '@unroll/rnn';
import { SEED, expectClose, maxDiff, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };
const T = 4, B = 3, I = 2, H = 5;

/** What the masks are: one uniform draw per element, row-major; kept where u < keep. */
function draw(g: RandomGenerator, shape: number[], keep: number, value: number): Tensor {
  const m = K.empty(shape, 'float64');
  for (let i = 0; i < m.data.length; i++) m.data[i] = g.uniform() < keep ? value : 0;
  return new Tensor(m);
}

/**
 * A cell built with `noise` options and its plain twin (same weights, no noise options); `g` is the
 * twin's generator, left where the cell's generator is when its first sequence starts.
 */
function twins<C>(make: (g: RandomGenerator, noise: object) => C, seed: number, noise: object): { cell: C; plain: C; g: RandomGenerator } {
  const g = new RandomGenerator(seed);
  return { cell: make(new RandomGenerator(seed), noise), plain: make(g, {}), g };
}

describe('recurrentDropout (built-in option)', () => {
  const xs = rand([T, B, I], new RandomGenerator(1));
  const p = 0.4;

  it('LSTMCell: h is dropped where W_hh reads it, with ONE mask for the whole sequence', () => {
    const { cell, plain, g } = twins((gg, o) => new LSTMCell({ inputSize: I, hiddenSize: H, ...o, ...f64, generator: gg }), 3, { recurrentDropout: p });
    const got = unroll(cell, xs);
    const mask = draw(g, [B, H], 1 - p, 1 / (1 - p));
    let s: LSTMState = plain.initialState(B);
    const ys: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const r = plain.step({ h: s.h.mul(mask), c: s.c }, xs.select(0, t));
      s = r.state;
      ys.push(r.output);
    }
    expectClose(got.outputs, stack(ys, 0), 1e-14, 'outputs');
    expectClose(got.state.c, s.c, 1e-14, 'c');
    // A new sequence draws a new mask; eval mode is the plain cell (and its fused path).
    expect(maxDiff(unroll(cell, xs).outputs, got.outputs)).toBeGreaterThan(1e-6);
    cell.eval();
    expectClose(unroll(cell, xs).outputs, unroll(plain, xs).outputs, 0, 'eval');
  });

  it('GRUCell: the recurrent products read the dropped h, the interpolation z ⊙ h the real one (Keras)', () => {
    for (const resetAfter of [true, false]) {
      const { cell, plain, g } = twins((gg, o) => new GRUCell({ inputSize: I, hiddenSize: H, resetAfter, ...o, ...f64, generator: gg }), 4, { recurrentDropout: p });
      const got = unroll(cell, xs);
      const mask = draw(g, [B, H], 1 - p, 1 / (1 - p));
      let h = plain.initialState(B).h;
      const [Wr, Wz, Wn] = [0, 1, 2].map((k) => plain.weightHh.narrow(0, k * H, H));
      const [br, bz, bn] = [0, 1, 2].map((k) => plain.biasHh!.narrow(0, k * H, H));
      const [Ur, Uz, Un] = [0, 1, 2].map((k) => plain.weightIh.narrow(0, k * H, H));
      const [cr, cz, cn] = [0, 1, 2].map((k) => plain.biasIh!.narrow(0, k * H, H));
      for (let t = 0; t < T; t++) {
        const x = xs.select(0, t), hd = h.mul(mask);
        const lin = (U: Tensor, c: Tensor, W: Tensor, b: Tensor, hh: Tensor) => matmul(x, U, { transB: true }).add(c).add(matmul(hh, W, { transB: true }).add(b));
        const r = lin(Ur!, cr!, Wr!, br!, hd).sigmoid();
        const z = lin(Uz!, cz!, Wz!, bz!, hd).sigmoid();
        const n = resetAfter
          ? matmul(x, Un!, { transB: true }).add(cn!).add(r.mul(matmul(hd, Wn!, { transB: true }).add(bn!))).tanh()
          : matmul(x, Un!, { transB: true }).add(cn!).add(matmul(r.mul(hd), Wn!, { transB: true }).add(bn!)).tanh();
        h = z.mul(h).add(z.neg().add(1).mul(n));
      }
      expectClose(got.state.h, h, 1e-13, `GRU resetAfter ${resetAfter}`);
    }
  });

  it('follows the generator seed: equal seeds give equal runs', () => {
    const make = () => new RNNCell({ inputSize: I, hiddenSize: H, recurrentDropout: 0.3, ...f64, generator: new RandomGenerator(8) });
    expectClose(unroll(make(), xs).outputs, unroll(make(), xs).outputs, 0);
  });

  it('a loop that calls step itself must begin each sequence', () => {
    const cell = new LSTMCell({ inputSize: I, hiddenSize: H, recurrentDropout: 0.2, ...f64 });
    expect(() => cell.step(cell.initialState(B), xs.select(0, 0))).toThrow('LSTMCell.step: recurrent dropout draws one mask per sequence in training: call beginSequence(batch)');
    cell.beginSequence(B);
    const s = cell.step(cell.initialState(B), xs.select(0, 0)).state;
    expect(() => cell.step({ h: s.h.narrow(0, 0, 2), c: s.c.narrow(0, 0, 2) }, xs.select(0, 0).narrow(0, 0, 2)))
      .toThrow("LSTMCell.step: state.h is [2, 5] but this sequence's dropout mask is [3, 5]; call beginSequence(batch) when a new sequence starts");
    cell.eval();
    expect(() => cell.step({ h: s.h.narrow(0, 0, 2), c: s.c.narrow(0, 0, 2) }, xs.select(0, 0).narrow(0, 0, 2))).not.toThrow();
  });
});

describe('zoneout (built-in option)', () => {
  const xs = rand([T, B, I], new RandomGenerator(2));

  it('LSTMCell { h, c }: training keeps each unit with probability p (fresh draws per step); eval mixes by p', () => {
    const z = { h: 0.3, c: 0.6 };
    const { cell, plain, g } = twins((gg, o) => new LSTMCell({ inputSize: I, hiddenSize: H, ...o, ...f64, generator: gg }), 5, { zoneout: z });
    const got = unroll(cell, xs);
    let s: LSTMState = plain.initialState(B);
    const ys: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const r = plain.step(s, xs.select(0, t)).state;
      const dh = draw(g, [B, H], z.h, 1), dc = draw(g, [B, H], z.c, 1);
      const mix = (d: Tensor, prev: Tensor, now: Tensor) => d.mul(prev).add(d.neg().add(1).mul(now));
      s = { h: mix(dh, s.h, r.h), c: mix(dc, s.c, r.c) };
      ys.push(s.h);
    }
    expectClose(got.outputs, stack(ys, 0), 1e-14, 'training outputs (the zoned h)');
    expectClose(got.state.c, s.c, 1e-14, 'training c');

    cell.eval();
    let e: LSTMState = plain.initialState(B);
    for (let t = 0; t < T; t++) {
      const r = plain.step(e, xs.select(0, t)).state;
      e = { h: e.h.mul(z.h).add(r.h.mul(1 - z.h)), c: e.c.mul(z.c).add(r.c.mul(1 - z.c)) };
    }
    const ev = unroll(cell, xs);
    expectClose(ev.state.h, e.h, 1e-14, 'eval h');
    expectClose(ev.state.c, e.c, 1e-14, 'eval c');
  });

  it('a number zones every state tensor; RNNCell and GRUCell take { h }', () => {
    const a = new LSTMCell({ inputSize: I, hiddenSize: H, zoneout: 0.2, ...f64, generator: new RandomGenerator(6) }).eval();
    const b = new LSTMCell({ inputSize: I, hiddenSize: H, zoneout: { h: 0.2, c: 0.2 }, ...f64, generator: new RandomGenerator(6) }).eval();
    expectClose(unroll(a, xs).state.c, unroll(b, xs).state.c, 0);
    expect(() => new GRUCell({ inputSize: I, hiddenSize: H, zoneout: { c: 0.1 } })).toThrow("GRUCell: zoneout.c: the state has no 'c' (its keys: h)");
    expect(new RNNCell({ inputSize: I, hiddenSize: H, zoneout: { h: 0.1 } }).noise.zoneout.get('h')).toBe(0.1);
  });
});

describe('the wrappers equal the options, on any cell', () => {
  const xs = rand([T, B, I], new RandomGenerator(3));

  it('withRecurrentDropout(cell, p) = recurrentDropout: p; withZoneout(cell, { h, c }) = zoneout', () => {
    const opt = twins((gg, o) => new LSTMCell({ inputSize: I, hiddenSize: H, ...o, ...f64, generator: gg }), 9, { recurrentDropout: 0.3 });
    const wrapped = withRecurrentDropout(opt.plain, 0.3, { generator: opt.g });
    expectClose(unroll(wrapped, xs).outputs, unroll(opt.cell, xs).outputs, 0, 'recurrent dropout');
    const zo = twins((gg, o) => new LSTMCell({ inputSize: I, hiddenSize: H, ...o, ...f64, generator: gg }), 10, { zoneout: { h: 0.1, c: 0.5 } });
    const zw = withZoneout(zo.plain, { h: 0.1, c: 0.5 }, { generator: zo.g });
    const a = unroll(zw, xs), b = unroll(zo.cell, xs);
    expectClose(a.outputs, b.outputs, 0, 'zoneout outputs');
    expectClose(a.state.c, b.state.c, 0, 'zoneout c');
    // Parameters stay reachable (the wrapped Module is a child) and train/eval reaches the cell.
    expect(zw.namedParameters().map(([n]) => n)).toContain('cell.weight_hh');
    zw.eval();
    expect(zo.plain.training).toBe(false);
  });

  it('a user cell (a plain object) runs wrapped in unroll, stackCells and bidirectional', () => {
    const g = new RandomGenerator(12);
    const W = rand([H, I], g, { requiresGrad: true }), U = rand([H, H], g, { requiresGrad: true });
    // Its weights are properties, so the wrappers (as every container) adopt them as parameters.
    const user: RecurrentCell<HiddenState> & { W: Tensor; U: Tensor } = {
      inputSize: I, outputSize: H, W, U,
      initialState: (b) => ({ h: new Tensor(K.zeros([b, H], f64)) }),
      step: (s, x) => { const h = matmul(x, W, { transB: true }).add(matmul(s.h, U, { transB: true })).tanh(); return { state: { h }, output: h }; },
    };
    const rd = withRecurrentDropout(user, 0.5, { generator: new RandomGenerator(1) });
    expect(rd.parameters()).toEqual([W, U]);
    const r1 = unroll(rd, xs);
    // By hand: one mask [B, H] for the sequence.
    const mask = draw(new RandomGenerator(1), [B, H], 0.5, 2);
    let h = user.initialState(B).h;
    for (let t = 0; t < T; t++) h = user.step({ h: h.mul(mask) }, xs.select(0, t)).state.h;
    expectClose(r1.state.h, h, 1e-14);
    const both = withZoneout(rd, 0.25, { generator: new RandomGenerator(2) });
    const deep = stackCells([both, withZoneout(new GRUCell({ inputSize: H, hiddenSize: 2, ...f64, generator: g }), 0.5)]);
    expect(unroll(deep, xs, { mask: [[1, 1, 0], [1, 1, 1], [0, 1, 1], [1, 1, 1]] }).outputs.shape).toEqual([T, B, 2]);
    expect(bidirectional(both).run(xs, { lengths: [4, 2, 1] }).outputs.shape).toEqual([T, B, 2 * H]);
    both.eval();
    deep.eval();
    // Eval: deterministic.
    expectClose(unroll(deep, xs).outputs, unroll(deep, xs).outputs, 0);
    expect(() => unroll(withRecurrentDropout(user, 0.2, { keys: ['c'] }), xs))
      .toThrow('RecurrentDropoutCell.step: the state has no tensor named c (its tensors: state.h); say which with withRecurrentDropout(cell, p, { keys })');
    expect(() => unroll(withZoneout(user, { c: 0.1 }), xs)).toThrow("ZoneoutCell.step: zoneout.c: the state has no tensor named 'c' (its tensors: state.h)");
  });

  it('refuses bad rates and options', () => {
    const cell = new RNNCell({ inputSize: I, hiddenSize: H });
    expect(() => withRecurrentDropout(cell, 1)).toThrow('withRecurrentDropout: p must be a probability in [0, 1); got 1');
    expect(() => withRecurrentDropout(cell, 0.1, { seed: 3 } as never)).toThrow("withRecurrentDropout: unknown option 'seed' (known: keys, generator)");
    expect(() => withZoneout(cell, { h: -0.1 })).toThrow('withZoneout: zoneout.h must be a probability in [0, 1); got -0.1');
    expect(() => withZoneout(cell, {})).toThrow('withZoneout: rates must name at least one state key');
    expect(() => withZoneout(cell, 'h' as never)).toThrow('withZoneout: zoneout must be a probability or { h, c } of probabilities; got h');
    expect(() => new LSTMCell({ inputSize: I, hiddenSize: H, recurrentDropout: 1.5 })).toThrow('LSTMCell: recurrentDropout must be a probability in [0, 1); got 1.5');
    expect(() => new LSTM({ inputSize: I, hiddenSize: H, zoneout: { x: 0.1 } })).toThrow("LSTMCell: zoneout.x: the state has no 'x' (its keys: h, c)");
    expect(() => withZoneout({} as never, 0.1)).toThrow('withZoneout: cell must be a RecurrentCell');
  });
});

describe('modules with recurrentDropout and zoneout', () => {
  const xs = rand([T, B, I], new RandomGenerator(4));

  it.each([
    ['RNN', (o: object) => new RNN({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, ...f64, ...o })],
    ['LSTM', (o: object) => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, ...f64, ...o })],
    ['GRU', (o: object) => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, ...f64, ...o })],
  ] as const)('%s: every cell gets the options; train() draws, eval() is deterministic and differs from the plain module', (_, make) => {
    const m = make({ recurrentDropout: 0.3, zoneout: 0.2, generator: new RandomGenerator(5) });
    const plain = make({ generator: new RandomGenerator(5) });
    for (const row of m.cells) for (const c of row) expect((c as unknown as { noise: { recurrentDropout: number } }).noise.recurrentDropout).toBe(0.3);
    const a = m.forward(xs).output, b = m.forward(xs).output;
    expect(maxDiff(a, b)).toBeGreaterThan(1e-6);
    m.eval();
    plain.eval();
    expectClose(m.forward(xs).output, m.forward(xs).output, 0);
    expect(maxDiff(m.forward(xs).output, plain.forward(xs).output)).toBeGreaterThan(1e-6);
  });
});

describe('gradients', () => {
  it('gradcheck through recurrent dropout and zoneout in training (draws replayed) and eval', () => {
    fc.assert(fc.property(tinySizes, fc.boolean(), (s, training) => {
      const g = new RandomGenerator(s.seed);
      const cell = withZoneout(new LSTMCell({ inputSize: s.input, hiddenSize: s.hidden, recurrentDropout: 0.3, ...f64, generator: g }), { h: 0.3, c: 0.4 }, { generator: g });
      cell.train(training);
      const x = rand([s.time, s.batch, s.input], g, { requiresGrad: true });
      const h0 = rand([s.batch, s.hidden], g, { requiresGrad: true });
      const saved = g.getState();
      const r = gradcheckModule(cell, (xx, hh) => {
        g.setState(saved); // the same masks at every evaluation
        const out = unroll(cell, xx!, { initialState: { h: hh!, c: hh!.mul(0.5) } });
        return [out.outputs, out.state.c];
      }, { inputs: [x, h0] });
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 10 });
  });
});

describe('with compileCell', () => {
  const xs = rand([4, 2, 3], new RandomGenerator(7));

  it('a wrapper outside a compiled cell runs it compiled in eval and steps it in training', () => {
    const cell = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: new RandomGenerator(3) });
    const outer = withZoneout(withRecurrentDropout(compileCell(cell), 0.3, { generator: new RandomGenerator(1) }), { h: 0.2 });
    expect(unroll(outer, xs).outputs.shape).toEqual([4, 2, 4]);
    outer.eval();
    const plain = withZoneout(withRecurrentDropout(cell, 0.3), { h: 0.2 }).eval();
    expectClose(unroll(outer, xs).outputs, unroll(plain, xs).outputs, 1e-12);
  });

  it('compileCell of a wrapped cell compiles in eval (the expectation) and refuses the draws in training', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: new RandomGenerator(4) });
    const compiled = compileCell(withZoneout(cell, { h: 0.1, c: 0.3 }));
    compiled.eval();
    const want = withZoneout(cell, { h: 0.1, c: 0.3 }).eval();
    want.cell.fused = false;
    expectClose(unroll(compiled, xs).outputs, unroll(want, xs).outputs, 1e-12);
    compiled.train();
    expect(() => unroll(compiled, xs)).toThrow(CompileError);
  });

  it('built-in cells with zoneout run compiled in eval, equal to stepping', () => {
    for (const make of [
      () => new LSTMCell({ inputSize: 3, hiddenSize: 4, projSize: 2, zoneout: { h: 0.1, c: 0.4 }, recurrentDropout: 0.2, ...f64, generator: new RandomGenerator(5) }),
      () => new GRUCell({ inputSize: 3, hiddenSize: 4, zoneout: 0.3, ...f64, generator: new RandomGenerator(5) }),
      () => new RNNCell({ inputSize: 3, hiddenSize: 4, zoneout: 0.3, ...f64, generator: new RandomGenerator(5) }),
    ]) {
      const a = make().eval(), b = make().eval();
      b.fused = false;
      const args = { batchFirst: false, reverse: false, lengths: null, initialState: a.initialState(2) as never };
      expect(a.fusedUnroll(xs, args)).not.toBeNull();
      expectClose(unroll(a as RecurrentCell<any>, xs, { lengths: [4, 2] }).outputs, unroll(b as RecurrentCell<any>, xs, { lengths: [4, 2] }).outputs, 1e-12);
    }
  });
});

describe('in seq2seq', () => {
  it('encoder and decoder cells with recurrent dropout train (the Decoder begins each decoded sequence)', () => {
    const g = new RandomGenerator(11);
    const encoder = new Encoder({ vocabSize: 12, embeddingDim: 4, paddingIdx: 0, rnn: new GRUCell({ inputSize: 4, hiddenSize: 5, recurrentDropout: 0.3, generator: g }) });
    const cell = new LSTMCell({ inputSize: 4, hiddenSize: 5, recurrentDropout: 0.3, zoneout: { c: 0.2 }, generator: g });
    const decoder = new Decoder({ vocabSize: 9, embeddingDim: 4, paddingIdx: 0, cell });
    const model = new Seq2Seq({ encoder, decoder, bridge: (s: { h: Tensor }) => ({ h: s.h, c: s.h.mul(0) }), bosId: 1, eosId: 2 });
    const src = padSequences([[5, 9, 7], [8, 4]], 0).ids, tgt = padSequences([[3, 4, 2], [6, 2]], 0).ids;
    const { loss } = model.loss(src, tgt);
    loss.backward();
    expect(Number.isFinite(loss.item())).toBe(true);
    model.eval();
    expect(model.greedy(src, { maxLength: 4 }).length).toBe(2);
  });
});
