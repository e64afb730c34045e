// decodeSafetensors on malformed files: each defect gets a CheckpointError that says what is wrong; nothing else escapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/checkpoint/errors.js';
import { MAX_HEADER_BYTES, decodeSafetensors, encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { SEED, expectCheckpointError, leBytes, makeTensor, rawSafetensors } from './helpers.js';

const decode = (bytes: Uint8Array) => () => decodeSafetensors(bytes);
const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

/** A real file: several dtypes, metadata, an empty tensor. */
const realFile = encodeSafetensors({
  'encoder.weight': makeTensor('float32', [3, 4], Array.from({ length: 12 }, (_, i) => i / 7)),
  'encoder.bias': makeTensor('float64', [4], [1, 2, 3, 4]),
  steps: makeTensor('int32', [], [1000]),
  empty: makeTensor('float32', [0, 2], []),
}, { epoch: '7' });
const realHeaderEnd = 8 + Number(new DataView(realFile.buffer).getBigUint64(0, true));

describe('the length field', () => {
  it('a file shorter than 8 bytes', () => {
    expectCheckpointError(decode(new Uint8Array(5)), 'decodeSafetensors: file is 5 bytes; a safetensors file starts with an 8-byte header length');
    expectCheckpointError(decode(new Uint8Array(0)), 'file is 0 bytes');
  });
  it('a header length over the 100 MB limit', () => {
    expectCheckpointError(decode(rawSafetensors('{}', [], MAX_HEADER_BYTES + 1)), 'header length 100000001 exceeds the 100000000-byte limit');
    expectCheckpointError(decode(rawSafetensors('{}', [], 2n ** 64n - 1n)), 'header length 18446744073709551615 exceeds');
  });
  it('a header length beyond the end of the file', () => {
    expectCheckpointError(decode(rawSafetensors('{}', [], 1000)), 'truncated: header length is 1000 bytes, but only 2 bytes follow the length field');
  });
});

describe('the header', () => {
  it('not UTF-8', () => {
    const bytes = rawSafetensors('{"a":1}');
    bytes[10] = 0xff;
    expectCheckpointError(decode(bytes), 'header is not valid UTF-8');
  });
  it('not JSON', () => {
    expectCheckpointError(decode(rawSafetensors('{"x": {"dtype": "F32",')), /header is not valid JSON \(.+\)/);
    expectCheckpointError(decode(rawSafetensors('')), 'header is not valid JSON');
  });
  it('JSON but not an object', () => {
    expectCheckpointError(decode(rawSafetensors('[1, 2]')), 'header must be a JSON object; got an array');
    expectCheckpointError(decode(rawSafetensors('null')), 'header must be a JSON object; got null');
    expectCheckpointError(decode(rawSafetensors('"x"')), 'header must be a JSON object; got the string "x"');
  });
  it('a tensor listed twice (JSON.parse alone would keep the last silently)', () => {
    const text = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "a" :{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expectCheckpointError(decode(rawSafetensors(text, leBytes('f32', [1]))), "header lists 'a' more than once");
  });
  it('keys inside strings, nested objects or escapes are not mistaken for duplicates', () => {
    const text = '{"__metadata__":{"a":"\\"a\\":","b":"{"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a\\"":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}';
    const { tensors, metadata } = decodeSafetensors(rawSafetensors(text, leBytes('f32', [1, 2])));
    expect(Object.keys(tensors)).toEqual(['a', 'a"']);
    expect(metadata).toEqual({ a: '"a":', b: '{' });
  });
  it('a name like __proto__ is just a name', () => {
    const { tensors } = decodeSafetensors(rawSafetensors('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', leBytes('f32', [3])));
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
  });
});

describe('__metadata__', () => {
  it('a non-string value', () => {
    expectCheckpointError(decode(rawSafetensors({ __metadata__: { epoch: 3 } })), "__metadata__ 'epoch' must be a string; got number 3");
    expectCheckpointError(decode(rawSafetensors({ __metadata__: { a: { b: 'c' } } })), "__metadata__ 'a' must be a string; got an object");
  });
  it('not an object', () => {
    expectCheckpointError(decode(rawSafetensors({ __metadata__: ['a'] })), '__metadata__ must be an object of strings; got an array');
  });
  it('null or missing means none (as the reference reader has it)', () => {
    expect(decodeSafetensors(rawSafetensors({ __metadata__: null })).metadata).toEqual({});
    expect(decodeSafetensors(rawSafetensors({})).metadata).toEqual({});
  });
});

describe('a tensor entry', () => {
  const one = (info: unknown, data: ArrayLike<number> = []) => decode(rawSafetensors({ x: info }, data));
  it('not an object', () => expectCheckpointError(one(3), "tensor 'x' must be described by {dtype, shape, data_offsets}; got number 3"));
  it('an unknown dtype', () => {
    expectCheckpointError(one({ dtype: 'F128', shape: [1], data_offsets: [0, 16] }), "tensor 'x' has unknown dtype 'F128' (readable: F64, F32, F16, BF16");
    expectCheckpointError(one({ dtype: 7, shape: [1], data_offsets: [0, 4] }), "tensor 'x': dtype must be a string; got number 7");
  });
  it('a dtype of the format that unroll cannot hold', () => {
    expectCheckpointError(one({ dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] }, [0, 0]), "tensor 'x' has dtype F8_E4M3, which unroll cannot read");
  });
  it('a bad shape', () => {
    expectCheckpointError(one({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }), 'shape must be a list of non-negative integers; got [-1]');
    expectCheckpointError(one({ dtype: 'F32', shape: [1.5], data_offsets: [0, 4] }), 'got [1.5]');
    expectCheckpointError(one({ dtype: 'F32', shape: '4', data_offsets: [0, 4] }), 'got "4"');
  });
  it('bad data_offsets', () => {
    expectCheckpointError(one({ dtype: 'F32', shape: [1], data_offsets: [0] }), 'data_offsets must be [begin, end] with non-negative integers; got [0]');
    expectCheckpointError(one({ dtype: 'F32', shape: [1], data_offsets: [-4, 0] }), 'got [-4,0]');
    expectCheckpointError(one({ dtype: 'F32', shape: [1] }), 'data_offsets must be [begin, end]');
    expectCheckpointError(one({ dtype: 'F32', shape: [0], data_offsets: [8, 4] }), "tensor 'x': data_offsets [8, 4] end before they begin");
  });
  it('shape × dtype size unlike the offset span', () => {
    expectCheckpointError(one(f32([2, 3], 0, 20), new Uint8Array(20)),
      "tensor 'x' is F32 [2, 3] = 24 bytes, but its data_offsets [0, 20] span 20");
  });
  it('a shape too large to address', () => {
    expectCheckpointError(one(f32([2 ** 40, 2 ** 40], 0, 4)), "tensor 'x': shape [1099511627776, 1099511627776] is too large to address");
  });
});

describe('offsets against each other and the data section', () => {
  it('overlapping tensors', () => {
    const bytes = rawSafetensors({ a: f32([4], 0, 16), b: f32([4], 8, 24) }, new Uint8Array(24));
    expectCheckpointError(decode(bytes), "tensors 'a' [0, 16) and 'b' [8, 24) overlap");
  });
  it('two tensors over the same bytes', () => {
    expectCheckpointError(decode(rawSafetensors({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, new Uint8Array(8))), 'overlap');
  });
  it('a gap between tensors', () => {
    const bytes = rawSafetensors({ a: f32([2], 0, 8), b: f32([2], 16, 24) }, new Uint8Array(24));
    expectCheckpointError(decode(bytes), "gap: data bytes [8, 16) between 'a' and 'b' belong to no tensor");
  });
  it('a gap at the start', () => {
    expectCheckpointError(decode(rawSafetensors({ a: f32([2], 8, 16) }, new Uint8Array(16))), "gap: data bytes [0, 8) before 'a' belong to no tensor");
  });
  it('offsets in any order in the header are fine when they tile the data', () => {
    const { tensors } = decodeSafetensors(rawSafetensors({ b: f32([1], 4, 8), a: f32([1], 0, 4), e: f32([0], 4, 4) }, leBytes('f32', [1, 2])));
    expect(Object.keys(tensors)).toEqual(['a', 'e', 'b']);
    expect([tensors.a!.item(), tensors.b!.item()]).toEqual([1, 2]);
  });
  it('truncated data', () => {
    const bytes = rawSafetensors({ x: f32([1024], 0, 4096) }, new Uint8Array(1000));
    expectCheckpointError(decode(bytes), 'decodeSafetensors: truncated: header promises 4096 data bytes, file has 1000');
  });
  it('trailing bytes after the last tensor', () => {
    expectCheckpointError(decode(rawSafetensors({ x: f32([1], 0, 4) }, new Uint8Array(10))), '6 trailing bytes: header describes 4 data bytes, file has 10');
  });
  it('a changed digit in data_offsets of a real file', () => {
    const text = new TextDecoder().decode(realFile.subarray(8, realHeaderEnd));
    const at = text.indexOf('"data_offsets":[') + '"data_offsets":['.length;
    const bytes = realFile.slice();
    bytes[8 + at] = '9'.charCodeAt(0); // [0, 32] → [9, 32] for the first (F64) tensor
    expectCheckpointError(decode(bytes), "tensor 'encoder.bias' is F64 [4] = 32 bytes, but its data_offsets [9, 32] span 23");
  });
});

describe('properties', () => {
  it('a real file cut anywhere says it is truncated (or too short)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: realFile.length - 1 }), (cut) => {
      const bytes = realFile.slice(0, cut);
      const pattern = cut < 8 ? /file is \d+ bytes/
        : cut < realHeaderEnd ? /truncated: header length is \d+ bytes, but only \d+ bytes follow/
        : new RegExp(`truncated: header promises ${realFile.length - realHeaderEnd} data bytes, file has ${cut - realHeaderEnd}$`);
      expectCheckpointError(decode(bytes), pattern);
    }), { seed: SEED, numRuns: 200 });
  });

  it('a changed byte in the length field is always caught', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 255 }), (i, xor) => {
      const bytes = realFile.slice();
      bytes[i]! ^= xor;
      expect(decode(bytes)).toThrow(CheckpointError);
    }), { seed: SEED, numRuns: 200 });
  });

  it('a changed header byte either decodes or throws a CheckpointError, never anything else', () => {
    fc.assert(fc.property(fc.integer({ min: 8, max: realHeaderEnd - 1 }), fc.integer({ min: 1, max: 255 }), (i, xor) => {
      const bytes = realFile.slice();
      bytes[i]! ^= xor;
      try {
        decodeSafetensors(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(CheckpointError);
      }
    }), { seed: SEED, numRuns: 500 });
  });

  it('a changed structural header byte ({ } [ ] " : ,) is always caught', () => {
    const text = new TextDecoder().decode(realFile.subarray(8, realHeaderEnd));
    const positions = [...text].flatMap((c, i) => ('{}[]":,'.includes(c) ? [i] : []));
    fc.assert(fc.property(fc.constantFrom(...positions), fc.constantFrom(...'{}[]":,ab0 '), (i, c) => {
      fc.pre(c !== text[i]);
      const bytes = realFile.slice();
      bytes[8 + i] = c.charCodeAt(0);
      expect(decode(bytes)).toThrow(CheckpointError);
    }), { seed: SEED, numRuns: 300 });
  });

  it('arbitrary bytes never escape as anything but a CheckpointError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 80 }), (body, n) => {
      const bytes = new Uint8Array(8 + body.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
      bytes.set(body, 8);
      try {
        decodeSafetensors(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(CheckpointError);
      }
    }), { seed: SEED, numRuns: 500 });
  });
});
