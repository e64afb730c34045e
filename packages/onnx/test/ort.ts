// Test helpers: run an exported model in onnxruntime (the CPU library onnxruntime-node ships) and
// compare its outputs with unroll's.
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { Tensor, noGrad } from '@unroll/autograd';
import { exportOnnx } from '../src/index.js';
import type { ExportOptions } from '../src/index.js';

const ORT_TYPES = { float32: 'float32', float64: 'float64', int32: 'int32' } as const;

export const toOrt = (t: Tensor): ort.Tensor => new ort.Tensor(ORT_TYPES[t.dtype], t.values() as Float32Array, t.shape);

/** Runs model bytes in onnxruntime with named inputs; returns every output as [dims, values]. */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, { dims: number[]; data: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)])));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: [...v.dims], data: Array.from(v.data as Float32Array, Number) }]));
  } finally {
    await session.release();
  }
}

/** The result of fn as [name, Tensor] in export order (the exporter's default names). */
export function flatten(result: unknown, path = ''): [string, Tensor][] {
  if (result instanceof Tensor) return [[path || 'output', result]];
  if (Array.isArray(result)) return result.flatMap((x, i) => flatten(x, path ? `${path}.${i}` : `output${i}`));
  return Object.entries(result as Record<string, unknown>).flatMap(([k, x]) => flatten(x, path ? `${path}.${k}` : k));
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, with a message naming the worst element. */
export function expectClose(name: string, got: { dims: number[]; data: number[] }, want: Tensor, rtol: number, atol: number): void {
  expect(got.dims, `${name} dims`).toEqual(want.shape);
  const w = Array.from(want.values(), Number);
  let worst = -1, excess = 0;
  got.data.forEach((g, i) => {
    const e = Math.abs(g - w[i]!) - (atol + rtol * Math.abs(w[i]!));
    if (!(e <= excess) || Number.isNaN(g)) { excess = Number.isNaN(g) ? Infinity : e; worst = i; }
  });
  expect(worst, worst < 0 ? '' : `${name}[${worst}]: onnxruntime ${got.data[worst]} vs unroll ${w[worst]}`).toBe(-1);
}

export interface CheckOptions {
  rtol?: number;
  atol?: number;
  /** Other inputs to run the exported model on (dynamic axes), compared with fn on them. */
  more?: readonly (readonly Tensor[])[];
}

/** Exports fn, runs the model in onnxruntime on the example inputs (and `more`), and compares with fn. */
export async function checkExport(fn: (...xs: Tensor[]) => unknown, inputs: readonly Tensor[], options: ExportOptions = {},
  check: CheckOptions = {}): Promise<Uint8Array> {
  const bytes = exportOnnx(fn, inputs, options);
  const dtype = inputs.find((x) => x.dtype !== 'int32')?.dtype ?? 'float32';
  const rtol = check.rtol ?? (dtype === 'float64' ? 1e-12 : 1e-5);
  const atol = check.atol ?? (dtype === 'float64' ? 1e-13 : 1e-6);
  const names = options.inputNames ?? (inputs.length === 1 ? ['input'] : inputs.map((_, i) => `input${i}`));
  for (const xs of [inputs, ...(check.more ?? [])]) {
    const want = flatten(noGrad(() => fn(...xs)));
    const outNames = options.outputNames ?? want.map(([n]) => n);
    const got = await runOnnx(bytes, Object.fromEntries(xs.map((x, i) => [names[i]!, x])));
    want.forEach(([, t], k) => expectClose(outNames[k]!, got[outNames[k]!]!, t, rtol, atol));
  }
  return bytes;
}
