// Matrix products on ndarrays: 2-D and batched (batch dims broadcast), either operand transposed.
import { ndarray } from '../ndarray.js';
import { allocate, dtypeOf, type FloatArray } from '../dtype.js';
import { contiguous, type NdArray } from '../array.js';
import { DTypeError, ShapeError, fmt } from '../errors.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../shape.js';
import { gemm } from './gemm.js';
import { checkOptions, optionKeys } from '../options.js';

export interface MatmulOptions {
  /** Use aᵀ (its last two axes swapped) without copying. */
  transA?: boolean;
  /** Use bᵀ (its last two axes swapped) without copying. */
  transB?: boolean;
}

const MATMUL_OPTIONS = optionKeys<MatmulOptions>({ transA: true, transB: true });

/**
 * a @ b over the last two axes: [..., m, k] @ [..., k, n] → [..., m, n]; leading (batch)
 * axes broadcast as in NumPy. With `transA`/`transB` the operand's last two axes are read swapped.
 */
export function matmul(a: NdArray, b: NdArray, opts: MatmulOptions = {}): NdArray<FloatArray> {
  checkOptions('matmul', opts, MATMUL_OPTIONS);
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError(`matmul: both operands need rank ≥ 2; got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const dtype = dtypeOf(a.data);
  if (dtype === 'int32' || dtypeOf(b.data) !== dtype) {
    throw new DTypeError(`matmul: needs two float arrays of one dtype; got ${dtype} and ${dtypeOf(b.data)}`);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) {
    const show = (s: readonly number[], t: boolean) => (t ? `${fmt(s)}ᵀ` : fmt(s));
    throw new ShapeError(`matmul: cannot multiply ${show(a.shape, transA)} by ${show(b.shape, transB)}`);
  }
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', batchA, batchB);
  } catch {
    // Name both operands, not just their batch dims ("cannot broadcast [2] with [3]" says too little).
    throw new ShapeError(`matmul: batch dims of a ${fmt(a.shape)} and b ${fmt(b.shape)} do not broadcast (${fmt(batchA)} vs ${fmt(batchB)})`);
  }
  const x = contiguous(a) as FloatArray, y = contiguous(b) as FloatArray;
  const out = allocate(dtype, sizeOf(batch) * m * n) as FloatArray;
  // Flat matrix index of each operand for every output batch element.
  const sa = broadcastStrides(batchA, batch), sb = broadcastStrides(batchB, batch);
  const count = sizeOf(batch);
  const pos = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < count; t++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < batch.length; d++) { ia += pos[d]! * sa[d]!; ib += pos[d]! * sb[d]!; }
    gemm(transA, transB, m, n, k, 1, x, ia * ar * ac, ac, y, ib * br * bc, bc, 0, out, t * m * n, n);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++pos[d]! < batch[d]!) break;
      pos[d] = 0;
    }
  }
  return ndarray(out, [...batch, m, n]);
}
