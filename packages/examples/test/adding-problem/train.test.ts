// Adding-problem models and the training loop: every kind runs, padding is never read, a tiny run learns.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Tensor } from '@unroll/autograd';
import * as K from '@unroll/core';
import {
  AddingModel, MODEL_KINDS, addingProblemBatch, addingTestSet, baselineEvaluation, evaluateAdding, movingAverage,
  parseModelKind, resultsTable, trainAdding, trainAddingAsync,
} from '../../src/adding-problem/index.js';

describe('AddingModel', () => {
  it.each(MODEL_KINDS)('%s predicts one number per sequence and ignores padded steps', (kind) => {
    const model = new AddingModel({ kind, hiddenSize: 5, generator: new RandomGenerator(1) });
    const d = addingProblemBatch({ T: 20, batch: 3, generator: new RandomGenerator(2) });
    const lengths = [20, 22, 21];
    const pred = model.forward(d.inputs, lengths);
    expect(pred.shape).toEqual([3, 1]);
    // Fill every padded step with noise: the predictions must not change.
    const noisy = K.clone(d.inputs.data);
    for (let b = 0; b < 3; b++) for (let t = lengths[b]!; t < 22; t++) noisy.set(t, b, 0, 5), noisy.set(t, b, 1, -3);
    expect(model.forward(new Tensor(noisy), lengths).toArray()).toEqual(pred.toArray());
    // Without lengths the padded steps are read, and the prediction does change.
    expect(model.forward(new Tensor(noisy)).toArray()).not.toEqual(pred.toArray());
  });

  it('sets the initial gate biases: forget where the LSTM has its own forget gate, input in every LSTM', () => {
    for (const kind of ['lstm', 'lstm-peephole', 'lstm-cifg', 'lstm-no-forget'] as const) {
      const model = new AddingModel({ kind, hiddenSize: 3, forgetBias: 2.5, inputBias: -2, generator: new RandomGenerator(0) });
      const sd = model.stateDict();
      // Gate blocks i|f|g|o: rows 0..2 are i, rows 3..5 f; the effective bias is b_ih + b_hh.
      const bih = sd['recurrent.bias_ih_l0']!.values(), bhh = sd['recurrent.bias_hh_l0']!.values();
      const bias = (k: number) => bih[k]! + bhh[k]!;
      expect([0, 1, 2].map(bias)).toEqual([-2, -2, -2]);
      if (kind === 'lstm' || kind === 'lstm-peephole') expect([3, 4, 5].map(bias)).toEqual([2.5, 2.5, 2.5]);
    }
    // Without inputBias the i block keeps PyTorch's uniform draw.
    const plain = new AddingModel({ kind: 'lstm', hiddenSize: 3, generator: new RandomGenerator(0) }).stateDict();
    expect(Array.from(plain['recurrent.bias_ih_l0']!.values().subarray(0, 3)).every((v) => Math.abs(v) < 1 / Math.sqrt(3))).toBe(true);
    expect(plain['recurrent.bias_ih_l0']!.values()[0]).not.toBe(-3);
  });

  it('sets the GRU\'s update-gate bias (block z of r|z|n) when asked, and leaves the other kinds alone', () => {
    const sd = new AddingModel({ kind: 'gru', hiddenSize: 3, updateBias: 3, generator: new RandomGenerator(0) }).stateDict();
    const bih = sd['recurrent.bias_ih_l0']!.values(), bhh = sd['recurrent.bias_hh_l0']!.values();
    expect([3, 4, 5].map((k) => bih[k]! + bhh[k]!)).toEqual([3, 3, 3]);
    expect(bih[0]).not.toBe(3);
    const plain = new AddingModel({ kind: 'gru', hiddenSize: 3, generator: new RandomGenerator(0) }).stateDict();
    expect(plain['recurrent.bias_ih_l0']!.values()[3]).not.toBe(3);
  });

  it('reads any number of features and gives any number of outputs (the temporal-order problem: 8 in, one logit per class)', () => {
    const model = new AddingModel({ kind: 'lstm-cifg', hiddenSize: 4, inputSize: 8, outputSize: 3, generator: new RandomGenerator(1) });
    expect(model.forward(new Tensor(K.zeros([5, 2, 8])), [5, 4]).shape).toEqual([2, 3]);
    expect(() => new AddingModel({ kind: 'gru', hiddenSize: 4, outputSize: 0 })).toThrow('AddingModel: outputSize must be a positive integer; got 0');
    expect(() => new AddingModel({ kind: 'rnn', hiddenSize: 4, inputSize: 1.5 })).toThrow('AddingModel: inputSize must be a positive integer; got 1.5');
  });

  it('names the known kinds when given an unknown one', () => {
    expect(parseModelKind('gru')).toBe('gru');
    expect(() => parseModelKind('lstmm')).toThrow(/unknown model 'lstmm'; choose from lstm, lstm-peephole/);
  });
});

describe('trainAdding', () => {
  it('lowers the loss of a small LSTM on short sequences, evaluates on schedule and tests on the fixed set', () => {
    const r = trainAdding('lstm', {
      T: 6, steps: 80, batchSize: 32, hiddenSize: 8, lr: 1e-2, evalEvery: 40, validationSize: 64, testSize: 128,
      variableLength: false, stopAt: null,
    });
    expect(r.steps).toBe(80);
    expect(r.losses).toHaveLength(80);
    expect(r.evaluations.map((e) => e.step)).toEqual([40, 80]);
    const first = r.losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = r.losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(last).toBeLessThan(first / 2);
    // The reported test result is the model's score on the seed's test set.
    const again = evaluateAdding(r.model, addingTestSet(6, 128, 0, false));
    expect(again).toEqual(r.test);
    // It beats always predicting the mean.
    expect(r.test.mse).toBeLessThan(baselineEvaluation(addingTestSet(6, 128, 0, false)).mse);
  });

  it('trains to the same result when driven asynchronously', async () => {
    const opts = { T: 6, steps: 12, batchSize: 8, hiddenSize: 4, evalEvery: 6, validationSize: 16, testSize: 16, stopAt: null };
    const seen: number[] = [];
    const a = await trainAddingAsync('gru', { ...opts, yieldMs: 0, onProgress: (p) => seen.push(p.step) });
    const b = trainAdding('gru', opts);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(a.losses).toEqual(b.losses);
    expect(a.test).toEqual(b.test);
  });

  it('stops early once validation accuracy reaches stopAt', () => {
    const r = trainAdding('rnn', { T: 6, steps: 50, batchSize: 8, hiddenSize: 4, evalEvery: 10, validationSize: 32, testSize: 32, stopAt: 0 });
    expect(r.steps).toBe(10);
    expect(r.evaluations).toHaveLength(1);
  });

  it('refuses a non-positive step count', () => {
    expect(() => trainAdding('rnn', { T: 6, steps: 0 })).toThrow(/steps must be a positive integer; got 0/);
  });
});

describe('report', () => {
  it('movingAverage is a trailing mean, shorter at the start', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(movingAverage([4, 2], 10)).toEqual([4, 3]);
    expect(() => movingAverage([1], 0)).toThrow(/window must be a positive integer/);
  });

  it('resultsTable has one row per run and one for the baseline', () => {
    const r = trainAdding('rnn', { T: 6, steps: 3, batchSize: 4, hiddenSize: 2, evalEvery: 3, validationSize: 8, testSize: 8 });
    const table = resultsTable([{ ...r, test: { accuracy: 2559 / 2560, mse: 0.0001, count: 2560 } }], { accuracy: 0.154, mse: 0.0396, count: 2560 });
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    // One wrong sequence in 2,560 shows as such, not rounded up to 100%.
    expect(lines[2]).toMatch(/^\| rnn \(Elman RNN, tanh\) \| \d+ \| 99\.96% \(1 wrong\) \| 0\.00010 \| — \| 3 \| \d+ s \|$/);
    expect(lines[3]).toBe('| baseline: always predict 0.5 | 0 | 15.40% (2166 wrong) | 0.03960 | — | — | — |');
  });
});
