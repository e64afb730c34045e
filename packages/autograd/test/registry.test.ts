// Pins the list of primitives (adding one is a reviewed act) and proves the op-case table
// covers every one of them, and every composite, with a gradient check.
import { describe, expect, it } from 'vitest';
import { defineOp, registeredOps } from '@unroll/autograd';
import { COMPOSITES, opCases } from './op-cases.js';

const PRIMITIVES = [
  'abs', 'add', 'cast', 'clamp', 'concat', 'div', 'exp', 'expand', 'gather', 'indexSelect', 'log', 'logSoftmax',
  'logsumexp', 'matmul', 'max', 'mul', 'neg', 'permute', 'pow', 'relu', 'reshape', 'sigmoid', 'slice', 'softmax',
  'softmaxCrossEntropy', 'softplus', 'sqrt', 'sub', 'sum', 'tanh', 'where',
];

describe('registry', () => {
  it('pins the sorted list of registered primitives', () => {
    expect(registeredOps()).toEqual(PRIMITIVES);
  });

  it('has a gradcheck case for every registered primitive', () => {
    const covered = new Set(opCases.map((c) => c.primitive));
    expect(registeredOps().filter((name) => !covered.has(name))).toEqual([]);
  });

  it('has a case for every composite, and no case naming an op that does not exist', () => {
    const known = new Set<string>([...registeredOps(), ...COMPOSITES]);
    const covered = new Set(opCases.map((c) => c.primitive));
    expect(COMPOSITES.filter((name) => !covered.has(name))).toEqual([]);
    expect(opCases.filter((c) => !known.has(c.primitive)).map((c) => c.name)).toEqual([]);
    expect(COMPOSITES.filter((name) => registeredOps().includes(name))).toEqual([]);
  });

  it('case names are unique, so a failure points at one line of the table', () => {
    const names = opCases.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('refuses a second op with a registered name', () => {
    const spec = { name: 'tanh', inputs: ['x'], forward: ([x]: never[]) => x!, backward: () => [] };
    expect(() => defineOp(spec)).toThrow("defineOp: an op named 'tanh' already exists");
    expect(registeredOps()).toEqual(PRIMITIVES);
  });
});
