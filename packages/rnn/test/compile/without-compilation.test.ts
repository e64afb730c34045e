// withoutCompilation: compiled cells (and built-in variants that run compiled) step their composed
// definition instead, op by op, with the same values — what exportOnnx records.
import { describe, expect, it } from 'vitest';
import { Module, Parameter, Tensor, concat, matmul, randn, trace, zeros } from '@unroll/autograd';
import { LSTMCell, compileCell, unroll, withoutCompilation } from '../../src/index.js';

class Cell extends Module {
  readonly inputSize = 3;
  readonly outputSize = 4;
  readonly w = this.registerParameter('w', new Parameter(randn([7, 4]).data));
  initialState(b: number) {
    return { h: zeros([b, 4]) };
  }
  step(s: { h: Tensor }, x: Tensor) {
    const h = matmul(concat([x, s.h], 1), this.w).tanh();
    return { state: { h }, output: h };
  }
}

const opsOf = (fn: () => unknown) => {
  const ops: string[] = [];
  trace(fn, (t) => ops.push(t.op));
  return ops;
};

describe('withoutCompilation', () => {
  it.each([
    ['a compiled user cell', () => compileCell(new Cell())],
    ['a built-in variant that runs compiled (no forget gate)', () => new LSTMCell({ inputSize: 3, hiddenSize: 4, forgetGate: false })],
  ] as [string, () => Parameters<typeof unroll>[0]][])('%s steps its composed definition, same values', (_, make) => {
    const cell = make();
    const xs = randn([5, 2, 3]);
    const compiled = opsOf(() => unroll(cell, xs));
    expect(compiled).toContain('compiledSequence');
    const want = unroll(cell, xs).outputs;
    let got: Tensor | undefined;
    const stepped = opsOf(() => withoutCompilation(() => { got = unroll(cell, xs).outputs; }));
    expect(stepped).not.toContain('compiledSequence');
    expect(stepped.filter((op) => op === 'matmul').length).toBeGreaterThanOrEqual(5);
    const a = got!.values(), b = want.values();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
    expect(opsOf(() => unroll(cell, xs))).toContain('compiledSequence'); // back on afterwards
  });
});
