// Forward values of every op against PyTorch (fixtures/ops-forward.json, written by ops-forward.py),
// in float64 and float32, including broadcasting and the softmax family at ±1e4.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  Tensor, abs, add, cast, chunk, clamp, concat, crossEntropy, div, exp, expand, gather, indexSelect, log, logSoftmax, logsumexp, matmul,
  max, mean, mul, narrow, neg, permute, pow, registeredOps, relu, reshape, select, sigmoid, slice, softmax, softplus, split,
  sqrt, squeeze, stack, sub, sum, tanh, tensor, transpose, unsqueeze, where, type DType, type Range,
} from '@unroll/autograd';
import { COMPOSITES } from './op-cases.js';

interface Stored { shape: number[]; data: number[] }
interface Fixture {
  name: string;
  op: string;
  args: Args;
  inputs: (Stored & { int32: boolean })[];
  expected: Record<'float64' | 'float32', (Stored & { dtype: DType })[]>;
}
/** The union of every op's arguments as the fixture spells them. */
interface Args {
  exponent?: number; base?: number; min?: number; max?: number;
  axes?: number | number[]; axis?: number; keepdims?: boolean;
  transA?: boolean; transB?: boolean;
  shape?: number[]; ranges?: (Range | null)[];
  axis0?: number; axis1?: number; index?: number; start?: number; length?: number;
  sizes?: number | number[]; chunks?: number;
  reduction?: 'mean' | 'sum' | 'none'; labelSmoothing?: number; ignoreIndex?: number;
}
type Runner = (xs: Tensor[], a: Args) => Tensor | Tensor[];

const fixtures = (JSON.parse(readFileSync(new URL('./fixtures/ops-forward.json', import.meta.url), 'utf8')) as { cases: Fixture[] }).cases;

/** How each fixture `op` runs here; the fixture-only names map to the op they exercise. */
const RUN: Record<string, Runner> = {
  add: ([a, b]) => add(a!, b!),
  sub: ([a, b]) => sub(a!, b!),
  mul: ([a, b]) => mul(a!, b!),
  div: ([a, b]) => div(a!, b!),
  pow: ([a, b]) => pow(a!, b!),
  powScalarExponent: ([a], o) => pow(a!, o.exponent!),
  powScalarBase: ([b], o) => pow(o.base!, b!),
  neg: ([x]) => neg(x!),
  exp: ([x]) => exp(x!),
  log: ([x]) => log(x!),
  sqrt: ([x]) => sqrt(x!),
  abs: ([x]) => abs(x!),
  tanh: ([x]) => tanh(x!),
  sigmoid: ([x]) => sigmoid(x!),
  relu: ([x]) => relu(x!),
  softplus: ([x]) => softplus(x!),
  clamp: ([x], o) => clamp(x!, { min: o.min, max: o.max }),
  where: ([c, a, b]) => where(c!, a!, b!),
  sum: ([x], o) => sum(x!, { axes: o.axes, keepdims: o.keepdims }),
  mean: ([x], o) => mean(x!, { axes: o.axes, keepdims: o.keepdims }),
  max: ([x], o) => max(x!, { axes: o.axes, keepdims: o.keepdims }),
  logsumexp: ([x], o) => logsumexp(x!, o.axis, { keepdims: o.keepdims }),
  softmax: ([x], o) => softmax(x!, o.axis),
  logSoftmax: ([x], o) => logSoftmax(x!, o.axis),
  matmul: ([a, b], o) => matmul(a!, b!, { transA: o.transA, transB: o.transB }),
  reshape: ([x], o) => reshape(x!, o.shape!),
  permute: ([x], o) => permute(x!, o.axes as number[]),
  transpose: ([x], o) => transpose(x!, o.axis0, o.axis1),
  slice: ([x], o) => slice(x!, o.ranges!.map((r) => r ?? undefined)),
  select: ([x], o) => select(x!, o.axis!, o.index!),
  narrow: ([x], o) => narrow(x!, o.axis!, o.start!, o.length!),
  concat: (xs, o) => concat(xs, o.axis),
  stack: (xs, o) => stack(xs, o.axis),
  split: ([x], o) => split(x!, o.sizes!, o.axis),
  chunk: ([x], o) => chunk(x!, o.chunks!, o.axis),
  unsqueeze: ([x], o) => unsqueeze(x!, o.axis!),
  squeeze: ([x], o) => squeeze(x!, o.axis),
  expand: ([x], o) => expand(x!, o.shape!),
  gather: ([x, index], o) => gather(x!, o.axis!, index!),
  indexSelect: ([x, ids], o) => indexSelect(x!, o.axis!, ids!),
  softmaxCrossEntropy: ([x, t], o) => crossEntropy(x!, t!, { reduction: o.reduction, labelSmoothing: o.labelSmoothing, ignoreIndex: o.ignoreIndex }),
  cast: ([x]) => cast(x!, x!.dtype === 'float64' ? 'float32' : 'float64'),
};
const opOf = (name: string) => (name.startsWith('pow') ? 'pow' : name);

/** |got − want| ≤ atol + rtol·|want|, by output dtype (float32 results are rounded per op). */
const TOL: Record<string, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

function closeTo(got: Tensor, want: Stored & { dtype: DType }, label: string) {
  expect(got.shape, `${label}: shape`).toEqual(want.shape);
  expect(got.dtype, `${label}: dtype`).toBe(want.dtype);
  const { rtol, atol } = TOL[want.dtype]!;
  const values = got.values();
  want.data.forEach((w, i) => {
    const g = values[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect.fail(`${label}: element ${i} is ${g}; torch gives ${w} (|diff| ${Math.abs(g - w)})`);
    }
  });
}

describe.each(['float64', 'float32'] as const)('forward values match PyTorch in %s', (dtype) => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_, f) => {
    const xs = f.inputs.map((x) =>
      tensor(K.fromData(x.int32 ? Int32Array.from(x.data) : Float64Array.from(x.data), x.shape), { dtype: x.int32 ? 'int32' : dtype }));
    const out = RUN[f.op]!(xs, f.args);
    const outs = Array.isArray(out) ? out : [out];
    expect(outs).toHaveLength(f.expected[dtype].length);
    outs.forEach((o, j) => closeTo(o, f.expected[dtype][j]!, `${f.name} output ${j}`));
  });
});

describe('the fixture', () => {
  it('has a case for every registered primitive and composite, and a runner for each case', () => {
    const ops = new Set(fixtures.map((f) => opOf(f.op)));
    expect([...registeredOps(), ...COMPOSITES].filter((name) => !ops.has(name))).toEqual([]);
    expect(fixtures.filter((f) => !RUN[f.op]).map((f) => f.op)).toEqual([]);
  });

  it('includes ±1e4 rows, where unshifted exp overflows, and our values there are finite', () => {
    const f = fixtures.find((c) => c.op === 'logsumexp' && c.inputs[0]!.data.includes(1e4))!;
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor(K.fromData(Float64Array.from(f.inputs[0]!.data), f.inputs[0]!.shape), { dtype });
      expect(logsumexp(x).values()[0]).toBeCloseTo(1e4 + Math.LN2, dtype === 'float32' ? 2 : 9);
      expect([...softmax(x).values(), ...logSoftmax(x).values()].every(Number.isFinite)).toBe(true);
    }
  });
});

describe('int32 ids move through movement ops (and never record a graph)', () => {
  const ids = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });

  it('reshape, permute, transpose, slice, select, narrow, split, unsqueeze, squeeze, expand', () => {
    const outs = [
      reshape(ids, [3, 2]), permute(ids, [1, 0]), transpose(ids), slice(ids, [undefined, { start: 1 }]), select(ids, 1, -1),
      narrow(ids, 0, 1, 1), ...split(ids, [2, 1], 1), unsqueeze(ids, 0), squeeze(unsqueeze(ids, 0)), expand(select(ids, 0, 0), [2, 3]),
    ];
    expect(outs.map((t) => t.toArray())).toEqual([
      [[1, 2], [3, 4], [5, 6]], [[1, 4], [2, 5], [3, 6]], [[1, 4], [2, 5], [3, 6]], [[2, 3], [5, 6]], [3, 6],
      [[4, 5, 6]], [[1, 2], [4, 5]], [[3], [6]], [[[1, 2, 3], [4, 5, 6]]], [[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [1, 2, 3]],
    ]);
    for (const t of outs) {
      expect(t.dtype).toBe('int32');
      expect(t.node).toBeNull();
    }
  });

  it('concat, stack, gather and indexSelect keep int32', () => {
    expect(concat([ids, ids], 0).shape).toEqual([4, 3]);
    expect(stack([ids, ids], 1).toArray()).toEqual([[[1, 2, 3], [1, 2, 3]], [[4, 5, 6], [4, 5, 6]]]);
    expect(gather(ids, 1, tensor([[2], [0]], { dtype: 'int32' })).toArray()).toEqual([[3], [4]]);
    expect(indexSelect(ids, 0, tensor([1, 1], { dtype: 'int32' })).dtype).toBe('int32');
  });
});
