// How a Tensor prints (String(t), console.log, util.inspect): PyTorch's layout — aligned values,
// large tensors summarized with '...' — followed by the shape, dtype and requiresGrad.
import * as K from '@unroll/core';
import type { Tensor } from './tensor.js';

/** How tensors print; change with `setPrintOptions` (like `torch.set_printoptions`). */
export interface PrintOptions {
  /** Digits after the decimal point for floats (default 4). */
  precision: number;
  /** Tensors with more elements than this are summarized (default 1000). */
  threshold: number;
  /** Items kept at the start and end of each axis when summarized (default 3). */
  edgeItems: number;
  /** Characters per line before a row wraps (default 80). */
  lineWidth: number;
}

const DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80 };
let options: PrintOptions = { ...DEFAULTS };

/** Changes how tensors print; unknown keys and bad values are refused. Call with no argument to reset. */
export function setPrintOptions(opts?: Partial<PrintOptions>): void {
  if (opts === undefined) {
    options = { ...DEFAULTS };
    return;
  }
  for (const [key, value] of Object.entries(opts)) {
    if (!(key in DEFAULTS)) throw new TypeError(`setPrintOptions: unknown option '${key}'; known: ${Object.keys(DEFAULTS).join(', ')}`);
    const min = key === 'precision' || key === 'threshold' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) throw new RangeError(`setPrintOptions: ${key} must be an integer ≥ ${min}; got ${String(value)}`);
  }
  options = { ...options, ...opts };
}

/** The current print options (a copy). */
export function getPrintOptions(): PrintOptions {
  return { ...options };
}

/**
 * `tensor([[ 0.5000, -1.0000], [ 2.0000,  0.2500]], shape=[2, 2], dtype=float32, requiresGrad=true)`,
 * with one row per line and, past `threshold` elements, `...` for the middle of each axis. The values
 * block follows PyTorch's `_tensor_str` rules (notation, widths, wrapping), checked against its output.
 */
export function formatTensor(t: Tensor): string {
  const values = K.contiguous(t.data);
  const shape = t.shape;
  const shown = shownIndices(shape, values.length > options.threshold);
  const cell = cellFormatter(pickValues(values, shape, shown), t.dtype);
  const prefix = 'tensor(';
  const body = shape.length === 0 ? cell.format(values[0]!)
    : values.length === 0 ? '[]' // any empty tensor, as PyTorch prints it
    : formatAxis(values, shape, shown, 0, 0, prefix.length, cell);
  const suffixes = [`shape=${K.fmt(shape)}`, `dtype=${t.dtype}`];
  if (t.requiresGrad) suffixes.push('requiresGrad=true');
  if (t.node) suffixes.push(`gradFn=${t.node.op}`);
  // Suffixes go on the last line while it stays within lineWidth, else on a new line.
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLine + suffix.length + 2 > options.lineWidth) {
      out += `,\n${' '.repeat(prefix.length)}${suffix}`;
      lastLine = prefix.length + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLine += suffix.length + 2;
    }
  }
  return `${out})`;
}

/** Per axis, the indices printed (null marks the '...' gap). */
function shownIndices(shape: readonly number[], summarize: boolean): (number | null)[][] {
  const e = options.edgeItems;
  return shape.map((n) => {
    if (!summarize || n <= 2 * e) return Array.from({ length: n }, (_, i) => i);
    return [...Array.from({ length: e }, (_, i) => i), null, ...Array.from({ length: e }, (_, i) => n - e + i)];
  });
}

/** The values that will be printed (the notation and width depend only on those). */
function pickValues(values: K.TypedArray, shape: readonly number[], shown: (number | null)[][]): number[] {
  if (shape.length === 0) return [values[0]!];
  const strides = K.stridesOf(shape);
  const out: number[] = [];
  const walk = (axis: number, base: number) => {
    for (const i of shown[axis]!) {
      if (i === null) continue;
      if (axis === shape.length - 1) out.push(values[base + i]!);
      else walk(axis + 1, base + i * strides[axis]!);
    }
  };
  walk(0, 0);
  return out;
}

interface CellFormatter {
  width: number;
  format(v: number): string;
}

/**
 * PyTorch's notation rules: int32 as integers; floats that are all whole as `2.`; scientific when
 * the nonzero finite magnitudes span more than 1000× or pass 1e8 (or, for non-whole values, go
 * below 1e-4); fixed `precision` digits otherwise. Every value is padded to one width.
 */
function cellFormatter(shown: number[], dtype: K.DType): CellFormatter {
  const p = options.precision;
  const sci = (v: number) => v.toExponential(p).replace(/e([+-])(\d)$/, 'e$10$2'); // 1.0000e-05, as Python
  let text: (v: number) => string = (v) => String(v);
  if (dtype !== 'int32') {
    const nonzero = shown.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
    const max = nonzero.length ? Math.max(...nonzero) : 0;
    const min = nonzero.length ? Math.min(...nonzero) : 0;
    const whole = nonzero.every(Number.isInteger);
    const wide = max / min > 1000 || max > 1e8;
    if (whole && !wide) text = (v) => `${v.toFixed(0)}.`;
    else if (wide || (!whole && min < 1e-4)) text = sci;
    else text = (v) => v.toFixed(p);
  }
  const render = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : text(v));
  const width = Math.max(1, ...shown.filter(Number.isFinite).map((v) => render(v).length));
  return { width, format: (v) => render(v).padStart(width) };
}

function formatAxis(
  values: K.TypedArray, shape: readonly number[], shown: (number | null)[][], axis: number, base: number, indent: number,
  cell: CellFormatter,
): string {
  const items = shown[axis]!;
  if (axis === shape.length - 1) {
    // As many cells per line as fit in lineWidth after the indent (at least one).
    const perLine = Math.max(1, Math.floor((options.lineWidth - indent) / (cell.width + 2)));
    const parts = items.map((i) => (i === null ? ' ...' : cell.format(values[base + i]!)));
    const lines: string[] = [];
    for (let k = 0; k < parts.length; k += perLine) lines.push(parts.slice(k, k + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const stride = K.stridesOf(shape)[axis]!;
  const inner = items.map((i) => (i === null ? '...' : formatAxis(values, shape, shown, axis + 1, base + i * stride, indent + 1, cell)));
  // Rows of a matrix are separated by one newline, matrices by one blank line per extra axis.
  return `[${inner.join(`,${'\n'.repeat(shape.length - axis - 1)}${' '.repeat(indent + 1)}`)}]`;
}
