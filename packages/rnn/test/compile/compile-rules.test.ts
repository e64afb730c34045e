// compileCell's other promises: gradcheck of compiled sequences, float32 agreement, the built-ins'
// default compiled path, seq2seq and TBPTT, and each refusal (with the op and the cell named) and verify.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import {
  RandomGenerator, Tensor, defineOp, dropout, gather, gradcheck, matmul, mul, sigmoid, sum, tanh,
} from '@unroll/autograd';
import { Encoder, LSTM, LSTMCell, RNN, compileCell, detachState, tbptt, unroll } from '@unroll/rnn';
import { GRAD_TOL, SEED, rand } from '../helpers.js';
import { IndRNN, MGU, UserLSTM } from './cells.js';
import { composed, maxError, runAll } from './run.js';

/** A cell over given tensors (so gradcheck's perturbed copies are the ones compiled). */
class GivenMGU {
  readonly outputSize: number;
  constructor(readonly inputSize: number, readonly wf: Tensor, readonly uf: Tensor, readonly wh: Tensor, readonly uh: Tensor) {
    this.outputSize = uf.shape[0]!;
  }
  initialState(batch: number) { return { h: new Tensor(K.zeros([batch, this.outputSize], { dtype: 'float64' })) }; }
  step(s: { h: Tensor }, x: Tensor) {
    const f = sigmoid(matmul(x, this.wf, { transB: true }).add(matmul(s.h, this.uf, { transB: true })));
    const hh = tanh(matmul(x, this.wh, { transB: true }).add(matmul(f.mul(s.h), this.uh, { transB: true })));
    const h = s.h.add(f.mul(hh.sub(s.h)));
    return { state: { h }, output: h };
  }
}

describe('compiled sequences pass gradcheck', () => {
  it('w.r.t. xs, the initial state and every weight (lengths, reverse, batch-first)', () => {
    fc.assert(fc.property(fc.record({
      batch: fc.integer({ min: 1, max: 2 }), time: fc.integer({ min: 1, max: 3 }), input: fc.integer({ min: 1, max: 3 }),
      hidden: fc.integer({ min: 1, max: 3 }), reverse: fc.boolean(), batchFirst: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
    }), ({ batch, time, input, hidden, reverse, batchFirst, seed }) => {
      const g = new RandomGenerator(seed);
      const w = (shape: number[]) => rand(shape, g, { requiresGrad: true, scale: 0.8 });
      const xs = w(batchFirst ? [batch, time, input] : [time, batch, input]);
      const h0 = w([batch, hidden]);
      const lengths = Array.from({ length: batch }, (_, b) => (b === 0 ? time : 1 + Math.floor(g.uniform() * time)));
      const r = gradcheck((x, h, wf, uf, wh, uh) => {
        const cell = compileCell(new GivenMGU(input, wf!, uf!, wh!, uh!));
        const out = unroll(cell, x!, { initialState: { h: h! }, reverse, batchFirst, lengths });
        return [out.outputs, out.state.h];
      }, [xs, h0, w([hidden, input]), w([hidden, hidden]), w([hidden, input]), w([hidden, hidden])], GRAD_TOL);
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 12 });
  });
});

describe('float32', () => {
  it('agrees with the composed float32 path to rounding (fast σ / tanh included)', () => {
    const g = new RandomGenerator(2);
    for (const cell of [new UserLSTM(5, 8, g, 'float32'), new MGU(5, 8, g, 'float32'), new LSTMCell({ inputSize: 5, hiddenSize: 8, coupledGates: true, generator: g })]) {
      const xs = rand([7, 3, 5], g, { dtype: 'float32', requiresGrad: true });
      const h0 = cell.initialState(3);
      const params = cell.parameters();
      const want = runAll(composed(cell), params, xs, h0, { lengths: [7, 3, 5] }, 1);
      const got = runAll(compileCell(cell), params, xs, h0, { lengths: [7, 3, 5] }, 1);
      const scale = Math.max(...want.flat().map(Math.abs));
      expect(maxError(got, want) / scale).toBeLessThan(2e-5);
    }
  });
});

describe('built-in variants without a hand-written kernel run compiled by default', () => {
  it('LSTM (forgetGate: false, coupledGates) and RNN modules: one compiledSequence op per layer and direction; fused: false composes', () => {
    const g = new RandomGenerator(8);
    for (const m of [
      new LSTM({ inputSize: 3, hiddenSize: 4, forgetGate: false, dtype: 'float64', generator: g, numLayers: 2, bidirectional: true }),
      new LSTM({ inputSize: 3, hiddenSize: 4, coupledGates: true, dtype: 'float64', generator: g }),
      new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', dtype: 'float64', generator: g, numLayers: 2 }),
    ]) {
      const xs = rand([5, 2, 3], g, { requiresGrad: true });
      const run = (fused: boolean) => {
        m.fused = fused;
        for (const p of m.parameters()) p.grad = null;
        xs.grad = null;
        const r = m.forward(xs);
        sum(mul(r.output, rand(r.output.shape, new RandomGenerator(1)))).backward();
        return { ops: opsIn(r.output), values: [[...r.output.values()], [...xs.grad!.values()], ...m.parameters().map((p) => [...p.grad!.values()])] };
      };
      const fast = run(true), slow = run(false);
      expect(fast.ops).toContain('compiledSequence');
      expect(slow.ops).not.toContain('compiledSequence');
      expect(maxError(fast.values, slow.values)).toBeLessThanOrEqual(1e-10);
    }
  });
});

/** The op names of the graph behind t. */
function opsIn(t: Tensor): string[] {
  const seen = new Set<unknown>(), names: string[] = [];
  const stack = [t];
  while (stack.length) {
    const n = stack.pop()!.node;
    if (!n || seen.has(n)) continue;
    seen.add(n);
    names.push(n.op);
    stack.push(...n.inputs);
  }
  return names;
}

describe('compiled cells where cells go', () => {
  it('the seq2seq Encoder and tbptt give what the composed cell gives', () => {
    const g = new RandomGenerator(9);
    const cell = new MGU(4, 5, g);
    const src = new Tensor(K.fromData(Int32Array.from([1, 2, 3, 0, 4, 1, 0, 0]), [2, 4]), {});
    const enc = (rnn: typeof cell) => {
      const e = new Encoder({ vocabSize: 6, embeddingDim: 4, paddingIdx: 0, rnn, dtype: 'float64', generator: new RandomGenerator(1) });
      const r = e.forward(src);
      return [[...r.outputs.values()], [...r.state.h.values()]];
    };
    expect(maxError(enc(compileCell(cell)), enc(cell))).toBeLessThanOrEqual(1e-12); // a user cell: unroll steps it

    const xs = rand([9, 2, 4], g);
    const params = cell.parameters();
    const train = (c: typeof cell) => {
      for (const p of params) p.grad = null;
      const final = tbptt({ xs }, 4, c.initialState(2), ({ chunk, state }) => {
        const r = unroll(c, chunk.xs, { initialState: state });
        sum(r.outputs).backward();
        return detachState(r.state);
      });
      return [[...final.h.values()], ...params.map((p) => [...p.grad!.values()])];
    };
    expect(maxError(train(compileCell(cell)), train(cell))).toBeLessThanOrEqual(1e-10);
  });
});

describe('refusals name the op and the cell', () => {
  const g = new RandomGenerator(3);
  const xs = rand([3, 2, 2], g);
  class Gathering extends IndRNN {
    override step(s: { h: Tensor }, x: Tensor) {
      const h = gather(s.h.add(matmul(x, this.w, { transB: true })), 1, new Tensor(K.zeros([2, 3], { dtype: 'int32' })));
      return { state: { h }, output: h };
    }
  }
  it('an op a compiled step does not support', () => {
    expect(() => unroll(compileCell(new Gathering(2, 3, g)), xs)).toThrow(
      /compileCell: Gathering\.step uses 'gather', which a compiled step does not support/);
  });
  it('a JS branch on tensor values (the graph differs between calls)', () => {
    class Branchy extends IndRNN {
      override step(s: { h: Tensor }, x: Tensor) {
        const pre = matmul(x, this.w, { transB: true }).add(this.u.mul(s.h));
        const h = s.h.values()[0]! > 0 ? pre.tanh() : pre.sigmoid();
        return { state: { h }, output: h };
      }
    }
    expect(() => unroll(compileCell(new Branchy(2, 3, g)), xs)).toThrow(/Branchy\.step runs a different sequence of ops from call to call.*branches in JavaScript on tensor values/);
  });
  it('dropout inside step: refused in training, compiled in eval', () => {
    class Dropping extends IndRNN {
      override step(s: { h: Tensor }, x: Tensor) {
        const h = dropout(matmul(x, this.w, { transB: true }).add(this.u.mul(s.h)).tanh(), 0.3, { training: this.training });
        return { state: { h }, output: h };
      }
    }
    const cell = compileCell(new Dropping(2, 3, g));
    expect(() => unroll(cell, xs)).toThrow(/compileCell: Dropping\.step draws random numbers \(dropout in training mode, noise\)/);
    cell.eval();
    expect(maxError([[...unroll(cell, xs).outputs.values()]], [[...unroll(composed(cell), xs).outputs.values()]])).toBeLessThanOrEqual(1e-12);
  });
  it('a tensor made from values read out of the state', () => {
    class Reading extends IndRNN {
      override step(s: { h: Tensor }, x: Tensor) {
        const k = new Tensor(K.full([1], s.h.values()[0]!, { dtype: 'float64' }));
        const h = matmul(x, this.w, { transB: true }).add(this.u.mul(s.h)).mul(k).tanh();
        return { state: { h }, output: h };
      }
    }
    expect(() => unroll(compileCell(new Reading(2, 3, g)), xs)).toThrow(/Reading\.step makes a tensor \[1\] \(read by 'mul'\) whose values differ from call to call/);
  });
  it('tracing does not move the default random stream', () => {
    const before = K.defaultGenerator.getState();
    unroll(compileCell(new IndRNN(2, 3, new RandomGenerator(2))), xs);
    expect(K.defaultGenerator.getState()).toEqual(before);
  });
  it('verify catches a compiled step that disagrees with the composed one', () => {
    // A user op whose scalar rule (what compiled code runs) disagrees with its forward (what composes).
    const badOp = defineOp({
      name: 'test.badSoftsign', inputs: ['x'],
      pointwise: () => ({ forward: (x) => x / (1 + Math.abs(x)) + 1e-3, partials: [(x) => 1 / (1 + Math.abs(x)) ** 2] }),
      forward: ([x]) => K.map(x!, (v) => v / (1 + Math.abs(v))),
      backward: ({ dy }) => [() => dy],
    });
    class Bad extends IndRNN {
      override step(s: { h: Tensor }, x: Tensor) {
        const h = badOp.apply([matmul(x, this.w, { transB: true }).add(this.u.mul(s.h))], undefined);
        return { state: { h }, output: h };
      }
    }
    expect(() => unroll(compileCell(new Bad(2, 3, g)), xs)).toThrow(/compileCell: Bad compiled and composed disagree on this batch: largest error 1\.\d+e-3 .* at outputs\[/);
    expect(() => unroll(compileCell(new Bad(2, 3, g), { verify: false }), xs)).not.toThrow();
  });
  it('unknown options and non-cells', () => {
    expect(() => compileCell(new MGU(2, 3, g), { verfy: true } as never)).toThrow("compileCell: unknown option 'verfy' (known: verify, tolerance)");
    expect(() => compileCell({} as never)).toThrow(/compileCell: cell must be a RecurrentCell/);
  });
  it('a state whose structure the step changes', () => {
    const odd = { inputSize: 2, outputSize: 3, initialState: (b: number) => ({ h: new Tensor(K.zeros([b, 3], { dtype: 'float64' })) }),
      step: (s: { h: Tensor }, x: Tensor) => ({ state: { h: s.h, extra: x }, output: s.h }) };
    expect(() => unroll(compileCell(odd), xs)).toThrow(/returned a state of another structure/);
  });
});

describe('where generating code is forbidden (Content-Security-Policy)', () => {
  const original = globalThis.Function;
  afterEach(() => { globalThis.Function = original; });
  it('compileCell throws saying so; built-in cells fall back to their composed step', () => {
    const g = new RandomGenerator(4);
    const xs = rand([3, 2, 2], g);
    const forbid = () => {
      globalThis.Function = function () { throw new EvalError('Refused to evaluate a string as JavaScript'); } as unknown as FunctionConstructor;
    };
    forbid();
    expect(() => unroll(compileCell(new MGU(2, 3, new RandomGenerator(1))), xs)).toThrow(/forbids generating code.*unsafe-eval/);
    const cell = new LSTMCell({ inputSize: 2, hiddenSize: 3, forgetGate: false, dtype: 'float64', generator: g });
    const r = unroll(cell, xs);
    globalThis.Function = original;
    expect(opsIn(r.outputs)).not.toContain('compiledSequence');
    expect(maxError([[...r.outputs.values()]], [[...unroll(composed(cell), xs).outputs.values()]])).toBe(0);
  });
});
