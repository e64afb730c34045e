// Hoisted σ, tanh and eˣ (ops on x and parameters alone, run once over all T·B rows): in float32 they
// take the fast forward the compiled step's own float32 kernels use, with the ops' own partials; float64
// keeps Math's. Both agree with the composed step loop.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, abs, exp, matmul, sigmoid, tanh } from '@unroll/autograd';
import { compileCell, unroll } from '@unroll/rnn';
import { rand } from '../helpers.js';
import { composed, maxError, runAll } from './run.js';

type DT = 'float32' | 'float64';

/** A cell whose x-only part is tanh(W x), σ(V x) and e^(−|Q x|), each hoisted out of the time loop. */
class HoistedNonlinearities {
  readonly outputSize: number;
  constructor(readonly inputSize: number, readonly w: Tensor, readonly v: Tensor, readonly q: Tensor, readonly u: Tensor, readonly dtype: DT) {
    this.outputSize = u.shape[0]!;
  }
  initialState(batch: number) { return { h: new Tensor(K.zeros([batch, this.outputSize], { dtype: this.dtype })) }; }
  step(s: { h: Tensor }, x: Tensor) {
    const z = tanh(matmul(x, this.w, { transB: true }));
    const gate = sigmoid(matmul(x, this.v, { transB: true }));
    const decay = exp(abs(matmul(x, this.q, { transB: true })).neg());
    const h = gate.mul(tanh(matmul(s.h, this.u, { transB: true }).add(z))).add(decay.mul(s.h));
    return { state: { h }, output: h };
  }
}

function make(I: number, H: number, g: RandomGenerator, dtype: DT) {
  const p = (shape: number[]) => rand(shape, g, { dtype, requiresGrad: true, scale: 0.9 });
  return new HoistedNonlinearities(I, p([H, I]), p([H, I]), p([H, I]), p([H, H]), dtype);
}

/** Every op name in the graph that produced `t`. */
function opsOf(t: Tensor): Set<string> {
  const seen = new Set<Tensor>(), names = new Set<string>();
  const walk = (x: Tensor) => {
    if (seen.has(x)) return;
    seen.add(x);
    if (!x.node) return;
    names.add(x.node.op);
    x.node.inputs.forEach(walk);
  };
  walk(t);
  return names;
}

const sizes = fc.record({
  batch: fc.integer({ min: 1, max: 4 }), time: fc.integer({ min: 1, max: 5 }), input: fc.integer({ min: 1, max: 6 }),
  hidden: fc.integer({ min: 1, max: 6 }), reverse: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
});

describe('hoisted σ, tanh and eˣ', () => {
  it('float32: the fast forward, agreeing with the composed cell to float32 rounding (outputs, state, every gradient)', () => {
    fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, seed }) => {
      const g = new RandomGenerator(seed);
      const cell = make(input, hidden, g, 'float32');
      const xs = rand([time, batch, input], g, { dtype: 'float32', requiresGrad: true, scale: 2 });
      const h0 = { h: rand([batch, hidden], g, { dtype: 'float32', requiresGrad: true }) };
      const params = [cell.w, cell.v, cell.q, cell.u];
      const a = runAll(compileCell(cell), params, xs, h0, { reverse }, seed);
      const b = runAll(composed(cell), params, xs, h0, { reverse }, seed);
      const scale = Math.max(1, ...b.flat().map(Math.abs));
      expect(maxError(a, b) / scale).toBeLessThan(2e-5);
    }), { numRuns: 25 });
  });

  it('float32 records the fast-math hoisted ops; float64 the plain ones, and agrees to 1e-10', () => {
    const names = (dtype: DT) => {
      const g = new RandomGenerator(5);
      const cell = make(3, 4, g, dtype);
      return opsOf(unroll(compileCell(cell, { verify: false }), rand([4, 2, 3], g, { dtype })).outputs);
    };
    const f32 = [...names('float32')], f64 = [...names('float64')];
    for (const op of ['tanh', 'sigmoid', 'exp']) {
      expect(f32).toContain(`${op} (hoisted by compileCell, float32 fast math)`);
      expect(f64).toContain(`${op} (hoisted by compileCell)`);
      expect(f64).not.toContain(`${op} (hoisted by compileCell, float32 fast math)`);
    }
    // abs and neg have no fast forward: the plain hoisted op in float32 too.
    expect(f32).toContain('abs (hoisted by compileCell)');
    fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, seed }) => {
      const g = new RandomGenerator(seed);
      const cell = make(input, hidden, g, 'float64');
      const xs = rand([time, batch, input], g, { requiresGrad: true, scale: 2 });
      const h0 = { h: rand([batch, hidden], g, { requiresGrad: true }) };
      const params = [cell.w, cell.v, cell.q, cell.u];
      expect(maxError(runAll(compileCell(cell), params, xs, h0, { reverse }, seed), runAll(composed(cell), params, xs, h0, { reverse }, seed))).toBeLessThan(1e-10);
    }), { numRuns: 15 });
  });
});
