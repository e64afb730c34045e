// Shared by the checkpoint tests: hand-made safetensors bytes, tensor builders and exact comparisons.
import * as K from '@unroll/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { CheckpointError } from '../../src/checkpoint/errors.js';
import { Tensor } from '../../src/tensor.js';

/** Fixed seed for every fast-check property here, so a failure replays. */
export const SEED = 20_251_122;

/**
 * A safetensors file from a header (an object, serialised as is, or raw JSON text) and data bytes,
 * with an optional lie about the header length. Not padded: readers must not rely on padding.
 */
export function rawSafetensors(header: object | string, data: ArrayLike<number> = [], declaredLength?: bigint | number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of numbers written with a DataView setter (independent of the code under test). */
export function leBytes(kind: 'f64' | 'f32' | 'i32' | 'i64' | 'u64' | 'u32' | 'i16' | 'u16' | 'f16bits', values: (number | bigint)[]): Uint8Array {
  const size = { f64: 8, f32: 4, i32: 4, i64: 8, u64: 8, u32: 4, i16: 2, u16: 2, f16bits: 2 }[kind];
  const out = new Uint8Array(size * values.length);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const o = i * size;
    if (kind === 'f64') v.setFloat64(o, Number(x), true);
    else if (kind === 'f32') v.setFloat32(o, Number(x), true);
    else if (kind === 'i32') v.setInt32(o, Number(x), true);
    else if (kind === 'u32') v.setUint32(o, Number(x), true);
    else if (kind === 'i64') v.setBigInt64(o, BigInt(x), true);
    else if (kind === 'u64') v.setBigUint64(o, BigInt(x), true);
    else if (kind === 'i16') v.setInt16(o, Number(x), true);
    else v.setUint16(o, Number(x), true);
  });
  return out;
}

/** A leaf tensor of `dtype` and `shape` holding `values` (row-major). */
export function makeTensor(dtype: K.DType, shape: number[], values: ArrayLike<number>): Tensor {
  const data = K.allocate(dtype, values.length);
  data.set(Array.from(values));
  return new Tensor(K.fromData(data, shape));
}

/** The raw bytes behind a tensor's values: equal bytes means equal dtype width and bit-identical values (NaN, −0). */
export function bytesOf(t: Tensor): Uint8Array {
  const v = t.values();
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Same dtype, shape and bit-identical values. */
export function expectSameTensor(actual: unknown, expected: Tensor, label = ''): void {
  expect(actual, label).toBeInstanceOf(Tensor);
  const a = actual as Tensor;
  expect(a.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(a.shape, `${label} shape`).toEqual(expected.shape);
  expect(Array.from(bytesOf(a)), `${label} values`).toEqual(Array.from(bytesOf(expected)));
}

/** `fn` throws a CheckpointError whose message matches `pattern`. */
export function expectCheckpointError(fn: () => unknown, pattern: RegExp | string): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a CheckpointError to be thrown').toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(pattern);
  return caught as CheckpointError;
}

/** Shapes of rank 0 to 4 with axes of 0 to 3 (so empty tensors come up). */
export const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });

/** A tensor of any unroll dtype with any values the dtype holds (NaN, ±Infinity and −0 included). */
export const tensorArb: fc.Arbitrary<Tensor> = fc.constantFrom<K.DType>('float32', 'float64', 'int32').chain((dtype) =>
  shapeArb.chain((shape) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const value = dtype === 'float32' ? fc.float() : dtype === 'float64' ? fc.double() : fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    return fc.array(value, { minLength: n, maxLength: n }).map((values) => makeTensor(dtype, shape, values));
  }));

/** Tensor names as a user might pick them: any non-empty string except the format's reserved entry. */
export const nameArb = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => s !== '__metadata__');
