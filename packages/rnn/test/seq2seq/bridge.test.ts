// Bridges from the encoder's final state to the decoder's first: identity, zeros, and the learned
// Linear + tanh across state shapes (bidirectional LSTM { h, c } → GRU { h }, stacks, sizes).
import { describe, expect, it } from 'vitest';
import { RandomGenerator, concat, tanh, zeros } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import {
  Decoder, Encoder, GRUCell, LSTMCell, LinearBridge, Seq2Seq, bidirectional, createAttention, identityBridge,
  stackCells, zeroBridge,
} from '../../src/index.js';
import { maxAbsDiff, randomIds } from './helpers.js';

const g = new RandomGenerator(21);
const lstm = (i: number, h: number) => new LSTMCell({ inputSize: i, hiddenSize: h, dtype: 'float64', generator: g });
const gru = (i: number, h: number) => new GRUCell({ inputSize: i, hiddenSize: h, dtype: 'float64', generator: g });

describe('bridges', () => {
  it('identityBridge passes the state on; zeroBridge starts the decoder cell at zeros of the batch', () => {
    const s = { h: zeros([4, 3], { dtype: 'float64' }) };
    expect(identityBridge<typeof s>()(s)).toBe(s);
    const z = zeroBridge(lstm(2, 5))(s);
    expect(z.h.shape).toEqual([4, 5]);
    expect(z.c.shape).toEqual([4, 5]);
    expect(z.h.dtype).toBe('float64');
    expect(z.c.values().every((v) => v === 0)).toBe(true);
  });

  it('LinearBridge: bidirectional LSTM { forward: { h, c }, backward: { h, c } } → GRU { h } is tanh(W [h_f; c_f; h_b; c_b] + b)', () => {
    const encoder = new Encoder({ vocabSize: 6, embeddingDim: 2, dtype: 'float64', generator: g, rnn: bidirectional(lstm(2, 3), lstm(2, 3)) });
    const bridge = new LinearBridge(encoder, gru(2, 4), { dtype: 'float64', generator: g });
    expect(bridge.inputPaths).toEqual(['state.forward.h', 'state.forward.c', 'state.backward.h', 'state.backward.c']);
    expect(bridge.namedParameters().map(([n]) => n)).toEqual(['h.weight', 'h.bias']);
    const enc = encoder.forward(randomIds(g, [3, 2], 6));
    const s = enc.state;
    const out = bridge.forward(s);
    expect(out.h.shape).toEqual([2, 4]);
    const u = concat([s.forward.h, s.forward.c, s.backward.h, s.backward.c], 1);
    const want = tanh(u.matmul(bridge.outputs[0]!.linear.weight, { transB: true }).add(bridge.outputs[0]!.linear.bias!));
    expect(maxAbsDiff(out.h.values(), want.values())).toBeLessThan(1e-14);
  });

  it('LinearBridge: select reads only some tensors; identity activation; stacked states map tensor by tensor', () => {
    const encoder = new Encoder({ vocabSize: 6, embeddingDim: 2, dtype: 'float64', generator: g, rnn: bidirectional(lstm(2, 3), lstm(2, 3)) });
    const target = stackCells([lstm(2, 5), gru(5, 2)]);
    const bridge = new LinearBridge(encoder, target, { select: (p) => p.endsWith('.h'), activation: 'identity', dtype: 'float64', generator: g });
    expect(bridge.inputPaths).toEqual(['state.forward.h', 'state.backward.h']);
    expect(bridge.outputs.map((o) => [o.path, o.shape])).toEqual([
      ['state.layers[0].h', [5]], ['state.layers[0].c', [5]], ['state.layers[1].h', [2]],
    ]);
    const s = encoder.forward(randomIds(g, [2, 2, 1], 6)).state;
    const out = bridge.forward(s) as { layers: [{ h: Tensor; c: Tensor }, { h: Tensor }] };
    expect(out.layers[0].c.shape).toEqual([3, 5]);
    expect(out.layers[1].h.shape).toEqual([3, 2]);
    const u = concat([s.forward.h, s.backward.h], 1);
    const lin = bridge.outputs[2]!.linear;
    expect(maxAbsDiff(out.layers[1].h.values(), u.matmul(lin.weight, { transB: true }).add(lin.bias!).values())).toBeLessThan(1e-14);
    // The decoder then runs from it (a stacked decoder cell).
    expect(target.step(out as never, zeros([3, 2], { dtype: 'float64' })).output.shape).toEqual([3, 2]);
  });

  it('LinearBridge refuses a state that is not the one it was built for', () => {
    const encoder = new Encoder({ vocabSize: 6, embeddingDim: 2, dtype: 'float64', generator: g, rnn: lstm(2, 3) });
    const bridge = new LinearBridge(encoder, gru(2, 4), { dtype: 'float64' });
    const h = encoder.forward(randomIds(g, [2], 6)).state.h;
    expect(() => bridge.forward({ h } as never)).toThrow('LinearBridge.forward: the encoder state has tensors state.h; expected state.h, state.c');
    expect(() => bridge.forward({ h, c: concat([h, h], 1) })).toThrow('LinearBridge.forward: state.c must be [1, 3]; got [1, 6]');
    expect(() => new LinearBridge(encoder, gru(2, 4), { select: () => false })).toThrow('LinearBridge: no encoder-state tensor was selected');
    expect(() => new LinearBridge(encoder, gru(2, 4), { activation: 'relu' as never })).toThrow(/activation must be 'tanh' or 'identity'; got relu/);
  });

  it('a LinearBridge given to Seq2Seq is registered: its parameters are the model\'s and get gradients', () => {
    const encoder = new Encoder({ vocabSize: 6, embeddingDim: 2, paddingIdx: 0, dtype: 'float64', generator: g, rnn: bidirectional(lstm(2, 3), lstm(2, 3)) });
    const cell = gru(2 + 6, 6);
    const decoder = new Decoder({ vocabSize: 6, embeddingDim: 2, paddingIdx: 0, dtype: 'float64', generator: g, cell, attention: createAttention('dot', { querySize: 6, memorySize: 6 }) });
    const bridge = new LinearBridge(encoder, cell, { dtype: 'float64', generator: g });
    const model = new Seq2Seq({ encoder, decoder, bridge, bosId: 1, eosId: 2 });
    expect(model.namedParameters().map(([n]) => n).filter((n) => n.startsWith('bridge.'))).toEqual(['bridge.h.weight', 'bridge.h.bias']);
    model.loss(randomIds(g, [3, 2], 6), randomIds(g, [2, 2], 6, { endWith: 2 })).loss.backward();
    expect(bridge.outputs[0]!.linear.weight.grad!.values().some((v) => v !== 0)).toBe(true);
  });
});
