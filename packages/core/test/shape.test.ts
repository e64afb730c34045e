// Shape arithmetic: sizes, row-major strides, axis normalisation and reshape targets, with the
// errors each gives for bad input.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';

describe('shape arithmetic', () => {
  it('sizeOf, stridesOf and sameShape', () => {
    expect(K.sizeOf([2, 3, 4])).toBe(24);
    expect(K.sizeOf([])).toBe(1);
    expect(K.sizeOf([3, 0])).toBe(0);
    expect(K.stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(K.stridesOf([])).toEqual([]);
    expect(K.sameShape([2, 3], [2, 3])).toBe(true);
    expect(K.sameShape([2, 3], [3, 2])).toBe(false);
    expect(K.sameShape([1, 3], [3])).toBe(false);
  });

  it('normalizeAxis maps [-rank, rank) to [0, rank) and refuses the rest', () => {
    expect(K.normalizeAxis('op', -1, 3)).toBe(2);
    expect(K.normalizeAxis('op', 0, 3)).toBe(0);
    expect(() => K.normalizeAxis('softmax', 3, 3)).toThrow(new K.ShapeError('softmax: axis 3 is out of range for rank 3'));
    expect(() => K.normalizeAxis('softmax', -4, 3)).toThrow('softmax: axis -4 is out of range for rank 3');
    expect(() => K.normalizeAxis('softmax', 0.5, 3)).toThrow('softmax: axis 0.5 is out of range for rank 3');
    expect(() => K.normalizeAxis('softmax', 0, 0)).toThrow('softmax: axis 0 is out of range for rank 0');
  });

  it('normalizeAxes sorts, accepts a number or undefined (all), and refuses repeats', () => {
    expect(K.normalizeAxes('sum', undefined, 3)).toEqual([0, 1, 2]);
    expect(K.normalizeAxes('sum', -1, 3)).toEqual([2]);
    expect(K.normalizeAxes('sum', [2, -3], 3)).toEqual([0, 2]);
    expect(K.normalizeAxes('sum', [], 3)).toEqual([]);
    expect(() => K.normalizeAxes('sum', [1, -2], 3)).toThrow(new K.ShapeError('sum: repeated axis in [1, -2]'));
    expect(() => K.normalizeAxes('sum', [0, 3], 3)).toThrow('sum: axis 3 is out of range for rank 3');
  });

  it('resolveReshape fills one -1 and checks the element count', () => {
    expect(K.resolveReshape('reshape', [2, 3, 4], [-1, 4])).toEqual([6, 4]);
    expect(K.resolveReshape('reshape', [2, 3], [3, 2])).toEqual([3, 2]);
    expect(K.resolveReshape('reshape', [1], [])).toEqual([]);
    expect(K.resolveReshape('reshape', [0, 3], [3, 0])).toEqual([3, 0]);
    expect(() => K.resolveReshape('reshape', [0, 3], [0, -1])).toThrow('reshape: cannot reshape [0, 3] to [0, -1]');
    expect(() => K.resolveReshape('view', [2, 3], [-1, 4])).toThrow(new K.ShapeError('view: cannot reshape [2, 3] to [-1, 4]'));
    expect(() => K.resolveReshape('view', [2, 3], [7])).toThrow('view: cannot reshape [2, 3] (6 elements) to [7]');
    expect(() => K.resolveReshape('view', [2, 3], [-1, -1])).toThrow('view: only one dimension can be -1; got [-1, -1]');
    expect(() => K.resolveReshape('view', [4], [2.5, 1.6])).toThrow('view: cannot reshape [4] (4 elements) to [2.5, 1.6]');
  });

  it('fmt writes shapes one way everywhere', () => {
    expect(K.fmt([2, 3])).toBe('[2, 3]');
    expect(K.fmt([])).toBe('[]');
    expect(new K.ShapeError('x').name).toBe('ShapeError');
    expect(new K.DTypeError('x').name).toBe('DTypeError');
  });
});
