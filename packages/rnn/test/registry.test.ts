// Pins the ops the rnn package registers (the fused kernels and compileCell's sequence op): adding one is a reviewed act, and
// each has its gradcheck in fused-ops.test.ts.
import { describe, expect, it } from 'vitest';
import { opSpec, registeredOps } from '@unroll/autograd';

// What autograd registers on its own, captured before the rnn package loads.
const autogradOps = new Set(registeredOps());
await import('@unroll/rnn');

const FUSED = ['gruSequence', 'gruStep', 'lstmSequence', 'lstmStep'];
// compileCell's whole-sequence op (variadic: its inputs depend on the compiled cell); gradchecked in test/compile.
const COMPILED = ['compiledSequence'];

describe('rnn registry', () => {
  it('pins the sorted list of fused ops', () => {
    expect(registeredOps().filter((name) => !autogradOps.has(name))).toEqual([...COMPILED, ...FUSED].sort());
  });

  it('declares every input by name, the optional ones too', () => {
    expect(FUSED.map((name) => [name, opSpec(name)?.inputs, opSpec(name)?.optional ?? []])).toEqual([
      ['gruSequence', ['x', 'h0', 'weightIh', 'weightHh', 'biasIh', 'biasHh'], ['biasIh', 'biasHh']],
      ['gruStep', ['gi', 'gh', 'h'], []],
      ['lstmSequence', ['x', 'h0', 'c0', 'weightIh', 'weightHh', 'biasIh', 'biasHh', 'weightCi', 'weightCf', 'weightCo'],
        ['biasIh', 'biasHh', 'weightCi', 'weightCf', 'weightCo']],
      ['lstmStep', ['gates', 'c', 'weightCi', 'weightCf', 'weightCo'], ['weightCi', 'weightCf', 'weightCo']],
    ]);
  });
});
