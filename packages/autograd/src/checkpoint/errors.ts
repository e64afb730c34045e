// The one error type of checkpoint reading and writing, and how its messages name a value's type.

/**
 * Thrown when a checkpoint or safetensors file cannot be written or read: a corrupt or truncated
 * file, a dtype unroll cannot hold, a name or value that does not fit the format. The message
 * names the function, the tensor or path involved and what exactly is wrong.
 */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A short description of a value for error messages (`number 3`, `an array`, `a Float32Array`, `null`, …). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const ctor = (value as object).constructor;
    return ctor && ctor !== Object ? `a ${ctor.name}` : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  return value === undefined ? 'undefined' : `${typeof value} ${String(value)}`;
}
