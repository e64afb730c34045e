// Slice and indexSelect gradients are sparse: the engine adds them into one buffer per tensor.
// The sums must equal dense ones, and a loop of lookups into a big table must not cost a table per step.
import { describe, expect, it } from 'vitest';
import {
  Embedding, RandomGenerator, add, backwardStats, cast, indexSelect, mul, narrow, randn, select, sum, tanh, tensor,
} from '@unroll/autograd';

describe('sparse gradients', () => {
  it('repeated, overlapping slices and a dense path sum to the right gradient', () => {
    const x = randn([5, 3], { dtype: 'float64', requiresGrad: true, generator: new RandomGenerator(1) });
    let loss = sum(mul(x, 0.5));
    for (let t = 0; t < 5; t++) loss = add(loss, sum(mul(select(x, 0, t), t)));
    loss = add(loss, sum(tanh(narrow(x, 0, 1, 3))));
    loss.backward();
    const v = x.toArray() as number[][];
    const want = v.map((row, t) => row.map((e) => 0.5 + t + (t >= 1 && t <= 3 ? 1 - Math.tanh(e) ** 2 : 0)));
    const got = x.grad!.toArray() as number[][];
    got.forEach((row, t) => row.forEach((e, j) => expect(e).toBeCloseTo(want[t]![j]!, 12)));
  });

  it('a float32 slice of a float64 tensor gets its gradient cast back', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    sum(cast(select(x, 0, 1), 'float32')).backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!.toArray()).toEqual([[0, 0], [1, 1]]);
  });

  it('T embedding lookups into a [V, E] table cost one table, not T of them', () => {
    const V = 5000, E = 8, T = 32;
    const emb = new Embedding(V, E, { dtype: 'float64' });
    let loss = sum(emb.forward(tensor([1, 2], { dtype: 'int32' })));
    for (let t = 0; t < T; t++) loss = add(loss, sum(emb.forward(tensor([t, t + 7], { dtype: 'int32' }))));
    loss.backward();
    expect(backwardStats().gradientElements).toBeLessThan(2 * V * E);
    const g = emb.weight.grad!.toArray() as number[][];
    expect(g[1]).toEqual(new Array(E).fill(2)); // looked up at t = 1 and by the first lookup
    expect(g[8]).toEqual(new Array(E).fill(2)); // t = 1 (1 + 7) and t = 8
    expect(g[V - 1]).toEqual(new Array(E).fill(0));
  });

  it('indexSelect gradients match a dense sum with repeated ids', () => {
    const w = randn([4, 2], { dtype: 'float64', requiresGrad: true, generator: new RandomGenerator(2) });
    const ids = tensor([[3, 0], [3, 3]], { dtype: 'int32' });
    add(sum(indexSelect(w, 0, ids)), sum(indexSelect(w, 0, tensor([0], { dtype: 'int32' })))).backward();
    expect(w.grad!.toArray()).toEqual([[2, 2], [0, 0], [0, 0], [3, 3]]);
  });
});
