// Unbatched input to the modules, as PyTorch: x [T, I] → output [T, D·H], states [L·D, H] (given
// and returned); equal to a batch of one; a [T] mask; refusals. PyTorch parity: reference.test.ts.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Tensor, tensor, unsqueeze } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';
import { expectClose, rand } from './helpers.js';

const f64 = { dtype: 'float64' as const };

describe('unbatched input', () => {
  const g = new RandomGenerator(9);
  const x = rand([5, 3], g);

  it.each([
    ['RNN', new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, ...f64, generator: g })],
    ['LSTM', new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true, ...f64, generator: g })],
    ['GRU', new GRU({ inputSize: 3, hiddenSize: 4, ...f64, generator: g })],
  ] as const)('%s: x [T, I] gives output [T, D·H] and states [L·D, H], equal to a batch of one', (_, m) => {
    const rows = m.numLayers * (m.bidirectional ? 2 : 1);
    const s0 = Object.fromEntries(Object.keys(m.forward(x).state).map((k) => [k, rand([rows, 4], g)]));
    const r = m.forward(x, s0 as never);
    expect(r.output.shape).toEqual([5, m.outputSize]);
    for (const t of Object.values(r.state)) expect((t as Tensor).shape).toEqual([rows, 4]);
    // batchFirst does not apply to unbatched input (PyTorch): compare with time-major [T, 1, I].
    const xb = m.batchFirst ? unsqueeze(x, 0) : unsqueeze(x, 1);
    const sb = Object.fromEntries(Object.entries(s0).map(([k, t]) => [k, unsqueeze(t, 1)]));
    const b = m.forward(xb, sb as never);
    expectClose(r.output, m.batchFirst ? b.output.select(0, 0) : b.output.select(1, 0), 0);
    for (const [k, t] of Object.entries(r.state)) expectClose(t as Tensor, (b.state as Record<string, Tensor>)[k]!.select(1, 0), 0);
  });

  it('takes a [time] mask; gradients reach x and the unbatched state', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 2, ...f64, generator: g });
    const mask = [0, 1, 1, 0, 1];
    const xr = rand([5, 3], g, { requiresGrad: true });
    const h0 = rand([1, 2], g, { requiresGrad: true });
    const c0 = rand([1, 2], g);
    const r = m.forward(xr, { h: h0, c: c0 }, { mask });
    const b = m.forward(unsqueeze(xr, 1), { h: unsqueeze(h0, 1), c: unsqueeze(c0, 1) }, { mask: mask.map((v) => [v]) });
    expectClose(r.output, b.output.select(1, 0), 0);
    expectClose(r.state.c, b.state.c.select(1, 0), 0);
    expectClose(r.output.select(0, 0), tensor([0, 0], f64), 0);
    r.output.sum().add(r.state.h.sum()).backward();
    expect(xr.grad!.shape).toEqual([5, 3]);
    expect(h0.grad!.shape).toEqual([1, 2]);
    expect(m.forward(xr, undefined, { mask: tensor(mask, { dtype: 'int32' }) }).output.shape).toEqual([5, 2]);
  });

  it('refuses batched states, lengths and a wrong mask for unbatched input', () => {
    const m = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, ...f64, generator: g });
    expect(() => m.forward(x, { h: rand([2, 1, 4], g) })).toThrow('GRU.forward: for unbatched x, state.h must be [2, 4] ([numLayers · directions, hiddenSize]); got [2, 1, 4]');
    expect(() => m.forward(x, undefined, { lengths: [3] })).toThrow('GRU.forward: lengths need batched input [time, batch, features]');
    expect(() => m.forward(x, undefined, { mask: [1, 0] })).toThrow('GRU.forward: for unbatched x [5, 3] the mask must be [time] = [5]; got [2]');
    expect(() => m.forward(x, undefined, { mask: [[1, 0, 1, 1, 1]] })).toThrow('GRU.forward: for unbatched x [5, 3] the mask must be [time] = [5]; got nested arrays');
    expect(() => m.forward(rand([5, 2], g))).toThrow('GRU.forward: unbatched x must be [time, 3] (time ≥ 1); got [5, 2]');
    expect(() => m.forward(rand([5, 3], g, { dtype: 'float32' }))).toThrow('GRU.forward: x is float32 but the parameters are float64');
  });
});
