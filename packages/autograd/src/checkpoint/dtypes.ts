// safetensors dtype codes, and how their little-endian bytes become unroll's float32, float64 and int32 arrays.
import type { DType, TypedArray } from '@unroll/core';
import { CheckpointError } from './errors.js';

/** A safetensors dtype code unroll can read. */
export type SafetensorsDType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Bytes per element of every code unroll reads. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Codes the format defines that unroll has no array for (8-bit and sub-byte floats, complex). */
export const UNREADABLE_DTYPES: ReadonlySet<string> = new Set([
  'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64',
]);

/** The code unroll writes for each of its dtypes (always lossless). */
export const WRITE_CODE: Readonly<Record<DType, 'F64' | 'F32' | 'I32'>> = { float64: 'F64', float32: 'F32', int32: 'I32' };

/**
 * Where a code sorts when writing: the reference writer orders tensors by descending dtype rank, then
 * by name, which also keeps every tensor's data aligned to its element size after the 8-aligned header.
 * Only the relative order of the three written codes in the reference `Dtype` enum matters: I32 < F32 < F64.
 */
export const WRITE_RANK: Readonly<Record<'F64' | 'F32' | 'I32', number>> = { F64: 3, F32: 2, I32: 1 };

/** True when this machine stores numbers little-endian (every browser and Node platform in practice). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts one tensor's little-endian bytes (exactly `count` elements of `code`) into a new typed array
 * that owns its storage. `where` starts error messages (integers outside the int32 range, bad BOOL bytes).
 * `hostLittleEndian` is a parameter only so tests can exercise the big-endian path.
 */
export function readElements(
  code: SafetensorsDType, bytes: Uint8Array, count: number, where: string, hostLittleEndian = HOST_LITTLE_ENDIAN,
): TypedArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (code) {
    case 'F64':
    case 'F32':
    case 'I32': {
      const out = code === 'F64' ? new Float64Array(count) : code === 'F32' ? new Float32Array(count) : new Int32Array(count);
      if (hostLittleEndian) {
        // Byte copy: the file's layout is the host's layout, and the source need not be aligned.
        new Uint8Array(out.buffer).set(bytes);
      } else if (code === 'F64') {
        for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      } else if (code === 'F32') {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      }
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32, so the bits move over unchanged (NaN payloads included).
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16 >>> 0;
      return out;
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // In int32 range exactly when the high word is the sign extension of the low word.
        const fits = code === 'I64' ? (hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000) : hi === 0 && lo < 0x80000000;
        if (!fits) {
          const value = code === 'I64' ? (BigInt(hi) << 32n) | BigInt(lo) : (BigInt(hi >>> 0) << 32n) | BigInt(lo);
          throw new CheckpointError(`${where}: element ${i} is ${value}, outside the int32 range unroll stores integers in`);
        }
        out[i] = lo | 0;
      }
      return out;
    }
    case 'U32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getUint32(4 * i, true);
        if (v >= 0x80000000) throw new CheckpointError(`${where}: element ${i} is ${v}, outside the int32 range unroll stores integers in`);
        out[i] = v;
      }
      return out;
    }
    case 'I16':
    case 'U16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = code === 'I16' ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
      return out;
    }
    case 'I8':
    case 'U8': {
      const out = new Int32Array(count);
      out.set(code === 'I8' ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : bytes);
      return out;
    }
    case 'BOOL': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const b = bytes[i]!;
        if (b > 1) throw new CheckpointError(`${where}: BOOL element ${i} is the byte ${b}; a BOOL byte must be 0 or 1`);
        out[i] = b;
      }
      return out;
    }
  }
}

/**
 * The little-endian bytes of `values`. On a little-endian host this is a view of the storage itself
 * (no copy: do not write to it); elsewhere a converted copy. `hostLittleEndian` exists for tests.
 */
export function writeElements(values: TypedArray, hostLittleEndian = HOST_LITTLE_ENDIAN): Uint8Array {
  if (hostLittleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  if (values instanceof Float64Array) for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, true);
  else if (values instanceof Float32Array) for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  else for (let i = 0; i < values.length; i++) view.setInt32(4 * i, values[i]!, true);
  return out;
}

/** IEEE 754 binary16 bits → number (exact: every half value is a float32 value). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}
