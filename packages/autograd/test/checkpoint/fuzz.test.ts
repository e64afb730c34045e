// Fuzzing the checkpoint reader (issue 16 item 10): random truncations, bit flips, spliced bytes,
// length fields and header edits (huge, negative, fractional or absurd shapes and offsets, unknown
// dtypes, deep or odd JSON). Every input must end in a CheckpointError or a valid load — never another
// exception, a hang (each run is a tiny file: a runaway loop would stall the suite), or storage larger
// than the file allows (at most 4 bytes per file byte: 8-bit ids widen to int32).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, CheckpointError, Linear, Tensor, checkpointBytes, readCheckpoint, tensor } from '@unroll/autograd';
import type { CheckpointValue } from '@unroll/autograd';
import { SEED } from './helpers.js';

/** A real unroll checkpoint: a model, Adam state after one step, extra data with every kind of value. */
function unrollCheckpoint(): Uint8Array {
  const model = new Linear(3, 2);
  const optimizer = new Adam(model.parameters(), { lr: 0.1 });
  model.forward(tensor([[1, 2, 3]])).sum().backward();
  optimizer.step();
  return checkpointBytes({
    model, optimizer,
    extra: { step: 7, best: Infinity, ids: tensor([1, 2], { dtype: 'int32' }), x: tensor([0.5], { dtype: 'float64' }), nested: [{ a: [null, true, 'x'] }] },
    metadata: { note: 'fuzz' },
  });
}
const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));
// The PyTorch-written fixture has F16, BF16, I64, U8, BOOL … tensors; the other is unroll's own.
const SEEDS = [unrollCheckpoint(), fixture('torch-written.safetensors'), fixture('unroll-written.safetensors')];

const headerLength = (b: Uint8Array) => (b.length < 8 ? 0 : Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)));
const DEEP = '__deep_nesting__';
const withHeader = (base: Uint8Array, header: string, declared?: bigint): Uint8Array => {
  const expanded = header.replace(new RegExp(`\\{"${DEEP}":(\\d+)\\}`, 'g'), (_, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)));
  const json = new TextEncoder().encode(expanded);
  const data = base.subarray(8 + headerLength(base));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

/** A number as a hostile header might hold it: huge, negative, fractional, past 2^53. */
const wildNumber = fc.oneof(
  fc.integer({ min: -5, max: 5000 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -1e300, 0.5),
);
const wildValue: fc.Arbitrary<unknown> = fc.oneof(
  wildNumber, fc.string({ maxLength: 6 }), fc.constant(null), fc.boolean(),
  fc.array(wildNumber, { maxLength: 6 }), fc.tuple(wildNumber, wildNumber), fc.array(fc.array(wildNumber, { maxLength: 2 }), { maxLength: 2 }),
  fc.constantFrom('F32', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F16', 'BF16', 'F8_E4M3', 'C64', 'f32', ''),
  fc.integer({ min: 33, max: 3000 }).map((rank) => new Array(rank).fill(0)), // absurd ranks
  // Nesting up to 100,000 deep: a placeholder that `withHeader` expands in the JSON text (JSON.stringify would overflow).
  fc.integer({ min: 1, max: 100_000 }).map((depth) => ({ [DEEP]: depth })),
);

type Edit = (header: Record<string, Record<string, unknown>>) => void;
/** One change to the parsed header: a field of a tensor entry, a new entry, a removed one, the metadata. */
const headerEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), wildValue).map(([i, field, value]): Edit => (h) => {
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    if (names.length) h[names[i % names.length]!]![field] = value;
  }),
  fc.tuple(fc.string({ maxLength: 8 }), wildValue).map(([name, value]): Edit => (h) => { (h as Record<string, unknown>)[name || 'x'] = value; }),
  fc.tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets')).map(([i, field]): Edit => (h) => {
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    if (names.length) delete h[names[i % names.length]!]![field];
  }),
  fc.tuple(fc.constantFrom('unroll', 'note', 'format'), fc.oneof(fc.json({ depthSize: 'medium' }), fc.string(), wildValue.map((v) => (JSON.stringify(v) ?? 'null').replace(new RegExp(`\\{"${DEEP}":(\\d+)\\}`, 'g'), (_, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n))))))
    .map(([key, value]): Edit => (h) => { h.__metadata__ = { ...(h.__metadata__ ?? {}), [key]: value }; }),
  wildValue.map((value): Edit => (h) => { (h as Record<string, unknown>).__metadata__ = value; }),
);

/** One corruption of a valid file. */
const mutation = fc.oneof(
  fc.nat().map((at) => (b: Uint8Array) => b.subarray(0, at % (b.length + 1))),
  fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((bits) => (b: Uint8Array) => {
    const out = b.slice();
    for (const bit of bits) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
    return out;
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 16 }), fc.uint8Array({ maxLength: 16 })).map(([at, remove, insert]) => (b: Uint8Array) => {
    const i = at % (b.length + 1);
    return new Uint8Array([...b.subarray(0, i), ...insert, ...b.subarray(Math.min(b.length, i + remove))]);
  }),
  fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n), fc.integer({ min: -16, max: 16 }).map((d) => BigInt(Math.max(0, 100 + d))))
    .map((declared) => (b: Uint8Array) => {
      if (b.length < 8) return b;
      const out = b.slice();
      new DataView(out.buffer).setBigUint64(0, declared, true);
      return out;
    }),
  fc.tuple(headerEdit, fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { freq: 4 })).map(([edit, declared]) => (b: Uint8Array) => {
    let header: Record<string, Record<string, unknown>>;
    try {
      header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + headerLength(b))));
      if (typeof header !== 'object' || header === null || Array.isArray(header)) return b;
    } catch {
      return b; // an earlier mutation already broke the header: nothing to edit
    }
    edit(header);
    return withHeader(b, JSON.stringify(header), declared ?? undefined);
  }),
);

/** The elements of every tensor in a loaded checkpoint (model, optimizer and extra). */
function elements(value: CheckpointValue | undefined): number {
  if (value instanceof Tensor) return value.size;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + elements(v), 0);
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce((n: number, v) => n + elements(v), 0);
  return 0;
}

describe('fuzzing readCheckpoint', () => {
  it.each(SEEDS.map((bytes, i) => [i, bytes] as const))('seed file %i: every corruption is a CheckpointError or a valid load', (_, base) => {
    expect(readCheckpoint(base)).toBeDefined(); // the seed itself loads
    let loaded = 0, refused = 0;
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      const bytes = mutations.reduce((b, m) => m(b), base);
      let result;
      try {
        result = readCheckpoint(bytes);
      } catch (err) {
        if (!(err instanceof CheckpointError)) throw new Error(`not a CheckpointError: ${(err as Error).name}: ${(err as Error).message}`);
        refused++;
        return;
      }
      loaded++;
      // A load holds no more elements than the file has bytes (so at most 4 bytes of storage per file byte).
      const count = elements(result.model) + elements(result.optimizer) + elements(result.extra);
      expect(count).toBeLessThanOrEqual(bytes.length);
    }), { seed: SEED, numRuns: 400 });
    expect(refused).toBeGreaterThan(0);
    expect(loaded + refused).toBe(400);
  });

  it('cases found while fuzzing: an empty tensor of absurd rank (ndarray would spend minutes building it), huge lengths', () => {
    const empty = (shape: number[], offsets: unknown = [0, 0]) =>
      withHeader(new Uint8Array(8), JSON.stringify({ x: { dtype: 'F32', shape, data_offsets: offsets } }));
    expect(() => readCheckpoint(empty(new Array(3000).fill(0)))).toThrow("tensor 'x': rank 3000 exceeds the limit of 32");
    expect(readCheckpoint(empty(new Array(32).fill(0))).model.x!.shape).toHaveLength(32);
    expect(() => readCheckpoint(empty([0], [-8, 0]))).toThrow('data_offsets must be [begin, end] with non-negative integers; got [-8,0]');
    expect(() => readCheckpoint(empty([2 ** 40, 2 ** 40], [0, 0]))).toThrow('is too large to address');
    expect(() => readCheckpoint(withHeader(SEEDS[0]!, '{}', 2n ** 64n - 1n))).toThrow('exceeds the 100000000-byte limit');
  });

  it('non-bytes input is a CheckpointError too', () => {
    for (const bad of [null, undefined, 'abc', [1, 2], new Float32Array(4), {}]) {
      expect(() => readCheckpoint(bad as never)).toThrow(CheckpointError);
    }
  });
});
