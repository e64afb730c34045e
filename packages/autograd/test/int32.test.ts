// Token ids are int32: making or converting a tensor to int32 refuses what int32 cannot hold exactly
// instead of truncating it (1.5 → 1, NaN → 0, 2³² + 1 → 1), so Embedding never sees a corrupted id.
import { describe, expect, it } from 'vitest';
import { DTypeError, Embedding, Module, StateDictError, tensor, zeros } from '@unroll/autograd';

describe('converting to int32', () => {
  it('tensor(values, { dtype: int32 }) refuses non-integer, non-finite and out-of-range values', () => {
    expect(() => tensor([1.5, NaN, 2 ** 32 + 1], { dtype: 'int32' }))
      .toThrow(new DTypeError('tensor: value at [0] is 1.5, which int32 cannot hold (it is not an integer)'));
    expect(() => tensor([[1, NaN]], { dtype: 'int32' })).toThrow('tensor: value at [0, 1] is NaN, which int32 cannot hold (it is not finite)');
    expect(() => tensor(Float64Array.of(2 ** 32 + 1), { dtype: 'int32' })).toThrow('tensor: value at [0] is 4294967297');
    expect(() => tensor(zeros([2], { dtype: 'float64' }).add(0.5).data, { dtype: 'int32' })).toThrow('tensor: value at [0] is 0.5');
    expect(tensor([3, -2, 2 ** 31 - 1], { dtype: 'int32' }).toArray()).toEqual([3, -2, 2 ** 31 - 1]);
  });

  it(".to('int32') (which Embedding's error recommends) refuses them too, so Embedding never receives them", () => {
    const ids = tensor([1.5, NaN, 2 ** 32 + 1], { dtype: 'float64' });
    expect(() => ids.to('int32')).toThrow(new DTypeError('cast: value at [0] is 1.5, which int32 cannot hold (it is not an integer)'));
    expect(() => tensor([2, -Infinity]).to('int32')).toThrow('cast: value at [1] is -Infinity');
    const emb = new Embedding(4, 2);
    expect(() => emb.forward(tensor([1, 2]))).toThrow("convert with ids.to('int32')");
    expect(emb.forward(tensor([1, 2]).to('int32')).shape).toEqual([2, 2]);
  });

  it('loading a state dict into an int32 buffer refuses a value it would truncate, naming the key', () => {
    class Counter extends Module {
      constructor() { super(); this.registerBuffer('steps', zeros([2], { dtype: 'int32' })); }
    }
    const m = new Counter();
    expect(() => m.loadStateDict({ steps: tensor([1, 2.5], { dtype: 'float64' }) }))
      .toThrow(new StateDictError("Counter.loadStateDict: 'steps' cannot be loaded: cast: value at [1] is 2.5, which int32 cannot hold (it is not an integer)"));
    m.loadStateDict({ steps: [4, 5] });
    expect(m.stateDict().steps!.toArray()).toEqual([4, 5]);
  });
});
