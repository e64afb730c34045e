// Errors that name the op and the shapes involved.

/** Thrown when shapes do not fit an op: `matmul: cannot multiply [32, 65] by [64, 256]`. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Thrown when a dtype does not fit an op: `tanh: needs a float tensor; got int32`. */
export class DTypeError extends Error {
  override name = 'DTypeError';
}

/** Formats a shape the one way every message here shows it: `[2, 3]`. */
export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
