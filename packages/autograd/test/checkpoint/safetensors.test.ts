// encodeSafetensors / decodeSafetensors: round trips, layout, every readable dtype, byte order, encode-side refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  halfToNumber, readElements, writeElements, type SafetensorsDType,
} from '../../src/checkpoint/dtypes.js';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsChunks } from '../../src/checkpoint/safetensors.js';
import { Tensor } from '../../src/tensor.js';
import {
  SEED, bytesOf, expectCheckpointError, expectSameTensor, leBytes, makeTensor, nameArb, rawSafetensors, tensorArb,
} from './helpers.js';

const headerOf = (bytes: Uint8Array) => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, text: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
};

describe('round trip', () => {
  it.each([
    ['float32', [2, 3], [1.5, -2, 0, -0, Infinity, NaN]],
    ['float64', [3], [Math.PI, -1e-310, Number.MAX_VALUE]],
    ['int32', [2, 2], [0, -1, 2 ** 31 - 1, -(2 ** 31)]],
    ['float64', [], [42.25]],
    ['float32', [0], []],
    ['int32', [2, 0, 3], []],
    ['float32', [1, 2, 1, 2], [1, 2, 3, 4]],
  ] as const)('%s %j keeps dtype, shape and bits', (dtype, shape, values) => {
    const t = makeTensor(dtype, [...shape], values);
    const back = decodeSafetensors(encodeSafetensors({ t }));
    expectSameTensor(back.tensors.t, t);
  });

  it('any record of tensors and metadata comes back bit for bit', () => {
    fc.assert(fc.property(
      fc.dictionary(nameArb, tensorArb, { maxKeys: 6 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      (tensors, metadata) => {
        const bytes = encodeSafetensors(tensors, metadata);
        const back = decodeSafetensors(bytes);
        expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) expectSameTensor(back.tensors[name], t, name);
        expect(back.metadata).toEqual(metadata);
      }), { seed: SEED, numRuns: 150 });
  });

  it('chunks concatenate to the same bytes as encodeSafetensors', () => {
    fc.assert(fc.property(fc.dictionary(nameArb, tensorArb, { maxKeys: 5 }), (tensors) => {
      const whole = encodeSafetensors(tensors, { a: 'b' });
      const parts = [...encodeSafetensorsChunks(tensors, { a: 'b' })];
      expect(parts.length).toBe(1 + Object.keys(tensors).length);
      expect(Buffer.concat(parts).equals(Buffer.from(whole))).toBe(true);
    }), { seed: SEED, numRuns: 50 });
  });

  it('decoded tensors own their storage (changing the file bytes later changes nothing)', () => {
    const bytes = encodeSafetensors({ w: makeTensor('float32', [2], [1, 2]) });
    const back = decodeSafetensors(bytes);
    bytes.fill(0, bytes.length - 8);
    expect(Array.from(back.tensors.w!.values())).toEqual([1, 2]);
  });

  it('reads from a Uint8Array view at any byte offset (e.g. a slice of a larger buffer)', () => {
    const bytes = encodeSafetensors({ w: makeTensor('float64', [3], [1, 2, 3]) });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(Array.from(decodeSafetensors(big.subarray(3)).tensors.w!.values())).toEqual([1, 2, 3]);
  });
});

describe('layout (as the reference writer)', () => {
  it('header is space-padded to 8 bytes and each tensor starts aligned to its element size', () => {
    fc.assert(fc.property(fc.dictionary(nameArb, tensorArb, { maxKeys: 6 }), (tensors) => {
      const bytes = encodeSafetensors(tensors);
      const { n, text } = headerOf(bytes);
      expect(n % 8).toBe(0);
      const json = text.trimEnd();
      expect(text.slice(json.length)).toMatch(/^ {0,7}$/);
      const header = JSON.parse(json) as Record<string, { dtype: string; data_offsets: [number, number] }>;
      for (const info of Object.values(header)) {
        expect(info.data_offsets[0] % (info.dtype === 'F64' ? 8 : 4)).toBe(0);
      }
    }), { seed: SEED, numRuns: 100 });
  });

  it('orders F64, then F32, then I32, each by name bytes; integer-like names keep that order; metadata first', () => {
    const bytes = encodeSafetensors({
      b: makeTensor('int32', [1], [1]),
      '9': makeTensor('float32', [1], [1]),
      '10': makeTensor('float32', [1], [1]),
      z: makeTensor('float64', [1], [1]),
      a: makeTensor('float64', [1], [1]),
      'é': makeTensor('float32', [1], [1]),
      f: makeTensor('float32', [1], [1]),
    }, { k: 'v' });
    const { text } = headerOf(bytes);
    const order = [...text.matchAll(/"([^"]+)":\{/g)].map((m) => m[1]);
    expect(order).toEqual(['__metadata__', 'a', 'z', '10', '9', 'f', 'é', 'b']);
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},'
      + '"z":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"10":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},'
      + '"9":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},"f":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},'
      + '"é":{"dtype":"F32","shape":[1],"data_offsets":[28,32]},"b":{"dtype":"I32","shape":[1],"data_offsets":[32,36]}}');
  });

  it('matches the reference implementation\'s published serialisation test byte for byte', () => {
    // safetensors' own test: "attn.0", F32 [1, 2, 3] = 0..5, no metadata.
    const bytes = encodeSafetensors({ 'attn.0': makeTensor('float32', [1, 2, 3], [0, 1, 2, 3, 4, 5]) });
    expect(Array.from(bytes)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    // And its empty file, with and without metadata.
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(new TextDecoder().decode(encodeSafetensors({}, { framework: 'pt' }).subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('writes a non-contiguous view by its logical (row-major) values', () => {
    const base = makeTensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const transposed = new Tensor(base.data.transpose(1, 0));
    const back = decodeSafetensors(encodeSafetensors({ t: transposed })).tensors.t!;
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(back.values())).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('reading every dtype', () => {
  const file = (dtype: string, shape: number[], data: Uint8Array) =>
    rawSafetensors({ x: { dtype, shape, data_offsets: [0, data.length] } }, data);
  const read = (dtype: string, shape: number[], data: Uint8Array) => decodeSafetensors(file(dtype, shape, data)).tensors.x!;

  it('F16 and BF16 widen to float32 exactly', () => {
    // 1, −2, 65504 (max), 2^-14 (min normal), 2^-24 (min subnormal), −0, +Inf, NaN
    const f16 = read('F16', [8], leBytes('f16bits', [0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x8000, 0x7c00, 0x7e00]));
    expect(f16.dtype).toBe('float32');
    expect(Array.from(f16.values())).toEqual([1, -2, 65504, 2 ** -14, 2 ** -24, -0, Infinity, NaN]);
    expect(Object.is(f16.values()[5], -0)).toBe(true);
    const bf16 = read('BF16', [4], leBytes('f16bits', [0x3fc0, 0xc2f7, 0xff80, 0x0001]));
    expect(bf16.dtype).toBe('float32');
    const expected = new Float32Array(new Uint32Array([0x3fc00000, 0xc2f70000, 0xff800000, 0x00010000]).buffer);
    expect(Array.from(bytesOf(bf16))).toEqual(Array.from(new Uint8Array(expected.buffer)));
  });

  it('halfToNumber agrees with the bit layout for every finite normal half', () => {
    for (let h = 0; h < 0x10000; h++) {
      const e = (h >> 10) & 0x1f;
      if (e === 0 || e === 31) continue;
      // Rebias the exponent (15 → 127) and widen the fraction (10 → 23 bits) to get the float32 bits.
      const bits = ((h & 0x8000) << 16) | ((e - 15 + 127) << 23) | ((h & 0x3ff) << 13);
      const expected = new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0];
      if (halfToNumber(h) !== expected) throw new Error(`half 0x${h.toString(16)}: ${halfToNumber(h)} vs ${expected}`);
    }
  });

  it('integers become int32: I64 and U64 within range, I16, U16, I8, U8, U32, BOOL', () => {
    const cases: [string, Uint8Array, number[]][] = [
      ['I64', leBytes('i64', [0n, -1n, 2147483647n, -2147483648n]), [0, -1, 2147483647, -2147483648]],
      ['U64', leBytes('u64', [0n, 2147483647n]), [0, 2147483647]],
      ['U32', leBytes('u32', [0, 2147483647]), [0, 2147483647]],
      ['I32', leBytes('i32', [-5, 7]), [-5, 7]],
      ['I16', leBytes('i16', [-32768, 32767]), [-32768, 32767]],
      ['U16', leBytes('u16', [0, 65535]), [0, 65535]],
      ['I8', new Uint8Array([0x80, 0x7f, 0xff]), [-128, 127, -1]],
      ['U8', new Uint8Array([0, 255, 17]), [0, 255, 17]],
      ['BOOL', new Uint8Array([1, 0, 1]), [1, 0, 1]],
    ];
    for (const [dtype, data, expected] of cases) {
      const t = read(dtype, [expected.length], data);
      expect(t.dtype, dtype).toBe('int32');
      expect(Array.from(t.values()), dtype).toEqual(expected);
    }
  });

  it('F32 and F64 keep their dtype', () => {
    expect(read('F32', [2], leBytes('f32', [1.5, -3])).dtype).toBe('float32');
    expect(Array.from(read('F64', [2], leBytes('f64', [0.1, -3])).values())).toEqual([0.1, -3]);
  });

  it('refuses 64- and unsigned 32-bit values outside int32, naming the tensor, element and value', () => {
    expectCheckpointError(() => read('I64', [3], leBytes('i64', [0n, 2147483648n, 0n])),
      "tensor 'x' (I64): element 1 is 2147483648, outside the int32 range");
    expectCheckpointError(() => read('I64', [1], leBytes('i64', [-2147483649n])), 'element 0 is -2147483649');
    expectCheckpointError(() => read('U64', [1], leBytes('u64', [2n ** 64n - 1n])), 'element 0 is 18446744073709551615');
    expectCheckpointError(() => read('U32', [2], leBytes('u32', [1, 4294967295])), 'element 1 is 4294967295');
  });

  it('refuses a BOOL byte other than 0 or 1', () => {
    expectCheckpointError(() => read('BOOL', [3], new Uint8Array([0, 1, 2])), "tensor 'x' (BOOL): BOOL element 2 is the byte 2; a BOOL byte must be 0 or 1");
  });
});

describe('byte order', () => {
  // The host here is little-endian; the `false` paths are what a big-endian host runs.
  const codes: SafetensorsDType[] = ['F64', 'F32', 'I32', 'F16', 'BF16', 'I64', 'U64', 'U32', 'I16', 'U16', 'I8', 'U8', 'BOOL'];
  it.each(codes)('%s reads the same through DataView as through the byte copy', (code) => {
    const size = { F64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 }[code];
    const count = 5;
    const bytes = new Uint8Array(size * count).map((_, i) => (i * 37 + 11) & 0xff);
    // Keep the wide integers within int32 and BOOL within 0/1, so both paths succeed.
    if (code === 'I64' || code === 'U64') for (let i = 0; i < count; i++) bytes.fill(0, i * 8 + 3, i * 8 + 8);
    if (code === 'U32') for (let i = 0; i < count; i++) bytes[i * 4 + 3] = 0;
    if (code === 'BOOL') bytes.forEach((b, i) => { bytes[i] = b & 1; });
    const a = readElements(code, bytes, count, 'test', true);
    const b = readElements(code, bytes, count, 'test', false);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it.each(['float64', 'float32', 'int32'] as const)('%s writes the same little-endian bytes either way', (dtype) => {
    const values = makeTensor(dtype, [4], [1.5, -2, 1e6 + 1, -0]).values();
    expect(Array.from(writeElements(values, false))).toEqual(Array.from(writeElements(values, true)));
    // And those bytes are little-endian by DataView's reckoning.
    const view = new DataView(writeElements(values, false).buffer);
    expect(dtype === 'float64' ? view.getFloat64(0, true) : dtype === 'float32' ? view.getFloat32(0, true) : view.getInt32(0, true))
      .toBe(dtype === 'int32' ? 1 : 1.5);
  });
});

describe('encode refuses', () => {
  const t = makeTensor('float32', [1], [1]);
  it('an empty name', () => expectCheckpointError(() => encodeSafetensors({ '': t }), 'encodeSafetensors: a tensor name must be non-empty'));
  it('the name __metadata__', () => expectCheckpointError(() => encodeSafetensors({ __metadata__: t }),
    "the tensor name '__metadata__' collides with the format's metadata entry"));
  it('a value that is not a Tensor', () => expectCheckpointError(
    () => encodeSafetensors({ w: [1, 2] as unknown as Tensor }), "encodeSafetensors: 'w' must be a Tensor; got an array"));
  it('non-string metadata', () => expectCheckpointError(
    () => encodeSafetensors({ w: t }, { epoch: 3 as unknown as string }), "encodeSafetensors: metadata 'epoch' must be a string; got number 3"));
  it('but accepts NaN values (they are data)', () => {
    const back = decodeSafetensors(encodeSafetensors({ w: makeTensor('float32', [1], [NaN]) }));
    expect(Number.isNaN(back.tensors.w!.item())).toBe(true);
  });
});
