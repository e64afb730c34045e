// Converting to int32 never truncates silently: every entry point that stores numbers as int32
// (cast, fromNested, full, arange) stores exactly or refuses naming the value and where it was.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { SEED } from './naive.js';

const fits = (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;

describe('int32 conversion', () => {
  it('stores every value exactly or refuses it (cast, fromNested, full)', () => {
    const value = fc.oneof(
      fc.double(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 1, 0.5, -0, NaN, Infinity, -Infinity));
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
      const source = K.fromData(Float64Array.from(values), [values.length]);
      const bad = values.findIndex((v) => !fits(v));
      for (const convert of [() => K.cast(source, 'int32'), () => K.fromNested(values, { dtype: 'int32' })]) {
        if (bad < 0) expect(Array.from(convert().data)).toEqual(values.map((v) => v + 0));
        else expect(convert).toThrow(new RegExp(`value at \\[${bad}\\] is ${String(values[bad]).replace(/[+.]/g, '\\$&')}, which int32 cannot hold`));
      }
      if (fits(values[0]!)) expect(K.full([2], values[0]!, { dtype: 'int32' }).data[1]).toBe(values[0]! + 0);
      else expect(() => K.full([2], values[0]!, { dtype: 'int32' })).toThrow(K.DTypeError);
    }), { seed: SEED, numRuns: 200 });
  });

  it('the message says why (the issue\'s case: 1.5, NaN, 2^32 + 1)', () => {
    const a = (v: number[]) => K.fromData(Float64Array.from(v), [v.length]);
    expect(() => K.cast(a([1.5, NaN, 2 ** 32 + 1]), 'int32'))
      .toThrow(new K.DTypeError('cast: value at [0] is 1.5, which int32 cannot hold (it is not an integer)'));
    expect(() => K.cast(a([1, NaN]), 'int32')).toThrow('cast: value at [1] is NaN, which int32 cannot hold (it is not finite)');
    expect(() => K.fromNested([[1], [2 ** 32 + 1]], { dtype: 'int32' }))
      .toThrow('fromNested: value at [1, 0] is 4294967297, which int32 cannot hold (it is outside [-2^31, 2^31))');
    expect(() => K.full([1], Infinity, { dtype: 'int32' })).toThrow('full: value is Infinity, which int32 cannot hold (it is not finite)');
    expect(() => K.arange(0, 2, 0.5, { dtype: 'int32' })).toThrow('arange: element 1 is 0.5, which int32 cannot hold (it is not an integer)');
    expect(K.toNested(K.arange(0, 6, 2, { dtype: 'int32' }))).toEqual([0, 2, 4]);
  });

  it('random draws cannot be int32 (they would be truncated)', () => {
    expect(() => K.randUniform([2], 0, 5, { dtype: 'int32' })).toThrow('randUniform: dtype must be float32 or float64; got int32 (draws would be truncated)');
    expect(() => K.randNormal([2], 0, 1, { dtype: 'int32' })).toThrow('randNormal: dtype must be float32 or float64; got int32');
  });

  it('int32 → float and float → float casts are unchanged', () => {
    expect(Array.from(K.cast(K.fromNested([1, -2], { dtype: 'int32' }), 'float64').data)).toEqual([1, -2]);
    expect(Array.from(K.cast(K.fromData(Float64Array.of(1.5), [1]), 'float32').data)).toEqual([1.5]);
  });
});
