// The three storage types and the typed arrays behind them.

/** float32 is the default (speed); float64 is what gradcheck uses; int32 holds token ids. */
export type DType = 'float32' | 'float64' | 'int32';
export type FloatDType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = 'float32';

/** A new zero-filled typed array of `dtype` holding `size` elements. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
}

/** The dtype of a typed array (anything else is an error). */
export function dtypeOf(data: ArrayLike<number>): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  throw new TypeError(`unroll stores float32, float64 or int32 typed arrays; got ${Object.prototype.toString.call(data)}`);
}

export const isFloat = (dtype: DType): dtype is FloatDType => dtype !== 'int32';

export function checkDType(dtype: string, where: string): DType {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new TypeError(`${where}: dtype must be 'float32', 'float64' or 'int32'; got '${dtype}'`);
  }
  return dtype;
}
