// The state of one export: the recordings (one, or more with dynamic axes) aligned op by op, the
// ONNX name of every recorded tensor, constants and parameters as initializers, and the context a
// converter gets for one op (its inputs' names, its size-like attributes as polynomials, its outputs).
import * as K from '@unroll/core';
import { Parameter, Tensor } from '@unroll/autograd';
import { fitPoly, isConstant, constantOf, sizesOf } from './dims.js';
import type { Poly, Sym } from './dims.js';
import type { GraphBuilder } from './graph-builder.js';
import { ElemType } from './proto.js';
import type { ElemName } from './proto.js';
import type { RecordedOp, Recording } from './record.js';

/** Where a tensor came from in one recording. */
type Source = { kind: 'input'; index: number } | { kind: 'op'; op: number; out: number };

/** What a converter reads and writes for one op. */
export interface ConvertContext {
  readonly op: RecordedOp;
  readonly b: GraphBuilder;
  readonly opset: number;
  /** The ONNX value name of input k ('' for an absent optional input). */
  input(k: number): string;
  /** The position of the input named `name` (converters of multi-input ops read inputs by name). */
  named(name: string): number;
  /** Whether the op got an input named `name` (optional inputs — biases, peepholes — may be absent). */
  has(name: string): boolean;
  /** The recorded tensor at input k (null when absent). */
  tensor(k: number): Tensor | null;
  /** Whether input k is a constant made inside the function whose every value is zero (a default state). */
  isZeros(k: number): boolean;
  /** A size-like number read from the op (attrs or shapes) in every recording, as a polynomial of the dynamic sizes. */
  dim(read: (op: RecordedOp) => number, what: string): Poly;
  /** Marks an attrs path (e.g. 'shape', 'ranges') as read through `dim`, so differences there are expected. */
  consume(path: string): void;
  /** The shape of output k as polynomials. */
  outputShape(k: number): Poly[];
  /** A 1-D int64 tensor holding `dims` (constant, or computed from the inputs' shapes). */
  shapeTensor(dims: readonly Poly[]): string;
  /** The sequence_lens input for a recorded lengths attribute ('' when there are none). */
  lengths(read: (op: RecordedOp) => Int32Array | null): string;
  /** Names output k. */
  output(k: number, name: string): void;
  /** Throws an error naming the op and the user code that applied it. */
  fail(message: string): never;
}

export class ExportState {
  private readonly sources: Map<Tensor, Source>[];
  private readonly names = new Map<Tensor, string>();
  private readonly symDims = new Map<number, string>();
  private paramCount = 0;
  private constCount = 0;

  constructor(
    readonly b: GraphBuilder,
    readonly opset: number,
    readonly syms: readonly Sym[],
    readonly recordings: readonly Recording[],
    readonly inputsOf: readonly (readonly Tensor[])[],
    readonly inputNames: readonly string[],
    private readonly paramNames: ReadonlyMap<Tensor, string>,
  ) {
    this.sources = recordings.map((rec, r) => {
      const m = new Map<Tensor, Source>();
      inputsOf[r]!.forEach((t, index) => { if (!m.has(t)) m.set(t, { kind: 'input', index }); });
      rec.ops.forEach((o, op) => o.outputs.forEach((t, out) => { if (!m.has(t)) m.set(t, { kind: 'op', op, out }); }));
      return m;
    });
    inputsOf[0]!.forEach((t, i) => { if (!this.names.has(t)) this.names.set(t, inputNames[i]!); });
  }

  /** Which syms recording r grew (for messages). */
  private grown(r: number): string {
    const base = sizesOf(this.syms, 0), now = sizesOf(this.syms, r);
    return this.syms.map((s, j) => (now[j] !== base[j] ? `${s.name} ${now[j]} (example ${base[j]})` : '')).filter(Boolean).join(', ');
  }

  /** Converts op i with `convert`, after checking the other recordings applied the same op the same way. */
  convertOp(i: number, convert: (ctx: ConvertContext) => void): void {
    const { ctx, finish } = this.context(i);
    convert(ctx);
    finish();
  }

  /** Converts ops i and j together (the two directions of a bidirectional layer, as one ONNX node). */
  convertPair(i: number, j: number, convert: (a: ConvertContext, b: ConvertContext) => void): void {
    const a = this.context(i), b = this.context(j);
    convert(a.ctx, b.ctx);
    a.finish();
    b.finish();
  }

  /** The context of op i, and the checks to run once its converter is done. */
  private context(i: number): { ctx: ConvertContext; finish: () => void } {
    const base = this.recordings[0]!.ops[i]!;
    const fail = (message: string): never => {
      throw new Error(`exportOnnx: op '${base.op}' ${at(base)}: ${message}`);
    };
    const ops = this.recordings.map((rec, r) => {
      const o = rec.ops[i];
      if (!o || o.op !== base.op || o.inputs.length !== base.inputs.length || o.outputs.length !== base.outputs.length) {
        fail(`the function applies different ops when the dynamic axes change (${this.grown(r)}: ${o ? `'${o.op}'` : 'no op'} here), ` +
          'so its graph depends on those sizes (a loop over time steps, a branch on a size): export with those axes fixed');
      }
      return o!;
    });
    const diffs = new Set<string>();
    ops.slice(1).forEach((o, r) => {
      base.inputs.forEach((t, k) => {
        const s0 = t ? this.sources[0]!.get(t) : undefined, s1 = o.inputs[k] ? this.sources[r + 1]!.get(o.inputs[k]!) : undefined;
        if (JSON.stringify(s0) !== JSON.stringify(s1) || (t === null) !== (o.inputs[k] === null)) {
          fail(`input '${base.inputNames[k]}' comes from elsewhere when the dynamic axes change (${this.grown(r + 1)}): the graph depends on those sizes`);
        }
      });
      numericDiffs(base.attrs, o.attrs, '', diffs, (path) => fail(`attribute ${path || 'attrs'} changes form when the dynamic axes change (${this.grown(r + 1)})`));
    });
    const consumed: string[] = [];
    const dim = (read: (op: RecordedOp) => number, what: string): Poly => {
      const values = ops.map(read);
      const poly = fitPoly(this.syms, values);
      if (poly === null) {
        fail(`${what} is ${values[0]} at the example sizes but does not follow the dynamic axes (${values.join(', ')} over the recordings): ` +
          'the graph fixes an axis declared dynamic (e.g. a literal size in user code); export with it fixed');
      }
      return poly!;
    };
    const ctx: ConvertContext = {
      op: base,
      b: this.b,
      opset: this.opset,
      input: (k) => {
        const t = base.inputs[k];
        return t ? this.valueOf(t, ops.map((o) => o.inputs[k]!), fail) : '';
      },
      named: (name) => {
        const k = base.inputNames.indexOf(name);
        return k >= 0 ? k : fail(`has no input named '${name}' (inputs: ${base.inputNames.join(', ')}); the exporter does not know this form of the op`);
      },
      has: (name) => {
        const k = base.inputNames.indexOf(name);
        return k >= 0 && base.inputs[k] !== null && base.inputs[k] !== undefined;
      },
      tensor: (k) => base.inputs[k] ?? null,
      isZeros: (k) => {
        const t = base.inputs[k];
        return !!t && !this.sources[0]!.has(t) && ops.every((o) => o.inputs[k]!.values().every((v) => v === 0));
      },
      dim,
      consume: (path) => consumed.push(path),
      outputShape: (k) => base.outputs[k]!.shape.map((_, d) => dim((o) => o.outputs[k]!.shape[d]!, `output ${k} axis ${d}`)),
      shapeTensor: (dims) => this.shapeTensor(dims),
      lengths: (read) => this.lengthsInput(ops.map(read), fail),
      output: (k, name) => { this.names.set(base.outputs[k]!, name); },
      fail,
    };
    const finish = () => {
      for (const path of diffs) {
      if (!consumed.some((p) => path === p || path.startsWith(`${p}.`))) {
        fail(`attribute ${path} changes with the dynamic axes (${ops.map((o) => String(readPath(o.attrs, path))).join(', ')} over the recordings), ` +
          'which this op cannot follow: export with those axes fixed');
        }
      }
      base.outputs.forEach((t, k) => { if (!this.names.has(t)) fail(`the converter named no output ${k} (an exporter bug)`); });
    };
    return { ctx, finish };
  }

  /**
   * The ONNX name of a tensor read by an op (`all` is the same tensor in every recording): a graph
   * input, an op output, a parameter or constant (an initializer), or a zeros-like constant whose
   * shape follows the dynamic axes (an Expand of a scalar).
   */
  valueOf(t: Tensor, all: readonly Tensor[], fail: (m: string) => never): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    if (this.sources[0]!.has(t)) fail('reads a tensor whose producer was not converted (an exporter bug)');
    const elem = t.dtype as ElemName;
    const same = all.every((u) => u === t || (K.sameShape(u.shape, t.shape) && sameValues(u, t)));
    let name: string;
    if (same) {
      const given = this.paramNames.get(t);
      name = given !== undefined ? given // reserved by exportOnnx
        : this.b.fresh(t instanceof Parameter ? `param_${this.paramCount++}` : `const_${this.constCount++}`);
      this.b.initializer(name, elem, t.shape, t.values());
    } else {
      // Uniform in every recording (zeros of the batch size, a mean's 1/count), its shape and value
      // following the dynamic sizes: Expand of a scalar, the scalar itself computed when it changes.
      const values = all.map((u) => Number(u.values()[0]));
      const uniform = all.every((u, r) => u.rank === t.rank && u.size > 0 && u.values().every((v) => Number(v) === values[r]));
      if (!uniform) {
        fail(`a tensor made inside the function (not by an op) of shape ${K.fmt(t.shape)} changes with the dynamic axes ` +
          `and is not uniform, so the graph cannot compute it: make it from the inputs with ops, or export with those axes fixed`);
      }
      const dims = t.shape.map((_, d) => {
        const poly = fitPoly(this.syms, all.map((u) => u.shape[d]!));
        if (poly === null) fail(`a constant's axis ${d} (${t.shape[d]}) does not follow the dynamic axes`);
        return poly!;
      });
      const scalar = this.scalarOf(values, elem, fail);
      name = dims.length === 0 ? scalar : this.b.one('Expand', [scalar, this.shapeTensor(dims)]);
    }
    this.names.set(t, name);
    return name;
  }

  /**
   * A rank-0 tensor of `elem` holding `values` (one per recording): a constant, a polynomial of the
   * dynamic sizes (a count), or the reciprocal of one (a mean's 1/count, divided in the graph in the
   * dtype, so the rounding is the same as unroll's).
   */
  private scalarOf(values: readonly number[], elem: ElemName, fail: (m: string) => never): string {
    if (values.every((v) => v === values[0])) return this.b.constant(elem, [], [values[0]!]);
    const integers = (vs: readonly number[]) => vs.every((v) => Number.isInteger(v));
    const asScalar = (p: Poly) => this.b.one('Cast', [this.b.one('Reshape', [this.polyValue(p), this.b.int64s([])])], { to: { int: ElemType[elem] } });
    const direct = integers(values) ? fitPoly(this.syms, values) : null;
    if (direct) return asScalar(direct);
    const inverses = values.map((v) => Math.round(1 / v));
    const close = values.every((v, r) => v !== 0 && Math.abs(1 / v - inverses[r]!) <= 1e-4 * Math.abs(1 / v));
    const inverse = close ? fitPoly(this.syms, inverses) : null;
    if (inverse) return this.b.one('Div', [this.b.constant(elem, [], [1]), asScalar(inverse)]);
    return fail(`a constant made inside the function has the value ${values.join(', ')} over the recordings: it follows the dynamic axes ` +
      'in a way the exporter cannot compute (it computes sizes, products of sizes and their reciprocals); make it with ops, or fix those axes');
  }

  /** The ONNX name a recorded tensor got (graph outputs). */
  nameOf(t: Tensor): string | undefined {
    return this.names.get(t);
  }

  shapeTensor(dims: readonly Poly[]): string {
    if (dims.every(isConstant)) return this.b.int64s(dims.map(constantOf));
    const parts = dims.map((p) => this.polyValue(p));
    return parts.length === 1 ? parts[0]! : this.b.one('Concat', parts, { axis: { int: 0 } });
  }

  /** A [1] int64 tensor holding the value of `p`. */
  private polyValue(p: Poly): string {
    if (isConstant(p)) return this.b.int64s([constantOf(p)]);
    let sum: string | null = null;
    for (const term of p) {
      let v: string | null = null;
      for (const j of term.syms) v = v === null ? this.symDim(j) : this.b.one('Mul', [v, this.symDim(j)]);
      if (v === null) v = this.b.int64s([term.coef]);
      else if (term.coef !== 1) v = this.b.one('Mul', [v, this.b.int64s([term.coef])]);
      sum = sum === null ? v : this.b.one('Add', [sum, v]);
    }
    return sum ?? this.b.int64s([0]);
  }

  /** The run-time size of sym j as a [1] int64 tensor: Shape(input)[axis]. */
  private symDim(j: number): string {
    let name = this.symDims.get(j);
    if (name === undefined) {
      const s = this.syms[j]!;
      name = this.b.one('Shape', [this.inputNames[s.input]!], { start: { int: s.axis }, end: { int: s.axis + 1 } });
      this.symDims.set(j, name);
    }
    return name;
  }

  /**
   * sequence_lens for a sequence op: the graph input holding these lengths (matched by value in every
   * recording), else constant lengths (refused when they would have to follow a dynamic batch).
   */
  private lengthsInput(all: readonly (Int32Array | null)[], fail: (m: string) => never): string {
    const base = all[0]!;
    if (base === null) return '';
    const matches = this.inputsOf[0]!.map((_, i) => i).filter((i) => all.every((l, r) => {
      const x = this.inputsOf[r]![i]!;
      return l !== null && x.dtype === 'int32' && x.rank === 1 && x.size === l.length && x.values().every((v, b) => v === l[b]);
    }));
    const unique = [...new Set(matches.map((i) => this.inputNames[i]))];
    if (unique.length > 1) {
      fail(`its lengths [${base.join(', ')}] equal the values of several inputs (${unique.join(', ')}); ` +
        'give the example inputs distinct values so the exporter can tell which one holds the lengths');
    }
    if (unique.length === 1) return unique[0]!;
    if (all.some((l) => l === null || l.length !== base.length)) {
      fail('its lengths were given as numbers, so they cannot follow a dynamic batch: pass them as an int32 tensor input [batch]');
    }
    return this.b.constant('int32', [base.length], [...base]);
  }
}

/** `(at user code)` for messages. */
export const at = (op: RecordedOp): string => `(applied ${op.where})`;

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype) return false;
  const x = a.values(), y = b.values();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return true;
}

/** Collects the paths where two attrs differ only in numbers; calls `mismatch` where their form differs. */
function numericDiffs(a: unknown, b: unknown, path: string, out: Set<string>, mismatch: (path: string) => void): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) out.add(path);
    return;
  }
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) return; // per-batch data (lengths): its op's converter matches it
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return mismatch(path);
    a.forEach((v, i) => numericDiffs(v, b[i], path ? `${path}.${i}` : String(i), out, mismatch));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) numericDiffs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out, mismatch);
    return;
  }
  if (!Object.is(a, b) && !(a instanceof Tensor && b instanceof Tensor)) mismatch(path);
}

function readPath(x: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], x);
}

