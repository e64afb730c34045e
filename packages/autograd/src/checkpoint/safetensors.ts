// The safetensors format: tensors plus string metadata to bytes and back, validating everything it reads.
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON (space-padded to 8-byte alignment), raw data.
import * as K from '@unroll/core';
import { Tensor } from '../tensor.js';
import {
  DTYPE_SIZE, UNREADABLE_DTYPES, WRITE_CODE, WRITE_RANK, readElements, writeElements, type SafetensorsDType,
} from './dtypes.js';
import { CheckpointError, describe } from './errors.js';

/** What `decodeSafetensors` returns: tensors by name (in file order) and the `__metadata__` strings. */
export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** The largest header the reference implementation accepts (100 MB); a larger one is treated as corrupt. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA = '__metadata__';

/**
 * Encodes tensors and optional string metadata as a safetensors file. float32, float64 and int32 are
 * written as F32, F64 and I32, little-endian, laid out as the reference writer does (by descending
 * dtype, then name), so files match byte for byte. Names must be non-empty and not `__metadata__`.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const plan = planSafetensors(tensors, metadata, 'encodeSafetensors');
  const out = new Uint8Array(plan.header.length + plan.dataBytes);
  out.set(plan.header);
  let offset = plan.header.length;
  for (const [, t] of plan.entries) {
    const bytes = writeElements(t.values());
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/**
 * The same bytes as `encodeSafetensors`, as a sequence of chunks: the header first, then one chunk per
 * tensor, each made only when asked for. Lets a writer stream a large model without holding the whole
 * file in memory (e.g. `new Blob([...encodeSafetensorsChunks(t)])`). Names are checked before the first chunk.
 */
export function encodeSafetensorsChunks(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Iterable<Uint8Array> {
  const plan = planSafetensors(tensors, metadata, 'encodeSafetensorsChunks');
  return (function* chunks() {
    yield plan.header;
    for (const [, t] of plan.entries) yield writeElements(t.values());
  })();
}

/**
 * Decodes and validates a safetensors file. F32 and F64 keep their dtype; F16 and BF16 become float32;
 * I64, I32, I16, I8, U64, U32, U16, U8 and BOOL become int32 (64- and unsigned 32-bit values must fit).
 * Every tensor owns fresh storage. A malformed file throws a `CheckpointError` saying what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const where = 'decodeSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError(`${where}: bytes must be a Uint8Array; got ${describe(bytes)}`);
  if (bytes.length < 8) {
    throw new CheckpointError(`${where}: file is ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(`${where}: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new CheckpointError(`${where}: truncated: header length is ${n} bytes, but only ${bytes.length - 8} bytes follow the length field`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + n), where);
  const metadata = readMetadata(header[METADATA], where);

  // Describe every tensor, then check that their byte ranges tile the data section exactly.
  const infos = Object.entries(header).filter(([name]) => name !== METADATA).map(([name, info]) => describeTensor(name, info, where));
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorInfo | null = null;
  for (const info of infos) {
    if (info.begin < covered) {
      throw new CheckpointError(`${where}: tensors '${previous!.name}' ${span(previous!)} and '${info.name}' ${span(info)} overlap`);
    }
    if (info.begin > covered) {
      const before = previous ? `between '${previous.name}' and '${info.name}'` : `before '${info.name}'`;
      throw new CheckpointError(`${where}: gap: data bytes [${covered}, ${info.begin}) ${before} belong to no tensor`);
    }
    covered = info.end;
    previous = info;
  }
  const dataLength = bytes.length - 8 - n;
  if (dataLength < covered) {
    throw new CheckpointError(`${where}: truncated: header promises ${covered} data bytes, file has ${dataLength}`);
  }
  if (dataLength > covered) {
    throw new CheckpointError(`${where}: ${dataLength - covered} trailing bytes: header describes ${covered} data bytes, file has ${dataLength}`);
  }

  const data = bytes.subarray(8 + n);
  const tensors: Record<string, Tensor> = {};
  for (const info of infos) {
    const values = readElements(info.dtype, data.subarray(info.begin, info.end), info.count, `${where}: tensor '${info.name}' (${info.dtype})`);
    defineEntry(tensors, info.name, new Tensor(K.fromData(values, info.shape)));
  }
  return { tensors, metadata };
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

interface Plan {
  header: Uint8Array;
  entries: [string, Tensor][];
  dataBytes: number;
}

/** Checks names and values, orders the tensors as the reference writer does, and builds the header bytes. */
function planSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string>, where: string): Plan {
  if (!isRecord(tensors)) throw new CheckpointError(`${where}: tensors must be a record of name → Tensor; got ${describe(tensors)}`);
  if (!isRecord(metadata)) throw new CheckpointError(`${where}: metadata must be a record of string → string; got ${describe(metadata)}`);
  const encoder = new TextEncoder();
  const entries: [string, Tensor, Uint8Array][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '') throw new CheckpointError(`${where}: a tensor name must be non-empty`);
    if (name === METADATA) throw new CheckpointError(`${where}: the tensor name '${METADATA}' collides with the format's metadata entry`);
    if (!(t instanceof Tensor)) throw new CheckpointError(`${where}: '${name}' must be a Tensor; got ${describe(t)}`);
    entries.push([name, t, encoder.encode(name)]);
  }
  // Descending dtype rank, then names by UTF-8 bytes (the reference writer's order).
  entries.sort((a, b) => WRITE_RANK[WRITE_CODE[b[1].dtype]] - WRITE_RANK[WRITE_CODE[a[1].dtype]] || compareBytes(a[2], b[2]));

  // Built by hand, not with JSON.stringify on an object, because objects put integer-like keys first.
  const parts: string[] = [];
  const metaEntries = Object.entries(metadata);
  for (const [key, value] of metaEntries) {
    if (typeof value !== 'string') throw new CheckpointError(`${where}: metadata '${key}' must be a string; got ${describe(value)}`);
  }
  if (metaEntries.length) {
    parts.push(`"${METADATA}":{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.size * DTYPE_SIZE[WRITE_CODE[t.dtype]];
    parts.push(`${JSON.stringify(name)}:{"dtype":"${WRITE_CODE[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = encoder.encode(`{${parts.join(',')}}`);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  if (padded > MAX_HEADER_BYTES) {
    throw new CheckpointError(`${where}: header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers accept`);
  }
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, entries: entries.map(([name, t]) => [name, t]), dataBytes: offset };
}

/** UTF-8 → JSON → a plain object whose top-level keys are unique. */
function parseHeader(raw: Uint8Array, where: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new CheckpointError(`${where}: header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(header)) throw new CheckpointError(`${where}: header must be a JSON object; got ${describe(header)}`);
  // JSON.parse keeps the last of duplicated keys silently; the format forbids duplicates.
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw new CheckpointError(`${where}: header lists '${key}' more than once`);
    seen.add(key);
  }
  return header;
}

function readMetadata(value: unknown, where: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  // The reference reader treats a missing or null __metadata__ as no metadata.
  if (value === undefined || value === null) return metadata;
  if (!isRecord(value)) throw new CheckpointError(`${where}: ${METADATA} must be an object of strings; got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CheckpointError(`${where}: ${METADATA} '${key}' must be a string; got ${describe(v)}`);
    defineEntry(metadata, key, v);
  }
  return metadata;
}

function describeTensor(name: string, info: unknown, where: string): TensorInfo {
  const what = `${where}: tensor '${name}'`;
  if (!isRecord(info)) throw new CheckpointError(`${what} must be described by {dtype, shape, data_offsets}; got ${describe(info)}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') throw new CheckpointError(`${what}: dtype must be a string; got ${describe(dtype)}`);
  if (!(dtype in DTYPE_SIZE)) {
    const readable = Object.keys(DTYPE_SIZE).join(', ');
    throw new CheckpointError(UNREADABLE_DTYPES.has(dtype)
      ? `${what} has dtype ${dtype}, which unroll cannot read (readable: ${readable})`
      : `${what} has unknown dtype '${dtype}' (readable: ${readable})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new CheckpointError(`${what}: shape must be a list of non-negative integers; got ${brief(shape)}`);
  }
  if (shape.length > K.MAX_RANK) throw new CheckpointError(`${what}: rank ${shape.length} exceeds the limit of ${K.MAX_RANK}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new CheckpointError(`${what}: data_offsets must be [begin, end] with non-negative integers; got ${brief(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new CheckpointError(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  const code = dtype as SafetensorsDType;
  const count = (shape as number[]).reduce((a, d) => a * d, 1);
  const expected = count * DTYPE_SIZE[code];
  if (!Number.isSafeInteger(expected)) throw new CheckpointError(`${what}: shape ${K.fmt(shape)} is too large to address`);
  if (expected !== end - begin) {
    throw new CheckpointError(`${what} is ${code} ${K.fmt(shape)} = ${expected} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: code, shape: [...shape] as number[], count, begin, end };
}

/**
 * The keys of the top-level object of a JSON text already known to be valid, in order, duplicates
 * included. Tracks nesting depth outside strings; a string at depth 1 followed by ':' is a key.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      if (depth === 1) {
        let j = i;
        while (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r') j++;
        if (text[j] === ':') keys.push(JSON.parse(text.slice(start, i)) as string);
      }
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return keys;
}

/** Sets `key` as an own enumerable property, so a name such as `__proto__` in a file is just a name. */
export function defineEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A header value for a message: a list of numbers as JSON, anything else described (never stringified whole: it may be huge or deeply nested). */
function brief(value: unknown): string {
  const flat = (v: unknown) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null;
  if (flat(value) || (Array.isArray(value) && value.length <= 16 && value.every(flat))) return JSON.stringify(value);
  return describe(value);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const span = (info: TensorInfo) => `[${info.begin}, ${info.end})`;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
