// A seq2seq encoder and one decoder step (attention, input feeding) exported and run in onnxruntime,
// with the batch and the source length dynamic.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Tensor, reshape, tensor } from '@unroll/autograd';
import { tinyModel, randomIds } from '../../rnn/test/seq2seq/helpers.js';
import type { Kind } from '../../rnn/test/seq2seq/helpers.js';
import { checkExport } from './ort.js';
import { opCounts } from './graph.js';

const CASES: [Kind, 'gru' | 'lstm'][] = [['additive', 'gru'], ['dot', 'lstm'], ['general', 'gru'], ['none', 'lstm']];

describe.each(CASES)('seq2seq, %s attention, %s cells', (kind, cell) => {
  const model = tinyModel({ kind, seed: 5, cell, dtype: 'float32', hidden: 4, embeddingDim: 3 });
  const g = new RandomGenerator(9);
  const bridge = model.bridge as unknown as ((s: unknown) => unknown) | { forward(s: unknown): unknown };
  const bridged = (s: unknown) => (typeof bridge === 'function' ? bridge(s) : bridge.forward(s));
  /** Padded source ids [B, S] and their lengths (int32 [B]). */
  const sources = (lengths: number[]): [Tensor, Tensor] => [randomIds(g, lengths, 7), tensor(lengths, { dtype: 'int32' })];

  it('the encoder: source ids and lengths → outputs and final state', async () => {
    const encode = (src: Tensor, lengths: Tensor) => {
      const e = model.encoder.forward(src, { lengths });
      return { outputs: e.outputs, state: e.state as Record<string, unknown> };
    };
    const bytes = await checkExport(encode, sources([5, 3, 4]), {
      module: model, inputNames: ['src', 'lengths'], dynamicAxes: { src: { 0: 'batch', 1: 'source' }, lengths: { 0: 'batch' } },
    }, { more: [sources([2, 6]), sources([1])] });
    const counts = opCounts(bytes);
    expect((counts.GRU ?? 0) + (counts.LSTM ?? 0)).toBe(1); // bidirectional: one node, direction 'bidirectional'
  });

  it('one decoder step: previous ids, state and encoder memory → logits, next state, attention', async () => {
    const dec = model.decoder;
    const attends = dec.attention !== null;
    const stateKeys = cell === 'lstm' ? ['h', 'c'] : ['h'];
    const step = (ids: Tensor, ...rest: Tensor[]) => {
      const cellState = Object.fromEntries(stateKeys.map((k, i) => [k, rest[i]!]));
      let at = stateKeys.length;
      const feed = dec.inputFeeding ? rest[at++]! : null;
      const memory = attends ? dec.prepare(rest[at]!, rest[at + 1]!) : null;
      const r = dec.step({ cell: cellState as never, feed }, ids, memory);
      return {
        logits: r.logits, state: r.state.cell as Record<string, Tensor>,
        ...(r.state.feed ? { feed: r.state.feed } : {}), ...(r.attention ? { attention: r.attention } : {}),
      };
    };
    /** The decoder's inputs after encoding a batch of b sources up to s long (what a runtime would feed). */
    const inputsFor = (b: number, s: number) => {
      const [src, lengths] = sources(Array.from({ length: b }, (_, k) => Math.max(1, s - k)));
      const e = model.encoder.forward(src, { lengths });
      const st = dec.initialState(bridged(e.state) as never, b) as { cell: Record<string, Tensor>; feed: Tensor | null };
      const prev = reshape(randomIds(g, Array.from({ length: b }, () => 1), 6), [b]);
      return [prev, ...stateKeys.map((k) => st.cell[k]!), ...(st.feed ? [st.feed] : []), ...(attends ? [e.outputs, e.mask] : [])];
    };
    const names = ['ids', ...stateKeys.map((k) => `${k}0`), ...(dec.inputFeeding ? ['feed0'] : []), ...(attends ? ['memory', 'mask'] : [])];
    const dynamicAxes: Record<string, Record<number, string>> = Object.fromEntries(names.map((n) => [n, { 0: 'batch' }]));
    if (attends) {
      dynamicAxes.memory = { 0: 'batch', 1: 'source' };
      dynamicAxes.mask = { 0: 'batch', 1: 'source' };
    }
    await checkExport(step, inputsFor(3, 5), { module: model, inputNames: names, dynamicAxes }, { more: [inputsFor(2, 7), inputsFor(1, 2)] });
  });
});
