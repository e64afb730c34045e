// Bad input gives an error that names the op and what was wrong: shapes (both of them),
// dtypes, axes, ids, and misuse of backward.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  DTypeError, Embedding, ShapeError, Tensor, add, backward, chunk, clamp, concat, defineOp, div, expand, gather, indexSelect, logsumexp,
  matmul, max, mean, mul, narrow, permute, reshape, select, slice, softmax, split, squeeze, stack, sum, tanh, tensor,
  transpose, unsqueeze, where, zeros,
} from '@unroll/autograd';

const f = (shape: number[], requiresGrad = false) => zeros(shape, { requiresGrad });
const ids = (v: K.Nested) => tensor(v, { dtype: 'int32' });

describe('shape mismatches name the op and both shapes', () => {
  it('broadcasting', () => {
    expect(() => add(f([2, 3]), f([4, 3]))).toThrow(new ShapeError('add: cannot broadcast [2, 3] with [4, 3] (axis 0: 2 vs 4)'));
    expect(() => mul(f([3]), f([2, 4]))).toThrow('mul: cannot broadcast [3] with [2, 4] (axis 1: 3 vs 4)');
    expect(() => div(f([2, 1, 3]), f([5, 2]))).toThrow('div: cannot broadcast [2, 1, 3] with [5, 2] (axis 2: 3 vs 2)');
    expect(() => where(ids([1, 0]), f([3]), f([3]))).toThrow('where: cannot broadcast [2], [3] and [3] together');
    expect(() => expand(f([2, 3]), [4, 3])).toThrow('expand: cannot broadcast [2, 3] with [4, 3] (axis 0: 2 vs 4)');
    expect(() => expand(f([2, 3]), [3])).toThrow('expand: cannot broadcast [2, 3] to [3]');
  });

  it('matmul', () => {
    expect(() => matmul(f([2, 3]), f([4, 5]))).toThrow(new ShapeError('matmul: cannot multiply [2, 3] by [4, 5]'));
    expect(() => matmul(f([2, 3]), f([2, 3]), { transB: false })).toThrow('matmul: cannot multiply [2, 3] by [2, 3]');
    expect(() => matmul(f([2, 3]), f([5, 4]), { transB: true })).toThrow('matmul: cannot multiply [2, 3] by [5, 4]ᵀ');
    expect(() => matmul(f([2, 3]), f([2, 4]), { transA: false })).toThrow('matmul: cannot multiply [2, 3] by [2, 4]');
    expect(() => matmul(f([2, 2, 3]), f([3, 3, 4]))).toThrow(new ShapeError('matmul: batch dims of a [2, 2, 3] and b [3, 3, 4] do not broadcast ([2] vs [3])'));
    expect(() => matmul(f([5, 2, 2, 3]), f([4, 3, 4]), { transB: false })).toThrow('matmul: batch dims of a [5, 2, 2, 3] and b [4, 3, 4] do not broadcast ([5, 2] vs [4])');
    expect(() => matmul(f([3]), f([3, 4]))).toThrow('matmul: both operands need rank ≥ 2; got [3] and [3, 4]');
  });

  it('concat and stack', () => {
    expect(() => concat([f([2, 3]), f([3, 4])], 0)).toThrow(new ShapeError('concat: along axis 0, [2, 3] and [3, 4] differ off that axis'));
    expect(() => concat([f([2, 3]), f([3])], 0)).toThrow('concat: along axis 0, [2, 3] and [3] differ off that axis');
    expect(() => concat([])).toThrow('concat: needs at least one array');
    expect(() => stack([f([2, 3]), f([3, 2])])).toThrow('stack: all tensors must have one shape; got [2, 3] and [3, 2]');
    expect(() => stack([])).toThrow('stack: needs at least one tensor');
  });

  it('reshape', () => {
    expect(() => reshape(f([2, 3]), [4, 2])).toThrow(new ShapeError('reshape: cannot reshape [2, 3] (6 elements) to [4, 2]'));
    expect(() => reshape(f([2, 3]), [4, -1])).toThrow('reshape: cannot reshape [2, 3] to [4, -1]');
    expect(() => reshape(f([2, 3]), [-1, -1])).toThrow('reshape: only one dimension can be -1; got [-1, -1]');
  });

  it('split, squeeze, narrow, select and slice', () => {
    expect(() => split(f([5, 2]), [2, 2])).toThrow('split: sizes [2, 2] do not add up to axis 0 of [5, 2]');
    expect(() => split(f([5, 2]), 0)).toThrow('split: size must be a positive integer; got 0');
    expect(() => squeeze(f([2, 3]), 1)).toThrow('squeeze: axis 1 of [2, 3] is not 1');
    expect(() => narrow(f([4, 3]), 0, 3, 2)).toThrow('narrow: [3, 5) is outside axis 0 of [4, 3]');
    expect(() => select(f([4, 3]), 1, 3)).toThrow('select: index 3 is out of range for axis 1 of [4, 3]');
    expect(() => select(f([4, 3]), 0, -5)).toThrow('select: index -5 is out of range for axis 0 of [4, 3]');
    expect(() => slice(f([4]), [{ step: 0 }])).toThrow('slice: step must be a positive integer; got 0');
    expect(() => slice(f([4]), [{ step: -1 }])).toThrow('slice: step must be a positive integer; got -1');
    expect(() => slice(f([4]), [{}, {}])).toThrow('slice: 2 ranges for [4]');
  });

  it('gather index shapes', () => {
    expect(() => gather(f([2, 3]), 1, ids([0, 1, 2, 0]))).toThrow(
      'gather: index [4] must have the rank of [2, 3] and no larger dims off axis 1');
    expect(() => gather(f([2, 3]), 1, ids([[0], [1], [2]]))).toThrow(
      'gather: index [3, 1] must have the rank of [2, 3] and no larger dims off axis 1');
  });
});

describe('dtypes', () => {
  it('int32 tensors cannot enter differentiable inputs', () => {
    const i = ids([1, 2]);
    expect(() => tanh(i)).toThrow(new DTypeError("tanh: input 'x' must be float32 or float64; got int32 (cast with .to('float32'))"));
    expect(() => add(f([2]), i)).toThrow("add: input 'b' must be float32 or float64; got int32");
    expect(() => matmul(ids([[1]]), f([1, 1]))).toThrow("matmul: input 'a' must be float32 or float64; got int32");
    expect(() => sum(i)).toThrow("sum: input 'x' must be float32 or float64; got int32");
    expect(() => where(ids([1]), i, f([2]))).toThrow("where: input 'a' must be float32 or float64; got int32");
  });

  it('float32 and float64 do not mix', () => {
    const a = f([2]), b = zeros([2], { dtype: 'float64' });
    expect(() => add(a, b)).toThrow(new DTypeError("add: inputs mix float32 and float64; cast one with .to('float32')"));
    expect(() => concat([a, b])).toThrow('concat: inputs mix float32 and float64');
    expect(() => matmul(zeros([1, 2], { dtype: 'float64' }), f([2, 1]))).toThrow("matmul: inputs mix float64 and float32; cast one with .to('float64')");
    // Movement ops take int32 ids, but not int32 mixed with floats.
    expect(() => concat([ids([1]), f([2])])).toThrow(new DTypeError("concat: inputs mix int32 and float32; cast one with .to('float32')"));
    expect(() => concat([f([2]), ids([1])])).toThrow("concat: inputs mix float32 and int32; cast one with .to('float32')");
  });

  it('int32 tensors cannot require gradients', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(
      new DTypeError('Tensor: only float tensors can require gradients; got int32'));
    expect(() => ids([1]).requiresGrad_()).toThrow('requiresGrad_: int32 tensors cannot require gradients');
    expect(() => f([2]).mul(2).requiresGrad_(false)).not.toThrow(); // not recorded: still a leaf
    expect(() => f([2], true).mul(2).requiresGrad_(false)).toThrow('requiresGrad_: only leaf tensors can change requiresGrad');
  });

  it('a bad dtype name is refused', () => {
    expect(() => zeros([2], { dtype: 'float16' as never })).toThrow("empty: dtype must be 'float32', 'float64' or 'int32'; got 'float16'");
  });
});

describe('ids and indices out of range', () => {
  it('gather', () => {
    expect(() => gather(f([2, 3]), 1, ids([[0, 3]]))).toThrow(new RangeError('gather: index 3 is out of range for a dimension of size 3; ids must be in [0, 3)'));
    expect(() => gather(f([2, 3]), 0, ids([[2, 0, 0]]))).toThrow('gather: index 2 is out of range for a dimension of size 2');
  });

  it('indexSelect', () => {
    expect(() => indexSelect(f([4, 2]), 0, ids([1, 4]))).toThrow(new RangeError('indexSelect: index 4 is out of range for a dimension of size 4; ids must be in [0, 4)'));
    expect(() => indexSelect(f([4, 2]), 1, ids([[0], [-3]]))).toThrow('indexSelect: index -3 is out of range for a dimension of size 2');
  });

  it('negative ids are refused, not wrapped to the last rows (gather, indexSelect, Embedding)', () => {
    expect(() => gather(f([2, 3]), 1, ids([[-1], [0]]))).toThrow('gather: index -1 is out of range for a dimension of size 3; ids must be in [0, 3) (negative ids do not count from the end)');
    expect(() => indexSelect(f([4, 2]), 0, ids([-1]))).toThrow('indexSelect: index -1 is out of range for a dimension of size 4');
    expect(() => new Embedding(4, 2).forward(ids([[0, -1]]))).toThrow(new RangeError('Embedding.forward: id -1 is out of range for 4 embeddings (at [0, 1])'));
  });
});

describe('bad axes', () => {
  it('reductions and the softmax family', () => {
    expect(() => sum(f([2, 3]), { axes: 2 })).toThrow(new ShapeError('sum: axis 2 is out of range for rank 2'));
    expect(() => sum(f([2, 3]), { axes: [0, -2] })).toThrow('sum: repeated axis in [0, -2]');
    expect(() => mean(f([2, 3]), { axes: -3 })).toThrow('mean: axis -3 is out of range for rank 2');
    expect(() => max(f([2, 3]), { axes: 1.5 })).toThrow('max: axis 1.5 is out of range for rank 2');
    expect(() => softmax(f([2, 3]), 2)).toThrow('softmax: axis 2 is out of range for rank 2');
    expect(() => logsumexp(f([2, 3]), -3)).toThrow('logsumexp: axis -3 is out of range for rank 2');
  });

  it('movement ops', () => {
    expect(() => permute(f([2, 3]), [0, 0])).toThrow('permute: axes [0, 0] are not a permutation of 2 axes for [2, 3]');
    expect(() => permute(f([2, 3]), [1])).toThrow('permute: axes [1] are not a permutation of 2 axes for [2, 3]');
    expect(() => permute(f([2, 3]), [0, 2])).toThrow('permute: axis 2 is out of range for rank 2');
    expect(() => transpose(f([2, 3]), 0, 2)).toThrow('transpose: axis 2 is out of range for rank 2');
    expect(() => concat([f([2, 3]), f([2, 3])], 2)).toThrow('concat: axis 2 is out of range for rank 2');
    expect(() => stack([f([2, 3])], 3)).toThrow('stack: axis 3 is out of range for rank 3');
    expect(() => unsqueeze(f([2, 3]), 3)).toThrow('unsqueeze: axis 3 is out of range for rank 3');
    expect(() => split(f([2, 3]), 1, 2)).toThrow('split: axis 2 is out of range for rank 2');
    expect(() => chunk(f([2, 3]), 2, -3)).toThrow('chunk: axis -3 is out of range for rank 2');
    expect(() => gather(f([2, 3]), 2, ids([[0]]))).toThrow('gather: axis 2 is out of range for rank 2');
    expect(() => indexSelect(f([2, 3]), -3, ids([0]))).toThrow('indexSelect: axis -3 is out of range for rank 2');
  });

  it('other bad arguments', () => {
    expect(() => chunk(f([4]), 0)).toThrow('chunk: chunks must be a positive integer; got 0');
    expect(() => split(f([4]), [5, -1])).toThrow('split: sizes must be non-negative integers; got [5, -1]');
    expect(() => clamp(f([2]), { min: 1, max: 0 })).toThrow(new RangeError('clamp: min (1) is greater than max (0)'));
  });
});

describe('misuse of backward and of ops', () => {
  it('backward on a non-scalar without a seed', () => {
    const y = f([2, 3], true).mul(2);
    expect(() => y.backward()).toThrow(new ShapeError(
      'backward: a seed gradient is needed for a non-scalar [2, 3]; call backward(seed) or reduce first (e.g. .sum())'));
  });

  it('a seed of the wrong shape', () => {
    const y = f([2, 3], true).mul(2);
    expect(() => y.backward(zeros([3, 2]))).toThrow("backward: seed must have the output's shape [2, 3]; got [3, 2]");
  });

  it('a second backward without retainGraph says how to allow it', () => {
    const loss = f([2], true).tanh().sum();
    loss.backward();
    expect(() => loss.backward()).toThrow(
      "backward: the graph through 'sum' was already freed by an earlier backward(); pass { retainGraph: true } to the first backward() to go through it twice");
  });

  it('backward on a tensor that does not require a gradient', () => {
    expect(() => backward(f([1]).mul(2))).toThrow('backward: this tensor does not require a gradient');
  });

  it('an op given the wrong number of inputs, or a non-tensor', () => {
    const op = defineOp({ name: 'twoIn', inputs: ['a', 'b'], forward: ([a]) => a!, backward: () => [] });
    expect(() => op.apply([f([1])], undefined)).toThrow(new TypeError('twoIn: takes 2 inputs (a, b); got 1'));
    expect(() => op.apply([f([1]), [1] as unknown as Tensor], undefined)).toThrow("twoIn: input 'b' must be a Tensor; got object");
    expect(() => add(f([1]), '1' as unknown as number)).toThrow('expected a Tensor or a number; got string');
  });

  it('item on a tensor with more than one element', () => {
    expect(() => f([2]).item()).toThrow('item: needs a one-element tensor; got [2]');
  });
});
