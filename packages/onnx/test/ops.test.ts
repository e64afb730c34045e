// Every autograd primitive (and composite) exported and run in onnxruntime: autograd's own op-case
// table (fast-check shapes, broadcasting, axes, ranges, ids) drives it, in float64 and in float32.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, cast, noGrad, registeredOps, trace } from '@unroll/autograd';
import { opCases } from '../../autograd/test/op-cases.js';
import { exportableOps } from '../src/index.js';
import { checkExport } from './ort.js';

const SEED = 7;

describe('every primitive has an ONNX form', () => {
  it('covers every registered op (autograd primitives and rnn\'s fused ops), but for those refused with a hint', () => {
    // compileCell's generated kernels (once it is registered) are refused, pointing at the uncompiled cell.
    const refused = ['compiledSequence'];
    const missing = registeredOps().filter((op) => !exportableOps().includes(op) && !refused.includes(op));
    expect(missing).toEqual([]);
  });
});

/**
 * The case as a function of the inputs it reads (a case may ignore one, e.g. where with a number
 * branch; the exporter refuses an input the graph never reads): the others are closed over.
 */
function readInputs(fn: (xs: Tensor[]) => unknown, xs: readonly Tensor[]): { inputs: Tensor[]; run: (...ts: Tensor[]) => unknown } {
  const read = new Set<Tensor>();
  noGrad(() => trace(() => fn([...xs]), (t) => t.inputs.forEach((x) => read.add(x))));
  const used = xs.map((x, i) => i).filter((i) => read.has(xs[i]!));
  return {
    inputs: used.map((i) => xs[i]!),
    run: (...ts) => fn(xs.map((x, i) => (used.includes(i) ? ts[used.indexOf(i)]! : x))),
  };
}

describe.each(opCases)('$name', (c) => {
  const samples = fc.sample(c.inputs, { seed: SEED, numRuns: 4 });
  const plain = (xs: readonly Tensor[], dtype: 'float32' | 'float64') =>
    noGrad(() => xs.map((x) => (x.dtype === 'int32' ? new Tensor(x.data) : cast(new Tensor(x.data), dtype))));

  it('float64: onnxruntime agrees to 1e-12', async () => {
    for (const { xs, args } of samples) {
      const { inputs, run } = readInputs((ts) => c.fn(ts, args), plain(xs, 'float64'));
      await checkExport(run, inputs);
    }
  });

  it('float32: onnxruntime agrees to 1e-5', async () => {
    for (const { xs, args } of samples) {
      const { inputs, run } = readInputs((ts) => c.fn(ts, args), plain(xs, 'float32'));
      await checkExport(run, inputs);
    }
  });
});
