// Masks beside lengths (Keras's masking): any padding pattern skips the masked steps — checked
// against each sequence run alone on its real steps — in unroll, stacks, bidirectional and the
// modules; a prefix mask equals lengths (fused paths included); gradients; refusals.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, gradcheckModule, indexSelect, stack, tensor, zeros } from '@unroll/autograd';
import {
  GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, bidirectional, selectStateRows, stackCells, stackLayers, stateTensors, unroll,
} from '@unroll/rnn';
import type { Mask, RecurrentCell } from '@unroll/rnn';
import { SEED, expectClose, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };
type Run = (xs: Tensor, mask?: Mask) => { outputs: Tensor; state: unknown };

/**
 * What a mask means, written out: each sequence run ALONE on its real steps (no mask, batch 1),
 * its outputs put back at the real positions and zeros elsewhere; its final state (or the initial
 * state when it has no real step) is the row of the final state. xs [T, B, I], mask [T][B].
 */
function expectMaskSkipsSteps(run: Run, xs: Tensor, mask: number[][], initial: (batch: number) => unknown, tol = 1e-12): void {
  const [T, B] = xs.shape as [number, number];
  const got = run(xs, mask);
  for (let b = 0; b < B; b++) {
    const real = Array.from({ length: T }, (_, t) => t).filter((t) => mask[t]![b] === 1);
    const row = indexSelect(xs, 1, tensor([b], { dtype: 'int32' }));
    const gotRow = indexSelect(got.outputs, 1, tensor([b], { dtype: 'int32' }));
    const gotState = stateTensors(selectStateRows(got.state, [b]));
    if (real.length === 0) {
      expectClose(gotRow, zeros(gotRow.shape, f64), 0, `row ${b} outputs (no real step)`);
      stateTensors(initial(1)).forEach(([p, t], i) => expectClose(gotState[i]![1], t, 0, `row ${b} ${p}`));
      continue;
    }
    const alone = run(indexSelect(row, 0, tensor(real, { dtype: 'int32' })));
    const want: Tensor[] = Array.from({ length: T }, () => zeros([1, gotRow.shape[2]!], f64));
    real.forEach((t, k) => { want[t] = alone.outputs.select(0, k); });
    expectClose(gotRow, stack(want, 0), tol, `row ${b} outputs`);
    stateTensors(alone.state).forEach(([p, t], i) => expectClose(gotState[i]![1], t, tol, `row ${b} ${p}`));
  }
}

// Columns are sequences: left padding, gaps, all real, all padding.
const MASK = [
  [0, 1, 1, 0],
  [0, 0, 1, 0],
  [1, 1, 1, 0],
  [1, 0, 1, 0],
  [1, 1, 1, 0],
];

describe('unroll with a mask', () => {
  const g = new RandomGenerator(5);
  const xs = rand([5, 4, 3], g);
  const cells: [string, RecurrentCell<any>][] = [
    ['RNNCell', new RNNCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g })],
    ['LSTMCell', new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g })],
    ['LSTMCell (peephole, composed)', new LSTMCell({ inputSize: 3, hiddenSize: 4, peephole: true, fused: false, ...f64, generator: g })],
    ['GRUCell', new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g })],
    ['stackCells', stackCells([new LSTMCell({ inputSize: 3, hiddenSize: 4, ...f64, generator: g }), new GRUCell({ inputSize: 4, hiddenSize: 2, ...f64, generator: g })])],
  ];

  it.each(cells)('%s: masked steps are skipped (left padding, gaps, empty rows), forward and reverse', (_, cell) => {
    for (const reverse of [false, true]) {
      expectMaskSkipsSteps((x, mask) => unroll(cell, x, { mask, reverse }), xs, MASK, (b) => cell.initialState(b, f64));
    }
  });

  it('keeps a given initial state through masked steps', () => {
    const cell = cells[1]![1];
    const s0 = { h: rand([4, 4], g), c: rand([4, 4], g) };
    const r = unroll(cell, xs, { mask: MASK, initialState: s0 });
    expectClose(r.state.h.select(0, 3), s0.h.select(0, 3), 0, 'the all-masked row keeps h0');
    // Row 0 is left-padded: its first real step, t = 2, starts from row 0 of s0.
    const first = cell.step(selectStateRows(s0, [0]), xs.select(0, 2).narrow(0, 0, 1));
    expectClose(r.outputs.select(0, 2).narrow(0, 0, 1), first.output, 1e-14);
  });

  it('a prefix mask equals the same lengths, fused paths included, in both layouts and directions', () => {
    const lengths = [5, 2, 3, 1];
    const prefix = Array.from({ length: 5 }, (_, t) => lengths.map((len) => (t < len ? 1 : 0)));
    for (const [name, cell] of cells) {
      for (const reverse of [false, true]) {
        const a = unroll(cell, xs, { lengths, reverse });
        const b = unroll(cell, xs, { mask: prefix, reverse });
        expectClose(b.outputs, a.outputs, 0, `${name} outputs`);
        stateTensors(b.state).forEach(([p, t], i) => expectClose(t, stateTensors(a.state)[i]![1], 0, `${name} ${p}`));
        const bf = unroll(cell, xs.permute([1, 0, 2]), { mask: K.toNested(K.permute(K.fromNested(prefix), [1, 0])) as number[][], reverse, batchFirst: true });
        expectClose(bf.outputs, a.outputs.permute([1, 0, 2]), 0, `${name} batch-first outputs`);
      }
    }
  });

  it('takes booleans, 0/1 arrays, int32 and float tensors alike; batch-first is [batch, time]', () => {
    const cell = cells[3]![1];
    const want = unroll(cell, xs, { mask: MASK });
    const forms: Mask[] = [MASK.map((r) => r.map((v) => v === 1)), tensor(MASK, { dtype: 'int32' }), tensor(MASK, f64), tensor(MASK)];
    for (const mask of forms) expectClose(unroll(cell, xs, { mask }).outputs, want.outputs, 0);
    const bf = unroll(cell, xs.permute([1, 0, 2]), { batchFirst: true, mask: tensor(MASK, { dtype: 'int32' }).permute([1, 0]) });
    expectClose(bf.outputs, want.outputs.permute([1, 0, 2]), 0);
  });

  it('passes gradcheck through masked steps (LSTM, composed and fused step; GRU)', () => {
    fc.assert(fc.property(tinySizes, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.boolean(), (s, bits, reverse) => {
      const gg = new RandomGenerator(s.seed);
      const mask = Array.from({ length: s.time }, (_, t) => Array.from({ length: s.batch }, (_, b) => bits[(t * 2 + b) % 6]!));
      for (const cell of [new LSTMCell({ inputSize: s.input, hiddenSize: s.hidden, ...f64, generator: gg }),
        new LSTMCell({ inputSize: s.input, hiddenSize: s.hidden, fused: false, ...f64, generator: gg }),
        new GRUCell({ inputSize: s.input, hiddenSize: s.hidden, ...f64, generator: gg })]) {
        const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
        const r = gradcheckModule(cell, (xx) => {
          const out = unroll(cell as RecurrentCell<{ h: Tensor }>, xx!, { mask, reverse });
          return [out.outputs, out.state.h];
        }, { inputs: [x] });
        expect(r.ok, r.report).toBe(true);
      }
    }), { seed: SEED, numRuns: 8 });
  });

  it('refuses a mask beside lengths, a wrong shape and values other than booleans or 0/1', () => {
    const cell = cells[0]![1];
    expect(() => unroll(cell, xs, { mask: MASK, lengths: [5, 5, 5, 5] })).toThrow('unroll: give lengths or mask, not both');
    expect(() => unroll(cell, xs, { mask: MASK.slice(1) })).toThrow('unroll: mask must be [time, batch] = [5, 4] (as xs); got [4, 4]');
    expect(() => unroll(cell, xs.permute([1, 0, 2]), { mask: MASK, batchFirst: true }))
      .toThrow('unroll: mask must be [batch, time] = [4, 5] (as xs); got [5, 4]');
    expect(() => unroll(cell, xs, { mask: tensor([1, 0, 1, 1]) })).toThrow('unroll: mask must be [time, batch] = [5, 4] (as xs); got [4]');
    expect(() => unroll(cell, xs, { mask: [[1, 0, 1], [1, 1, 1, 1]] as never })).toThrow('unroll: mask rows must all have the same length');
    const half = MASK.map((r) => [...r]);
    half[2]![1] = 0.5;
    expect(() => unroll(cell, xs, { mask: half })).toThrow('unroll: mask values must be booleans or 0/1; got 0.5 at [2, 1]');
    expect(() => unroll(cell, xs, { mask: 'all' as never })).toThrow('unroll: mask must be nested arrays or a tensor [time, batch] = [5, 4] of booleans or 0/1; got string');
  });
});

describe('layers, bidirectional and modules with a mask', () => {
  const g = new RandomGenerator(6);
  const xs = rand([5, 4, 3], g);

  it('stackLayers of bidirectional layers: each direction skips the masked steps', () => {
    const deep = stackLayers([
      bidirectional(new LSTMCell({ inputSize: 3, hiddenSize: 2, ...f64, generator: g }), new LSTMCell({ inputSize: 3, hiddenSize: 2, ...f64, generator: g })),
      bidirectional(new GRUCell({ inputSize: 4, hiddenSize: 3, ...f64, generator: g }), null, { merge: 'sum' }),
    ]);
    expectMaskSkipsSteps((x, mask) => deep.run(x, { mask }), xs, MASK, (b) => deep.initialState(b, f64));
  });

  const modules = [
    ['RNN', new RNN({ inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, ...f64, generator: g })],
    ['LSTM', new LSTM({ inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, ...f64, generator: g })],
    ['GRU', new GRU({ inputSize: 3, hiddenSize: 3, numLayers: 2, ...f64, generator: g })],
  ] as const;

  it.each(modules)('%s.forward: masked steps are skipped in every layer and direction; a prefix mask equals lengths', (_, m) => {
    const zerosState = (b: number) => Object.fromEntries(Object.keys(m.forward(xs.narrow(1, 0, 1)).state)
      .map((k) => [k, zeros([m.numLayers * (m.bidirectional ? 2 : 1), b, 3], f64)]));
    // The module's state is [L·D, B, H]: rows of the batch are on axis 1; compare through a view with batch first.
    const run: Run = (x, mask) => {
      const r = m.forward(x, undefined, { mask: mask as number[][] });
      return { outputs: r.output, state: Object.fromEntries(Object.entries(r.state).map(([k, t]) => [k, (t as Tensor).permute([1, 0, 2])])) };
    };
    const initial = (b: number) => Object.fromEntries(Object.entries(zerosState(b)).map(([k, t]) => [k, t.permute([1, 0, 2])]));
    expectMaskSkipsSteps(run, xs, MASK, initial);
    const lengths = [5, 2, 3, 1];
    const prefix = Array.from({ length: 5 }, (_, t) => lengths.map((len) => (t < len ? 1 : 0)));
    const a = m.forward(xs, undefined, { lengths });
    const b = m.forward(xs, undefined, { mask: tensor(prefix, { dtype: 'int32' }) });
    expectClose(b.output, a.output, 0);
    expectClose(b.state.h, a.state.h, 0);
  });

  it('module batch-first masks are [batch, time]; refusals name the module', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 2, batchFirst: true, ...f64, generator: g });
    const maskBF = MASK[0]!.map((_, b) => MASK.map((row) => row[b]!));
    const want = new LSTM({ inputSize: 3, hiddenSize: 2, ...f64, generator: g });
    want.loadStateDict(m.stateDict());
    const a = m.forward(xs.permute([1, 0, 2]), undefined, { mask: maskBF });
    const b = want.forward(xs, undefined, { mask: MASK });
    expectClose(a.output, b.output.permute([1, 0, 2]), 0);
    expectClose(a.state.c, b.state.c, 0);
    expect(() => m.forward(xs.permute([1, 0, 2]), undefined, { mask: MASK })).toThrow('LSTM.forward: mask must be [batch, time] = [4, 5] (as xs); got [5, 4]');
    expect(() => m.forward(xs.permute([1, 0, 2]), undefined, { mask: maskBF, lengths: [1, 2, 3, 4] })).toThrow('LSTM.forward: give lengths or mask, not both');
  });
});
