// The built-in cells: layout, initialisation, equations against hand-written math, every
// variant's gradients (fast-check sizes, float64), float32, and bad-input errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, gradcheckModule, StateDictError, Tensor, sigmoid, tanh, matmul, tensor } from '@unroll/autograd';
import { GRUCell, LSTMCell, RNNCell } from '@unroll/rnn';
import type { LSTMCellOptions, LSTMState } from '@unroll/rnn';
import { GRAD_TOL, SEED, expectClose, parameterKeys, rand, tinySizes } from './helpers.js';
import type { TinySizes } from './helpers.js';

type AnyCell = RNNCell | LSTMCell | GRUCell;

interface Variant {
  name: string;
  make: (s: TinySizes) => AnyCell;
  stateKeys: ('h' | 'c')[];
}

const f64 = (s: TinySizes) => ({ inputSize: s.input, hiddenSize: s.hidden, dtype: 'float64' as const, generator: new RandomGenerator(s.seed) });
const lstm = (extra: Partial<LSTMCellOptions>) => (s: TinySizes) => new LSTMCell({ ...f64(s), ...extra });

const variants: Variant[] = [
  { name: 'RNNCell tanh', make: (s) => new RNNCell(f64(s)), stateKeys: ['h'] },
  { name: 'RNNCell relu', make: (s) => new RNNCell({ ...f64(s), nonlinearity: 'relu' }), stateKeys: ['h'] },
  { name: 'RNNCell no bias', make: (s) => new RNNCell({ ...f64(s), bias: false }), stateKeys: ['h'] },
  { name: 'LSTMCell', make: lstm({}), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell peephole', make: lstm({ peephole: true }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell no forget gate', make: lstm({ forgetGate: false }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell no forget gate + peephole', make: lstm({ forgetGate: false, peephole: true }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell CIFG', make: lstm({ coupledGates: true }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell CIFG + peephole', make: lstm({ coupledGates: true, peephole: true }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell identity σ_h, tanh gates, custom σ_c', make: lstm({ hiddenActivation: 'identity', gateActivation: 'tanh', cellActivation: (x) => x.mul(0.5).tanh() }), stateKeys: ['h', 'c'] },
  { name: 'LSTMCell no bias', make: lstm({ bias: false }), stateKeys: ['h', 'c'] },
  { name: 'GRUCell (reset after)', make: (s) => new GRUCell(f64(s)), stateKeys: ['h'] },
  { name: 'GRUCell reset before (Cho et al.)', make: (s) => new GRUCell({ ...f64(s), resetAfter: false }), stateKeys: ['h'] },
  { name: 'GRUCell no bias, reset before', make: (s) => new GRUCell({ ...f64(s), bias: false, resetAfter: false }), stateKeys: ['h'] },
];

describe.each(variants)('$name', ({ make, stateKeys }) => {
  it('passes gradcheck for x, the state and every parameter over a few steps', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const cell = make(s);
      const g = new RandomGenerator(s.seed + 1);
      // relu's kink at 0 is never hit with continuous random values.
      const xs = Array.from({ length: s.time }, () => rand([s.batch, s.input], g, { requiresGrad: true }));
      const s0 = stateKeys.map(() => rand([s.batch, s.hidden], g, { requiresGrad: true, scale: 0.5 }));
      const r = gradcheckModule(cell, (...ins) => {
        let state = Object.fromEntries(stateKeys.map((k, i) => [k, ins[s.time + i]!])) as unknown as LSTMState;
        const outs: Tensor[] = [];
        for (let t = 0; t < s.time; t++) {
          const step = (cell.step as (st: LSTMState, x: Tensor) => { state: LSTMState; output: Tensor })(state, ins[t]!);
          state = step.state;
          outs.push(step.output);
        }
        return [...outs, ...stateKeys.map((k) => state[k])];
      }, { inputs: [...xs, ...s0], ...GRAD_TOL });
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 8 });
  });

  it('runs in float32 and gives the float64 result to float32 precision', () => {
    const s = { batch: 2, time: 1, input: 3, hidden: 4, seed: 7 };
    const c64 = make(s);
    const c32 = make(s).to('float32');
    expect(c32.weightIh.dtype).toBe('float32');
    const x = rand([2, 3], new RandomGenerator(3));
    const st64 = c64.initialState(2);
    const st32 = c32.initialState(2);
    expect(st32.h.dtype).toBe('float32');
    const y64 = (c64.step as (s: unknown, x: Tensor) => { output: Tensor })(st64, x).output;
    const y32 = (c32.step as (s: unknown, x: Tensor) => { output: Tensor })(st32, x.to('float32')).output;
    expect(y32.dtype).toBe('float32');
    expectClose(y32.to('float64'), y64, 1e-6);
  });
});

describe('parameter layout and initialisation (PyTorch)', () => {
  it('registers weight_ih, weight_hh, bias_ih, bias_hh with torch shapes and gate counts', () => {
    const shapes = (m: AnyCell) => m.namedParameters().map(([n, p]) => `${n}${K.fmt(p.shape)}`);
    expect(shapes(new RNNCell({ inputSize: 5, hiddenSize: 4 }))).toEqual(['weight_ih[4, 5]', 'weight_hh[4, 4]', 'bias_ih[4]', 'bias_hh[4]']);
    expect(shapes(new LSTMCell({ inputSize: 5, hiddenSize: 4 }))).toEqual(['weight_ih[16, 5]', 'weight_hh[16, 4]', 'bias_ih[16]', 'bias_hh[16]']);
    expect(shapes(new GRUCell({ inputSize: 5, hiddenSize: 4 }))).toEqual(['weight_ih[12, 5]', 'weight_hh[12, 4]', 'bias_ih[12]', 'bias_hh[12]']);
    expect(shapes(new LSTMCell({ inputSize: 5, hiddenSize: 4, peephole: true })))
      .toEqual(['weight_ih[16, 5]', 'weight_hh[16, 4]', 'bias_ih[16]', 'bias_hh[16]', 'weight_ci[4]', 'weight_cf[4]', 'weight_co[4]']);
    // Without an independent forget gate there is no weight_cf, but the 4H layout stays.
    expect(shapes(new LSTMCell({ inputSize: 5, hiddenSize: 4, peephole: true, coupledGates: true })))
      .toEqual(['weight_ih[16, 5]', 'weight_hh[16, 4]', 'bias_ih[16]', 'bias_hh[16]', 'weight_ci[4]', 'weight_co[4]']);
    expect(shapes(new GRUCell({ inputSize: 5, hiddenSize: 4, bias: false }))).toEqual(['weight_ih[12, 5]', 'weight_hh[12, 4]']);
    const cell = new LSTMCell({ inputSize: 5, hiddenSize: 4 });
    expect(cell.dtype).toBe('float32');
    expect(parameterKeys(cell)).toEqual(['weightIh', 'weightHh', 'biasIh', 'biasHh']);
  });

  it('draws every weight and bias from U(−1/√H, 1/√H), reproducibly from the generator', () => {
    const H = 16;
    const a = new LSTMCell({ inputSize: 8, hiddenSize: H, generator: new RandomGenerator(1), peephole: true });
    const b = new LSTMCell({ inputSize: 8, hiddenSize: H, generator: new RandomGenerator(1), peephole: true });
    for (const [name, p] of a.namedParameters()) {
      const v = [...p.values()];
      const bound = 1 / Math.sqrt(H);
      expect(Math.max(...v.map(Math.abs)), name).toBeLessThanOrEqual(bound);
      // Spread over the interval, not a constant.
      expect(Math.max(...v) - Math.min(...v), name).toBeGreaterThan(bound * 0.8);
    }
    a.namedParameters().forEach(([n, p], i) => expect([...p.values()], n).toEqual([...b.parameters()[i]!.values()]));
  });

  it("sets the forget bias: bias_ih's f block = forgetBias, bias_hh's f block = 0", () => {
    const H = 3;
    const cell = new LSTMCell({ inputSize: 2, hiddenSize: H, forgetBias: 1 });
    const bi = [...cell.biasIh!.values()], bh = [...cell.biasHh!.values()];
    expect(bi.slice(H, 2 * H)).toEqual([1, 1, 1]);
    expect(bh.slice(H, 2 * H)).toEqual([0, 0, 0]);
    expect(bi.slice(0, H).every((v) => Math.abs(v) <= 1 / Math.sqrt(H) && v !== 1)).toBe(true);
  });

  it("recurrentInit: 'orthogonal' makes each gate block of weight_hh orthogonal", () => {
    const H = 5;
    for (const cell of [
      new LSTMCell({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal', dtype: 'float64' }),
      new GRUCell({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal', dtype: 'float64' }),
      new RNNCell({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal', dtype: 'float64' }),
    ]) {
      const G = cell.weightHh.shape[0]! / H;
      for (let g = 0; g < G; g++) {
        const block = cell.weightHh.narrow(0, g * H, H);
        const gram = matmul(block, block, { transB: true });
        const eye = tensor(Array.from({ length: H }, (_, i) => Array.from({ length: H }, (_, j) => (i === j ? 1 : 0))), { dtype: 'float64' });
        expectClose(gram, eye, 1e-12, `block ${g} of ${cell.constructor.name}`);
      }
    }
  });
});

describe('equations', () => {
  it('LSTMCell with peepholes follows Gers & Schmidhuber (the output gate sees the new c)', () => {
    const g = new RandomGenerator(5);
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 2, peephole: true, dtype: 'float64', generator: g });
    const x = rand([2, 3], g), h = rand([2, 2], g), c = rand([2, 2], g);
    const got = cell.step({ h, c }, x);
    // By hand, gate by gate with separate matmuls.
    const H = 2;
    const W = (p: Tensor, k: number) => p.narrow(0, k * H, H);
    const b = (k: number) => W(cell.biasIh!, k).add(W(cell.biasHh!, k));
    const pre = (k: number) => matmul(x, W(cell.weightIh, k), { transB: true }).add(matmul(h, W(cell.weightHh, k), { transB: true })).add(b(k));
    const i = sigmoid(pre(0).add(c.mul(cell.weightCi!)));
    const f = sigmoid(pre(1).add(c.mul(cell.weightCf!)));
    const gg = tanh(pre(2));
    const c2 = f.mul(c).add(i.mul(gg));
    const o = sigmoid(pre(3).add(c2.mul(cell.weightCo!)));
    expectClose(got.state.c, c2, 1e-14, 'c');
    expectClose(got.output, o.mul(tanh(c2)), 1e-14, 'h');
  });

  it('LSTMCell without a forget gate adds i ⊙ g to c; CIFG uses f = 1 − i; f rows get zero gradient', () => {
    const g = new RandomGenerator(6);
    const base = { inputSize: 2, hiddenSize: 2, dtype: 'float64' as const };
    const x = rand([1, 2], g), h = rand([1, 2], g), c = rand([1, 2], g);
    const std = new LSTMCell({ ...base, generator: new RandomGenerator(9) });
    const noF = new LSTMCell({ ...base, generator: new RandomGenerator(9), forgetGate: false });
    const cifg = new LSTMCell({ ...base, generator: new RandomGenerator(9), coupledGates: true });
    const gates = matmul(x, std.weightIh, { transB: true }).add(matmul(h, std.weightHh, { transB: true })).add(std.biasIh!).add(std.biasHh!);
    const [ai, , ag] = gates.split(2, 1) as [Tensor, Tensor, Tensor];
    const ig = sigmoid(ai).mul(tanh(ag));
    expectClose(noF.step({ h, c }, x).state.c, c.add(ig), 1e-14, 'no forget gate');
    expectClose(cifg.step({ h, c }, x).state.c, sigmoid(ai).neg().add(1).mul(c).add(ig), 1e-14, 'CIFG');
    for (const cell of [noF, cifg]) {
      cell.zeroGrad();
      const r = cell.step({ h, c }, x);
      r.output.sum().add(r.state.c.sum()).backward();
      const gradRows = cell.weightIh.grad!.toArray() as number[][];
      expect(gradRows.slice(2, 4).flat().every((v) => v === 0)).toBe(true);
      expect(gradRows.slice(0, 2).flat().some((v) => v !== 0)).toBe(true);
    }
  });

  it('GRUCell resetAfter false applies r before the recurrent product (Cho et al. 2014)', () => {
    const g = new RandomGenerator(8);
    const cell = new GRUCell({ inputSize: 3, hiddenSize: 2, resetAfter: false, dtype: 'float64', generator: g });
    const x = rand([2, 3], g), h = rand([2, 2], g);
    const H = 2;
    const W = (p: Tensor, k: number) => p.narrow(0, k * H, H);
    const lin = (w: Tensor, v: Tensor, b: Tensor, k: number) => matmul(v, W(w, k), { transB: true }).add(W(b, k));
    const r = sigmoid(lin(cell.weightIh, x, cell.biasIh!, 0).add(lin(cell.weightHh, h, cell.biasHh!, 0)));
    const z = sigmoid(lin(cell.weightIh, x, cell.biasIh!, 1).add(lin(cell.weightHh, h, cell.biasHh!, 1)));
    const n = tanh(lin(cell.weightIh, x, cell.biasIh!, 2).add(lin(cell.weightHh, r.mul(h), cell.biasHh!, 2)));
    const want = z.neg().add(1).mul(n).add(z.mul(h));
    expectClose(cell.step({ h }, x).output, want, 1e-14);
  });
});

describe('errors', () => {
  it('step names the cell and the shapes', () => {
    const cell = new LSTMCell({ inputSize: 8, hiddenSize: 20 });
    const st = cell.initialState(4);
    expect(() => cell.step(st, new Tensor(K.zeros([4, 5])))).toThrow('LSTMCell.step: x must be [batch, 8]; got [4, 5]');
    expect(() => cell.step({ h: st.h, c: new Tensor(K.zeros([4, 21])) }, new Tensor(K.zeros([4, 8]))))
      .toThrow('LSTMCell.step: state.c must be [4, 20]; got [4, 21]');
    expect(() => cell.step({ h: st.h } as LSTMState, new Tensor(K.zeros([4, 8])))).toThrow('LSTMCell.step: state.c must be a Tensor [4, 20]; got undefined');
    expect(() => cell.step(st, new Tensor(K.zeros([8])))).toThrow('LSTMCell.step: x must be [batch, 8]; got [8]');
    expect(() => cell.step(st, new Tensor(K.zeros([4, 8], { dtype: 'float64' })))).toThrow("LSTMCell.step: x is float64 but the parameters are float32");
    const gru = new GRUCell({ inputSize: 2, hiddenSize: 3 });
    expect(() => gru.step({ h: new Tensor(K.zeros([2, 3])) }, new Tensor(K.zeros([3, 2])))).toThrow('GRUCell.step: state.h must be [3, 3]; got [2, 3]');
    const rnn = new RNNCell({ inputSize: 2, hiddenSize: 3 });
    expect(() => rnn.step({ h: new Tensor(K.zeros([1, 3])) }, new Tensor(K.zeros([1, 3])))).toThrow('RNNCell.step: x must be [batch, 2]; got [1, 3]');
    expect(() => rnn.initialState(0)).toThrow('RNNCell.initialState: batch must be a positive integer; got 0');
  });

  it('constructors refuse bad and contradictory options', () => {
    expect(() => new RNNCell({ inputSize: 0, hiddenSize: 3 })).toThrow('RNNCell: inputSize must be a positive integer; got 0');
    expect(() => new GRUCell({ inputSize: 2, hiddenSize: 2.5 })).toThrow('GRUCell: hiddenSize must be a positive integer; got 2.5');
    expect(() => new RNNCell({ inputSize: 2, hiddenSize: 3, nonlinearity: 'sigmoid' as 'tanh' })).toThrow("RNNCell: nonlinearity must be 'tanh' or 'relu'; got sigmoid");
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, forgetGate: false, coupledGates: true })).toThrow('LSTMCell: coupledGates (f = 1 − i) needs a forget gate');
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, forgetGate: false, forgetBias: 1 })).toThrow('LSTMCell: forgetBias has no effect without a forget gate');
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, coupledGates: true, forgetBias: 1 })).toThrow('LSTMCell: forgetBias has no effect with coupledGates');
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, bias: false, forgetBias: 1 })).toThrow('LSTMCell: forgetBias needs bias: true');
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, gateActivation: 'gelu' as 'tanh' })).toThrow("LSTMCell: gateActivation must be 'sigmoid', 'tanh', 'relu', 'identity' or a function; got gelu");
    expect(() => new LSTMCell({ inputSize: 2, hiddenSize: 3, peepholes: true } as LSTMCellOptions)).toThrow("LSTMCell: unknown option 'peepholes'");
    expect(() => new GRUCell({ inputSize: 2, hiddenSize: 3, recurrentInit: 'eye' as 'uniform' })).toThrow("GRUCell: recurrentInit must be 'uniform' or 'orthogonal'; got eye");
    expect(() => new RNNCell({ inputSize: 2, hiddenSize: 3, dtype: 'int32' as 'float32' })).toThrow("RNNCell: dtype must be 'float32' or 'float64'; got int32");
  });

  it('LSTMCell.loadStateDict explains the 4H layout and peephole differences', () => {
    const H = 2;
    const coupled = new LSTMCell({ inputSize: 3, hiddenSize: H, coupledGates: true });
    const threeH = {
      weight_ih: new Tensor(K.zeros([3 * H, 3])), weight_hh: new Tensor(K.zeros([3 * H, H])),
      bias_ih: new Tensor(K.zeros([3 * H])), bias_hh: new Tensor(K.zeros([3 * H])),
    };
    expect(() => coupled.loadStateDict(threeH)).toThrow(StateDictError);
    expect(() => coupled.loadStateDict(threeH)).toThrow(/weight_ih has 3H = 6 rows: LSTMCell always keeps PyTorch's 4H layout/);
    const plain = new LSTMCell({ inputSize: 3, hiddenSize: H }).stateDict();
    const peep = new LSTMCell({ inputSize: 3, hiddenSize: H, peephole: true });
    expect(() => peep.loadStateDict(plain)).toThrow(/weight_ci, weight_cf, weight_co \(peepholes\) are not in the state dict .*strict: false/);
    expect(peep.loadStateDict(plain, { strict: false }).missingKeys).toEqual(['weight_ci', 'weight_cf', 'weight_co']);
    expect(() => new LSTMCell({ inputSize: 3, hiddenSize: H }).loadStateDict(peep.stateDict())).toThrow(/are peephole weights: build the LSTM with peephole: true/);
    const noF = new LSTMCell({ inputSize: 3, hiddenSize: H, peephole: true, forgetGate: false });
    expect(() => noF.loadStateDict(peep.stateDict())).toThrow(/weight_cf: this LSTM has no independent forget gate/);
    // The same-layout round trip loads.
    const other = new LSTMCell({ inputSize: 3, hiddenSize: H, peephole: true });
    other.loadStateDict(peep.stateDict());
    expect([...other.weightCo!.values()]).toEqual([...peep.weightCo!.values()]);
  });
});
