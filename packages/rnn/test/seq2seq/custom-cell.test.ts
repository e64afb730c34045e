// A user-defined cell — a plain object keeping the RecurrentCell protocol, no class, no Module —
// serves as encoder (alone, reversed, or bidirectional) and as decoder (with and without attention).
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { Adam, RandomGenerator, Tensor, crossEntropy, gradcheckModule, matmul, tanh, zeros } from '@unroll/autograd';
import {
  Decoder, Encoder, LinearBridge, Seq2Seq, bidirectional, createAttention, identityBridge,
} from '../../src/index.js';
import type { RecurrentCell } from '../../src/index.js';
import { GRAD_TOL } from '../helpers.js';
import { BOS, EOS, PAD, randomIds } from './helpers.js';

interface PlainCell extends RecurrentCell<{ h: Tensor }> {
  readonly weights: { w: Tensor; u: Tensor; b: Tensor };
}

/** h' = tanh(x Wᵀ + h Uᵀ + b) as an object literal. */
function plainCell(inputSize: number, hidden: number, g: RandomGenerator): PlainCell {
  const p = (shape: number[]) => new Tensor(K.randUniform(shape, -0.5, 0.5, { dtype: 'float64', generator: g }), { requiresGrad: true });
  const weights = { w: p([hidden, inputSize]), u: p([hidden, hidden]), b: p([hidden]) };
  return {
    inputSize,
    outputSize: hidden,
    weights,
    initialState: (batch) => ({ h: zeros([batch, hidden], { dtype: 'float64' }) }),
    step(state, x) {
      const h = tanh(matmul(x, weights.w, { transB: true }).add(matmul(state.h, weights.u, { transB: true })).add(weights.b));
      return { state: { h }, output: h };
    },
  };
}

/** The weights the plain cells keep (containers adopt them: the model's parameters() lists them). */
const weightsOf = (...cells: PlainCell[]): Tensor[] => cells.flatMap((c) => [c.weights.w, c.weights.u, c.weights.b]);
const common = { embeddingDim: 2, paddingIdx: PAD, dtype: 'float64' } as const;

describe('a plain-object cell as encoder and decoder', () => {
  it('without attention: reversed source, identity bridge; gradients check', () => {
    const g = new RandomGenerator(1);
    const enc = plainCell(2, 3, g), dec = plainCell(2, 3, g);
    const encoder = new Encoder({ ...common, vocabSize: 5, rnn: enc, reverseSource: true, generator: g });
    const decoder = new Decoder({ ...common, vocabSize: 5, cell: dec, generator: g });
    const model = new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: BOS, eosId: EOS });
    const src = randomIds(g, [3, 2], 5), targets = randomIds(g, [2, 3], 5, { endWith: EOS });
    const r = gradcheckModule(model, () => model.loss(src, targets).loss, GRAD_TOL);
    expect(r.ok, r.report).toBe(true);
    expect(model.greedy(src, { maxLength: 4 })).toHaveLength(2);
    expect(model.beamSearch(src, { beamWidth: 2, maxLength: 4 })[1]!.length).toBeGreaterThan(0);
  });

  it('bidirectional plain cells, a LinearBridge and attention; gradients check', () => {
    const g = new RandomGenerator(2);
    const f = plainCell(2, 2, g), b = plainCell(2, 2, g), dec = plainCell(2 + 4, 4, g);
    const encoder = new Encoder({ ...common, vocabSize: 5, rnn: bidirectional(f, b), generator: g });
    const attention = createAttention('additive', { querySize: 4, memorySize: 4, attentionSize: 2, dtype: 'float64', generator: g });
    const decoder = new Decoder({ ...common, vocabSize: 5, cell: dec, attention, generator: g });
    const bridge = new LinearBridge(encoder, dec, { dtype: 'float64', generator: g });
    const model = new Seq2Seq({ encoder, decoder, bridge, bosId: BOS, eosId: EOS });
    const src = randomIds(g, [3, 1], 5), targets = randomIds(g, [3, 2], 5, { endWith: EOS });
    const r = gradcheckModule(model, () => {
      const out = model.forward(src, targets);
      return [crossEntropy(out.logits, targets, { ignoreIndex: PAD }), out.attention!];
    }, GRAD_TOL);
    expect(r.ok, r.report).toBe(true);
  });

  it('trains: the loss of a fixed batch falls with Adam over the model and the plain cells', () => {
    const g = new RandomGenerator(3);
    const enc = plainCell(2, 6, g), dec = plainCell(2 + 6, 6, g);
    const encoder = new Encoder({ ...common, vocabSize: 6, rnn: enc, generator: g });
    const decoder = new Decoder({ ...common, vocabSize: 6, cell: dec, generator: g, attention: createAttention('dot', { querySize: 6, memorySize: 6 }) });
    const model = new Seq2Seq({ encoder, decoder, bridge: identityBridge(), bosId: BOS, eosId: EOS });
    // The plain cells' weights are found by the containers: model.parameters() alone trains them.
    const params = model.parameters();
    for (const w of weightsOf(enc, dec)) expect(params).toContain(w);
    expect(Object.keys(model.stateDict())).toContain('encoder.rnn.weights.w');
    const optimizer = new Adam(params, { lr: 0.05 });
    const src = randomIds(g, [3, 2, 3, 1], 6), targets = randomIds(g, [3, 2, 2, 2], 6, { endWith: EOS });
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      optimizer.zeroGrad();
      const { loss } = model.loss(src, targets);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    expect(losses.at(-1)!).toBeLessThan(0.25 * losses[0]!);
  });
});
