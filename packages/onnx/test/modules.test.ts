// RNN / LSTM / GRU modules with every variant and option exported and run in onnxruntime: standard
// layers become one ONNX LSTM/GRU/RNN node per layer (both directions of a bidirectional one in it); variants ONNX cannot say are unrolled.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, randn, tensor } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';
import type { GRUOptions, LSTMOptions, RNNOptions } from '@unroll/rnn';
import { exportOnnx } from '../src/index.js';
import { checkExport, expectClose, runOnnx } from './ort.js';
import { opCounts } from './graph.js';

const I = 3, H = 4, T = 5, B = 3;

/** The option combinations every module is exported with. */
const SETUPS = [
  { name: '1 layer', opts: {}, lengths: false, state: false },
  { name: '2 layers, bidirectional, initial state', opts: { numLayers: 2, bidirectional: true }, lengths: false, state: true },
  { name: 'batchFirst, lengths', opts: { batchFirst: true }, lengths: true, state: false },
  { name: '2 layers, bidirectional, batchFirst, lengths, initial state', opts: { numLayers: 2, bidirectional: true, batchFirst: true }, lengths: true, state: true },
  { name: 'no bias', opts: { bias: false }, lengths: false, state: true },
] as const;

type Module = LSTM | GRU | RNN;

/** Exports module.forward with x (and lengths, initial state) as inputs, batch and time dynamic; runs it at two more sizes. */
async function checkModule(make: (o: object) => Module, setup: (typeof SETUPS)[number], dtype: 'float32' | 'float64' = 'float32') {
  manualSeed(11);
  const m = make({ inputSize: I, hiddenSize: H, ...setup.opts, dtype });
  const batchFirst = m.batchFirst, D = m.bidirectional ? 2 : 1, rows = m.numLayers * D;
  const keys = m instanceof LSTM ? ['h', 'c'] : ['h'];
  const inputs = (t: number, b: number) => {
    const x = randn(batchFirst ? [b, t, I] : [t, b, I], { dtype });
    const xs: Tensor[] = [x];
    if (setup.lengths) xs.push(tensor(Array.from({ length: b }, (_, k) => Math.max(1, t - ((k * 2) % t))), { dtype: 'int32' }));
    if (setup.state) for (const _ of keys) xs.push(randn([rows, b, H], { dtype }));
    return xs;
  };
  const names = ['x', ...(setup.lengths ? ['lengths'] : []), ...(setup.state ? keys.map((k) => `${k}0`) : [])];
  const fn = (x: Tensor, ...rest: Tensor[]) => {
    const lengths = setup.lengths ? rest.shift() : undefined;
    const state = setup.state ? Object.fromEntries(keys.map((k, i) => [k, rest[i]!])) : undefined;
    return m.forward(x, state as never, lengths ? { lengths } : {});
  };
  const [tAxis, bAxis] = batchFirst ? [1, 0] : [0, 1];
  const dynamicAxes: Record<string, Record<number, string>> = { x: { [tAxis]: 'time', [bAxis]: 'batch' } };
  if (setup.lengths) dynamicAxes.lengths = { 0: 'batch' };
  if (setup.state) for (const k of keys) dynamicAxes[`${k}0`] = { 1: 'batch' };
  const bytes = await checkExport(fn, inputs(T, B), { module: m, inputNames: names, dynamicAxes }, {
    more: [inputs(T + 3, B + 2), inputs(2, 1)],
    ...(dtype === 'float64' ? { rtol: 1e-5, atol: 1e-6 } : {}),
  });
  return { bytes, layers: m.numLayers };
}

const LSTM_VARIANTS: [string, Partial<LSTMOptions>, boolean][] = [
  ['standard (fused)', {}, true],
  ['peephole (fused)', { peephole: true }, true],
  ['standard, fused: false', { fused: false }, true],
  ['coupled gates (CIFG → input_forget)', { coupledGates: true }, true],
  ['CIFG with peepholes', { coupledGates: true, peephole: true }, true],
  ['activations relu / identity / tanh', { gateActivation: 'sigmoid', cellActivation: 'relu', hiddenActivation: 'identity' }, true],
  ['hard gates (relu σ_g)', { gateActivation: 'relu' }, true],
  ['no forget gate (unrolled)', { forgetGate: false }, false],
  ['user activation function (unrolled)', { cellActivation: (x: Tensor) => x.tanh().mul(0.5) }, false],
];

describe.each(LSTM_VARIANTS)('LSTM %s', (_, variant, native) => {
  it.each(SETUPS)('$name', async (setup) => {
    const dynamic = native; // an unrolled variant's graph depends on time: exported with fixed sizes
    if (!dynamic) {
      manualSeed(3);
      const m = new LSTM({ inputSize: I, hiddenSize: H, ...setup.opts, ...variant });
      const x = randn(m.batchFirst ? [B, T, I] : [T, B, I]);
      const bytes = await checkExport((x) => m.forward(x), [x], { module: m });
      expect(opCounts(bytes).LSTM).toBeUndefined();
      return;
    }
    const { bytes, layers } = await checkModule((o) => new LSTM({ ...(o as LSTMOptions), ...variant }), setup);
    expect(opCounts(bytes).LSTM).toBe(layers);
  });
});

describe.each([
  ['reset after (PyTorch, fused)', {}],
  ['reset before (Cho et al., fused)', { resetAfter: false }],
  ['reset after, fused: false', { fused: false }],
  ['reset before, fused: false', { resetAfter: false, fused: false }],
] as [string, Partial<GRUOptions>][])('GRU %s', (_, variant) => {
  it.each(SETUPS)('$name', async (setup) => {
    const { bytes, layers } = await checkModule((o) => new GRU({ ...(o as GRUOptions), ...variant }), setup);
    expect(opCounts(bytes).GRU).toBe(layers);
  });
});

describe.each([['tanh', {}], ['relu', { nonlinearity: 'relu' }]] as [string, Partial<RNNOptions>][])('RNN %s', (_, variant) => {
  it.each(SETUPS)('$name', async (setup) => {
    const { bytes, layers } = await checkModule((o) => new RNN({ ...(o as RNNOptions), ...variant }), setup);
    expect(opCounts(bytes).RNN).toBe(layers);
  });
});

describe('random module configurations (fast-check)', () => {
  it('any sizes, layers, directions and layout: onnxruntime agrees at the example and at other sizes', async () => {
    const configs = fc.sample(fc.record({
      kind: fc.constantFrom('lstm', 'gru', 'rnn'),
      inputSize: fc.integer({ min: 1, max: 5 }),
      hiddenSize: fc.integer({ min: 1, max: 6 }),
      numLayers: fc.integer({ min: 1, max: 3 }),
      bidirectional: fc.boolean(),
      batchFirst: fc.boolean(),
      time: fc.integer({ min: 1, max: 6 }),
      batch: fc.integer({ min: 1, max: 4 }),
    }), { seed: 17, numRuns: 12 });
    for (const c of configs) {
      manualSeed(c.time * 10 + c.batch);
      const opts = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst };
      const m = c.kind === 'lstm' ? new LSTM(opts) : c.kind === 'gru' ? new GRU(opts) : new RNN(opts);
      const x = (t: number, b: number) => randn(c.batchFirst ? [b, t, c.inputSize] : [t, b, c.inputSize]);
      const [tAxis, bAxis] = c.batchFirst ? [1, 0] : [0, 1];
      const bytes = await checkExport((xs) => m.forward(xs), [x(c.time, c.batch)], { module: m, dynamicAxes: { input: { [tAxis]: 'time', [bAxis]: 'batch' } } },
        { more: [[x(c.time + 2, c.batch + 1)]] });
      expect(opCounts(bytes)[c.kind.toUpperCase()], JSON.stringify(c)).toBe(c.numLayers);
    }
  });
});

describe('training mode', () => {
  it('the module is exported in eval mode (dropout between layers off) and left in training mode', async () => {
    manualSeed(12);
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5 });
    m.train();
    const x = randn([4, 2, 3]);
    const bytes = exportOnnx((xs) => m.forward(xs).output, [x], { module: m });
    expect(m.training).toBe(true);
    m.eval();
    await checkExport((xs) => m.forward(xs).output, [x], { module: m });
    const got = await runOnnx(bytes, { input: x });
    expectClose('output', got.output!, m.forward(x).output, 1e-5, 1e-6);
  });
});
