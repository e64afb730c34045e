// Embedding: N(0, 1) table, lookups of any id shape, gradients (repeated ids add up), the padding row.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Embedding, RandomGenerator, tensor, zeros } from '@unroll/autograd';
import { SEED, checkGrads, expectClose, flat, ids, leaf, sizeOf, values } from './helpers.js';

describe('Embedding', () => {
  it('draws weight [V, D] from N(0, 1) and zeroes the padding row', () => {
    const e = new Embedding(200, 50, { generator: new RandomGenerator(1) });
    expect(e.weight.shape).toEqual([200, 50]);
    const w = flat(e.weight);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    const p = new Embedding(5, 3, { paddingIdx: -2, dtype: 'float64' });
    expect(p.paddingIdx).toBe(3);
    expect(p.weight.dtype).toBe('float64');
    expect(p.weight.toArray()).toContainEqual([0, 0, 0]);
    expect((p.weight.toArray() as number[][])[3]).toEqual([0, 0, 0]);
  });

  it('looks up rows for ids of any shape: [...ids] → [..., D]', () => {
    const e = new Embedding(4, 2, { dtype: 'float64' });
    const w = e.weight.toArray() as number[][];
    const y = e.forward(ids([[3, 0, 3], [1, 2, 0]]));
    expect(y.shape).toEqual([2, 3, 2]);
    expect(y.toArray()).toEqual([[w[3], w[0], w[3]], [w[1], w[2], w[0]]]);
    expect(e.forward(ids(2)).toArray()).toEqual(w[2]); // a scalar id gives [D]
    expect(e.forward([[1], [0]]).toArray()).toEqual([[w[1]], [w[0]]]); // nested integer arrays are accepted
  });

  it('passes gradcheck for the weight, with repeated ids', () => {
    const problem = fc.record({
      v: fc.integer({ min: 1, max: 5 }),
      d: fc.integer({ min: 1, max: 3 }),
      idShape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
    }).chain((p) => fc.record({
      p: fc.constant(p),
      w: values(p.v * p.d),
      // Few distinct values over several positions: repeats are the rule, not the exception.
      idList: fc.array(fc.integer({ min: 0, max: p.v - 1 }), { minLength: sizeOf(p.idShape), maxLength: sizeOf(p.idShape) }),
    }));
    fc.assert(fc.property(problem, ({ p, w, idList }) => {
      const e = new Embedding(p.v, p.d, { dtype: 'float64' });
      const idT = ids(idList, p.idShape);
      e.weight.data.data.set(w);
      checkGrads(() => e.forward(idT), [], e);
    }), { seed: SEED, numRuns: 40 });
  });

  it('adds up the gradient of repeated ids and gives the padding row none', () => {
    const e = new Embedding(5, 2, { paddingIdx: 1, dtype: 'float64' });
    e.weight.data.data.set([7, 8], 2); // torch returns the row's value even at the pad id, without a gradient
    const idT = ids([[1, 3, 3], [0, 1, 3]]);
    const y = e.forward(idT);
    expect((y.toArray() as number[][][])[0]![0]).toEqual([7, 8]);
    const seed = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]], { dtype: 'float64' });
    y.backward(seed);
    expect(e.weight.grad!.toArray()).toEqual([[7, 8], [0, 0], [0, 0], [3 + 5 + 11, 4 + 6 + 12], [0, 0]]);
  });

  it('with a padding id present, gradcheck passes for every row but the pad row', () => {
    fc.assert(fc.property(values(4 * 3), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }), (w, idList) => {
      const e = new Embedding(4, 3, { paddingIdx: 0, dtype: 'float64' });
      const idT = ids([0, ...idList, 1], [2, 4]); // the pad id, then anything, then a real row
      e.weight.data.data.set(w);
      // The pad row gets no gradient by design, so the outputs read at pad positions are masked out:
      // the pad row's numeric gradient is then 0 too, and rows 1–3 are checked as they are used.
      const keep = tensor([0, ...idList, 1].map((id) => [id === 0 ? 0 : 1]), { dtype: 'float64' }).reshape([2, 4, 1]);
      checkGrads(() => e.forward(idT).mul(keep), [], e);
    }), { seed: SEED, numRuns: 15 });
  });

  it('rejects float ids, non-integer and out-of-range ids (naming the position), and bad options', () => {
    const e = new Embedding(65, 4);
    expect(() => e.forward(zeros([2, 3]))).toThrow("Embedding.forward: ids must be an int32 tensor of token ids; got float32 (convert with ids.to('int32'))");
    expect(() => e.forward(ids([[0, 1, 2, 3], [4, 5, 6, 70]]))).toThrow('Embedding.forward: id 70 is out of range for 65 embeddings (at [1, 3])');
    expect(() => e.forward(ids([[0, -1]]))).toThrow('Embedding.forward: id -1 is out of range for 65 embeddings (at [0, 1])');
    expect(() => e.forward([[1, 2.5]])).toThrow('Embedding.forward: id 2.5 is not an integer (at [0, 1])');
    expect(() => e.forward('abc' as never)).toThrow('Embedding.forward: ids must be an int32 Tensor or nested integer arrays; got string');
    expect(() => new Embedding(5, 2, { paddingIdx: 5 })).toThrow('Embedding: paddingIdx must be an integer in [-5, 5) for 5 embeddings; got 5');
    expect(() => new Embedding(5, 2, { paddingIdx: 1.5 })).toThrow('Embedding: paddingIdx must be an integer in [-5, 5) for 5 embeddings; got 1.5');
    expect(() => new Embedding(-1, 2)).toThrow('Embedding: numEmbeddings must be a non-negative integer; got -1');
    expect(() => new Embedding(3, 2, { dtype: 'int32' as 'float32' })).toThrow("Embedding: dtype must be 'float32' or 'float64'; got 'int32'");
  });
});

