// From a traced step to a plan for the time loop: which ops are hoisted (P, X), which run per step (S),
// how the per-step ops group into fused loops, which values are stored, saved for backward, and where.
import * as K from '@unroll/core';
import type { Range } from '@unroll/core';
import { CompileError } from './errors.js';
import { checkHoistable, wholeRange } from './hoistable.js';
import type { ProgramOp, Program, Value } from './program.js';

/** How code reads element (b, j) of a value: V[slot][base(slot, t) + b·rs + j·cs + off]. */
export interface Access { readonly slot: number; readonly rs: number; readonly cs: number; readonly off: number }

/** Where a slot's per-step base is: every step's block (t·B·n), a state slot (readSlot(t)·B·n), or fixed (0). */
export type SlotBase = 'step' | 'stateRead' | 'fixed';

export interface SlotSpec {
  readonly base: SlotBase;
  /** Elements per step (B·n) for 'step' and 'stateRead'; the whole size for 'fixed'. */
  readonly size: number;
  /** What fills it: a hoisted input, a state field, a captured constant, a stored value, or a gradient. */
  readonly role: 'input' | 'projection' | 'state' | 'constant' | 'saved' | 'scratch' | 'gradInput' | 'gradProjection' | 'gradAcc' | 'gradScratch' | 'gradAll';
  /** Input position (roles input, gradInput, gradAcc), state field (state), value id otherwise. */
  readonly index: number;
  /**
   * gradAcc only: whether generated kernels add into it (a float64 accumulator); a weight read only
   * by gemms gets its gradient straight from them.
   */
  readonly accumulates?: boolean;
}

/**
 * An input projection the compiled op computes: value = x·Wᵀ (transB, W [N, I]) or x·W (W [I, N]), plus
 * `bias` [N] when the step adds one to it before anything else reads it (GRU's b_ih); steps read it
 * whole or through feature slices (`views`: value id → first column).
 */
export interface Projection {
  readonly value: Value; readonly w: Value; readonly transB: boolean; readonly N: number; readonly I: number;
  readonly bias: Value | null;
  readonly views: ReadonlyMap<number, number>;
}

/**
 * Input projections computed by one gemm: their weights side by side (op(W) columns concatenated), the
 * result [T·B, N] with member k at columns cols[k] (the MGU's two projections are one gemm [T·B, I]·[I, 2H]).
 * Their value and gradient slots (role projection / gradProjection, index = the group) are that shared
 * [B, N] row block per step; members read it at their columns.
 */
export interface ProjectionGroup {
  readonly members: readonly number[]; readonly cols: readonly number[];
  readonly N: number; readonly I: number; readonly transB: boolean;
}

/** One piece of a step's schedule. */
export type Item =
  | { kind: 'group'; width: number; ops: ProgramOp[]; inlined: boolean }
  | { kind: 'gemm'; op: ProgramOp; a: Value; w: Value; c: Value; transB: boolean; M: number; N: number; K: number }
  | { kind: 'sum'; op: ProgramOp; width: number }
  | { kind: 'concat'; op: ProgramOp };

export interface Plan {
  readonly program: Program;
  readonly B: number;
  /** Hoisted values the step reads, in op-input order: X ones (per step) and P ones (fixed). */
  readonly xInputs: readonly Value[];
  readonly pInputs: readonly Value[];
  /**
   * Input projections x·op(W) read only by per-step ops: the compiled op computes them itself (one gemm
   * [T·B, I]·op(W) into a recycled buffer) and, in backward, dx and dW from their gradient (one gemm each).
   */
  readonly projections: readonly Projection[];
  /** The projections grouped by gemm (same op(W) orientation); slots of role projection/gradProjection index these. */
  readonly projectionGroups: readonly ProjectionGroup[];
  readonly items: readonly Item[];
  readonly slots: readonly SlotSpec[];
  readonly gradSlots: readonly SlotSpec[];
  /** Per value id: how to read it (undefined: a local inside its group only). */
  readonly access: ReadonlyMap<number, Access>;
  /** Per value id: where its gradient accumulates (undefined: none needed, or a local). */
  readonly gradAccess: ReadonlyMap<number, Access>;
  /** Values whose gradient is a local of their group (no buffer). */
  readonly localGrad: ReadonlySet<number>;
  /** Values computed inside a group and kept only as locals there. */
  readonly locals: ReadonlySet<number>;
  /** Whether a gradient must reach each value (by id). */
  readonly needs: readonly boolean[];
  /** Per state field: its slots slot and its gradient slot. */
  readonly stateSlots: readonly number[];
  readonly stateGradSlots: readonly number[];
  /** The group each pointwise op's output belongs to (item index). */
  readonly groupOf: ReadonlyMap<number, number>;
  /** Per view (slice, reshape, expand) value id: the value it reads, at which column offset. */
  readonly roots: ReadonlyMap<number, { v: Value; off: number; cs: number | null }>;
  /**
   * Values of inlined groups (by id → item index): a group read only through feature slices (the
   * gate pre-activations an LSTM splits) is not run on its own; each reader recomputes it at its columns.
   */
  readonly inlineOf: ReadonlyMap<number, number>;
  /** Inlined values a backward pass reads (a partial reads them): recomputed there from the group's inputs. */
  readonly recompute: ReadonlySet<number>;
}

const VIEW_OPS = new Set(['slice', 'reshape', 'expand', 'cast']);

/** Which arguments (inputs, then y) a scalar partial reads: declared parameters not named `_…`. */
export function argsRead(fn: (...a: number[]) => number, arity: number): boolean[] {
  const read = new Array<boolean>(arity + 1).fill(false);
  const src = Function.prototype.toString.call(fn);
  const m = /^\s*(?:function\b[^(]*)?\(([^)]*)\)/.exec(src) ?? /^\s*([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  const names = m ? m[1]!.split(',').map((s) => s.trim()) : null;
  for (let i = 0; i < Math.min(fn.length, arity + 1); i++) read[i] = !(names && names[i] !== undefined && names[i]!.startsWith('_'));
  return read;
}

/** Features per row of a value: a per-step value's shape[1]; a parameter-only value's element count. */
export const width = (v: Value): number => (v.dep === 'P' ? v.shape.reduce((a, d) => a * d, 1) : v.shape[1] ?? 1);

/** Builds the plan, refusing (naming the op and the cell) what a compiled step cannot run. */
export function makePlan(p: Program): Plan {
  const B = p.batch;
  const refuse = (op: ProgramOp, why: string): never => {
    throw new CompileError(`compileCell: ${p.cellName}.step uses '${op.name}', which a compiled step does not support (${why})`);
  };
  const consumers = new Map<number, ProgramOp[]>();
  for (const op of p.ops) for (const u of op.inputs) (consumers.get(u.id) ?? consumers.set(u.id, []).get(u.id)!).push(op);

  // Gradient reachability: x and state always; parameters that require it; op outputs of those.
  const needs = p.values.map((v) => v.source === 'x' || v.source === 'state' || (v.source === 'external' && v.differentiable));
  for (const op of p.ops) {
    const nd = new Set(op.spec.nondifferentiable ?? []);
    const any = op.inputs.some((u, i) => !nd.has(i) && needs[u.id]);
    for (const o of op.outputs) needs[o.id] = any;
  }

  for (const op of p.ops) if (op.dep === 'X') checkHoistable(p, op, refuse);

  // Per-step values must be [batch, features]; P values meeting them broadcast over the batch.
  const perStep = p.ops.filter((op) => op.dep === 'S');
  const root = new Map<number, { v: Value; off: number; cs: number | null }>();
  const rootOf = (v: Value) => root.get(v.id) ?? { v, off: 0, cs: null };
  for (const op of perStep) {
    for (const o of op.outputs) {
      if (o.shape.length !== 2 || o.shape[0] !== B) refuse(op, `its result is ${K.fmt(o.shape)}; a per-step value must be [batch, features]`);
    }
    for (const u of op.inputs) {
      if (u.dep !== 'P' && (u.shape.length !== 2 || u.shape[0] !== B)) refuse(op, `it reads ${K.fmt(u.shape)}; a per-step value must be [batch, features]`);
      if (u.dep === 'P' && u.shape.length === 2 && u.shape[0] !== 1 && op.name !== 'matmul') {
        refuse(op, `a parameter ${K.fmt(u.shape)} would meet the batch axis; per-step parameters are [features] or [1, features]`);
      }
    }
    const y = op.outputs[0]!;
    if (op.spec.pointwise) {
      if (op.outputs.length !== 1) refuse(op, 'an elementwise op with several outputs');
      for (const u of op.inputs) {
        const n = width(u);
        if (n !== 1 && n !== y.shape[1]) refuse(op, `it broadcasts ${K.fmt(u.shape)} against ${K.fmt(y.shape)}`);
      }
      continue;
    }
    const [x] = op.inputs;
    switch (op.name) {
      case 'matmul': {
        const [a, w] = op.inputs as [Value, Value];
        const at = op.attrs as K.MatmulOptions;
        if (w.dep !== 'P') refuse(op, 'both operands depend on the state; one must be a parameter');
        if (at.transA || a.dep === 'P' || w.shape.length !== 2) refuse(op, 'only state [batch, k] times a [k, n] (or transB [n, k]) parameter');
        continue;
      }
      case 'slice': {
        const ranges = (op.attrs as { ranges: readonly (Range | undefined)[] }).ranges;
        if (!wholeRange(ranges[0], B)) refuse(op, 'slicing the batch axis');
        const r1 = ranges[1] ? K.resolveRange('compileCell', ranges[1], x!.shape[1]!) : { start: 0, step: 1 };
        if (r1.step !== 1) refuse(op, 'a strided slice of the features');
        const r = rootOf(x!);
        root.set(y.id, { v: r.v, off: r.off + r1.start, cs: r.cs });
        continue;
      }
      case 'reshape': case 'cast':
        if (!K.sameShape(x!.shape, y.shape) || (op.name === 'cast' && (op.attrs as { dtype: string }).dtype !== p.dtype)) {
          refuse(op, `changing ${K.fmt(x!.shape)} to ${K.fmt(y.shape)} ${op.name === 'cast' ? 'or the dtype' : ''}inside the step`);
        }
        root.set(y.id, rootOf(x!));
        continue;
      case 'expand':
        if (x!.shape[1] !== 1 && x!.shape[1] !== y.shape[1]) refuse(op, 'expanding anything but a [batch, 1] column');
        root.set(y.id, x!.shape[1] === 1 ? { ...rootOf(x!), cs: 0 } : rootOf(x!));
        continue;
      case 'sum': {
        const at = op.attrs as { axes?: number | readonly number[]; keepdims?: boolean };
        const axes = at.axes === undefined ? [0, 1] : (Array.isArray(at.axes) ? at.axes : [at.axes]) as number[];
        if (axes.length !== 1 || K.normalizeAxis('sum', axes[0]!, 2) !== 1 || !at.keepdims) {
          refuse(op, 'only a sum over the features with keepdims: true (as mean(x, { axes: -1, keepdims: true }))');
        }
        continue;
      }
      case 'concat':
        if (K.normalizeAxis('concat', (op.attrs as { axis: number }).axis, 2) !== 1) refuse(op, 'joining along the batch axis');
        continue;
      default:
        refuse(op, 'not elementwise, and not one of matmul, slice, reshape, expand, cast, sum over features, concat of features');
    }
  }

  // The schedule: pointwise ops of one width fuse into a group unless an input of theirs is a
  // value of the open group read another way (a slice, a broadcast); every other op stands alone.
  const items: Item[] = [];
  const groupOf = new Map<number, number>();
  let open: Extract<Item, { kind: 'group' }> | null = null;
  for (const op of perStep) {
    if (VIEW_OPS.has(op.name)) continue;
    const y = op.outputs[0]!;
    if (op.spec.pointwise) {
      const n = y.shape[1]!;
      const here = items.length - 1;
      const joins = open !== null && open.width === n && op.inputs.every((u) => {
        const r = rootOf(u);
        const inOpen = groupOf.get(r.v.id) === here;
        return !inOpen || (r.v === u && width(u) === n);
      });
      if (!joins) items.push((open = { kind: 'group', width: n, ops: [], inlined: false }));
      open!.ops.push(op);
      groupOf.set(y.id, items.length - 1);
      continue;
    }
    open = null;
    if (op.name === 'matmul') {
      const [a, w] = op.inputs as [Value, Value];
      const transB = !!(op.attrs as K.MatmulOptions).transB;
      const [N, Kd] = transB ? [w.shape[0]!, w.shape[1]!] : [w.shape[1]!, w.shape[0]!];
      items.push({ kind: 'gemm', op, a, w, c: y, transB, M: B, N, K: Kd });
    } else if (op.name === 'sum') {
      items.push({ kind: 'sum', op, width: op.inputs[0]!.shape[1]! });
    } else {
      items.push({ kind: 'concat', op });
    }
  }

  const results = new Set<number>([p.output.id, ...p.stateOut.map((v) => v.id)].map((id) => rootOf(p.values[id]!).v.id));

  // Inlining: a group whose values are read only inside it or through feature slices by other groups of
  // the slice's width is recomputed by each reader at its columns (no pass of its own, nothing stored).
  const inlineOf = new Map<number, number>();
  items.forEach((item, k) => {
    if (item.kind !== 'group') return;
    const ok = item.ops.every((op) => {
      const y = op.outputs[0]!;
      if (results.has(y.id)) return false;
      return (consumers.get(y.id) ?? []).every((c) => {
        if (groupOf.get(c.outputs[0]!.id) === k && c.spec.pointwise) return true;
        if (c.name !== 'slice' || c.dep !== 'S') return false;
        const view = c.outputs[0]!;
        if (results.has(view.id) || rootOf(view).cs !== null) return false;
        return (consumers.get(view.id) ?? []).every((d) => {
          const gi = groupOf.get(d.outputs[0]!.id);
          const g = gi === undefined ? null : items[gi]!;
          return d.spec.pointwise && gi !== k && g !== null && g.kind === 'group' && g.width === view.shape[1];
        });
      });
    });
    if (!ok) return;
    item.inlined = true;
    for (const op of item.ops) inlineOf.set(op.outputs[0]!.id, k);
  });

  // Values backward reads: what the partials of each pointwise op read, and each gemm's A (for dW);
  // an inlined value is recomputed from its group's inputs, so those are what is kept.
  const saved = new Set<number>();
  const recompute = new Set<number>();
  const keep = (v: Value) => {
    const r = rootOf(v).v;
    if (!inlineOf.has(r.id)) { saved.add(r.id); return; }
    if (recompute.has(r.id)) return;
    recompute.add(r.id);
    for (const u of r.producer!.inputs) keep(u);
  };
  for (const op of perStep) {
    if (op.spec.pointwise) {
      const rule = op.spec.pointwise(op.attrs);
      const nd = new Set(op.spec.nondifferentiable ?? []);
      op.inputs.forEach((u, i) => {
        if (nd.has(i) || !needs[u.id]) return;
        const read = argsRead(rule.partials[i]!, op.inputs.length);
        op.inputs.forEach((w, k) => { if (read[k]) keep(w); });
        if (read[op.inputs.length]) keep(op.outputs[0]!);
      });
    }
  }
  for (const it of items) if (it.kind === 'gemm' && needs[it.w.id]) keep(it.a);

  // Which per-step results are stored (read outside their group, by special items, at the end of the
  // step, or in backward); the rest live in registers of their group's loop.
  const stored = new Set<number>();
  const locals = new Set<number>();
  const externalGrad = new Set<number>();
  for (const op of perStep) {
    if (VIEW_OPS.has(op.name) || inlineOf.has(op.outputs[0]!.id)) continue;
    const y = op.outputs[0]!;
    const g = groupOf.get(y.id);
    const readers = consumers.get(y.id) ?? [];
    const outside = readers.some((c) => VIEW_OPS.has(c.name) || !c.spec.pointwise || groupOf.get(c.outputs[0]!.id) !== g);
    if (g === undefined || outside || results.has(y.id) || saved.has(y.id)) stored.add(y.id);
    else locals.add(y.id);
    if (g === undefined || outside || results.has(y.id)) externalGrad.add(y.id);
  }

  // Slots: hoisted inputs, constants, state fields, stored values; then gradient slots.
  const slots: SlotSpec[] = [];
  const gradSlots: SlotSpec[] = [];
  const access = new Map<number, Access>();
  const gradAccess = new Map<number, Access>();
  const readBy = new Set<number>();
  for (const op of perStep) for (const u of op.inputs) if (!inlineOf.has(rootOf(u).v.id)) readBy.add(rootOf(u).v.id);
  for (const id of results) readBy.add(id);
  const xInputs: Value[] = [], pInputs: Value[] = [];
  // Parameter values the kernels read (anything but a gemm's weight), whose gradients they accumulate.
  const kernelRead = new Set<number>(results);
  for (const op of perStep) op.inputs.forEach((u, i) => { if (!(op.name === 'matmul' && i === 1)) kernelRead.add(rootOf(u).v.id); });
  const projections: Projection[] = [];
  // A projection's value is x·op(W), or that plus a bias [N] when an add is its only reader; per-step ops
  // read the value itself or feature slices of it (one gemm then serves them all, the bias added in).
  const views = new Map<number, { k: number; off: number }>();
  for (const op of p.ops) {
    const [a, w] = op.inputs;
    const y = op.outputs[0]!;
    if (op.name !== 'matmul' || a !== p.x || w?.dep !== 'P' || w.shape.length !== 2 || (op.attrs as K.MatmulOptions).transA) continue;
    const N = y.shape[1]!;
    let top = y, bias: Value | null = null;
    const first = consumers.get(y.id) ?? [];
    const [only] = first;
    if (first.length === 1 && only!.name === 'add' && only!.dep === 'X' && only!.inputs[0] === y) {
      const b = only!.inputs[1]!;
      if (b.dep === 'P' && b.shape[b.shape.length - 1] === N && b.shape.reduce((m, d) => m * d, 1) === N && only!.outputs[0]!.shape.length === 2) {
        top = only!.outputs[0]!;
        bias = b;
      }
    }
    const sliced = new Map<number, number>();
    const ok = (consumers.get(top.id) ?? []).every((c) => {
      if (c.dep === 'S') return true;
      if (c.name !== 'slice' || c.dep !== 'X') return false;
      const ranges = (c.attrs as { ranges: readonly (Range | undefined)[] }).ranges;
      if (!wholeRange(ranges[0], B) || ranges.length > 2) return false;
      const r1 = ranges[1] ? K.resolveRange('compileCell', ranges[1], N) : { start: 0, step: 1 };
      if (r1.step !== 1) return false;
      const view = c.outputs[0]!;
      if (!(consumers.get(view.id) ?? []).every((d) => d.dep === 'S') || results.has(view.id)) return false;
      sliced.set(view.id, r1.start);
      return true;
    });
    if (!ok || results.has(top.id) || !(readBy.has(top.id) || [...sliced.keys()].some((id) => readBy.has(id)))) continue;
    const transB = !!(op.attrs as K.MatmulOptions).transB;
    const k = projections.push({ value: top, w, transB, N, I: a.shape[1]!, bias, views: sliced }) - 1;
    for (const [id, off] of sliced) { views.set(id, { k, off }); readBy.delete(id); }
    readBy.add(top.id);
    readBy.add(w.id);
    if (bias) readBy.add(bias.id);
  }
  const projected = new Map(projections.map((pr, k) => [pr.value.id, k]));
  // One gemm for all projections of one orientation (they all read x): weights concatenated.
  const projectionGroups: ProjectionGroup[] = [];
  const groupOfProjection: number[] = [], colOf: number[] = [];
  for (const transB of [true, false]) {
    const members = projections.flatMap((pr, k) => (pr.transB === transB ? [k] : []));
    if (!members.length) continue;
    const cols: number[] = [];
    let N = 0;
    for (const k of members) { cols.push(N); colOf[k] = N; groupOfProjection[k] = projectionGroups.length; N += projections[k]!.N; }
    projectionGroups.push({ members, cols, N, I: projections[members[0]!]!.I, transB });
  }
  const groupSlots = new Map<number, { slot: number; grad: number }>();
  for (const v of p.values) {
    if (!readBy.has(v.id) || v.dep === 'S') continue;
    const k = projected.get(v.id);
    if (k !== undefined) {
      const gi = groupOfProjection[k]!, n = projectionGroups[gi]!.N, col = colOf[k]!;
      let gs = groupSlots.get(gi);
      if (!gs) {
        gs = {
          slot: slots.push({ base: 'step', size: B * n, role: 'projection', index: gi }) - 1,
          grad: gradSlots.push({ base: 'step', size: B * n, role: 'gradProjection', index: gi }) - 1,
        };
        groupSlots.set(gi, gs);
      }
      access.set(v.id, { slot: gs.slot, rs: n, cs: 1, off: col });
      gradAccess.set(v.id, { slot: gs.grad, rs: n, cs: 1, off: col });
      continue;
    }
    const n = width(v);
    if (v.source === 'constant') {
      access.set(v.id, { slot: slots.push({ base: 'fixed', size: n, role: 'constant', index: v.id }) - 1, rs: 0, cs: n === 1 ? 0 : 1, off: 0 });
    } else if (v.dep === 'P') {
      const index = pInputs.push(v) - 1;
      access.set(v.id, { slot: slots.push({ base: 'fixed', size: n, role: 'input', index }) - 1, rs: 0, cs: n === 1 ? 0 : 1, off: 0 });
      if (needs[v.id]) {
        const slot = gradSlots.push({ base: 'fixed', size: n, role: 'gradAcc', index, accumulates: kernelRead.has(v.id) }) - 1;
        gradAccess.set(v.id, { slot, rs: 0, cs: n === 1 ? 0 : 1, off: 0 });
      }
    } else {
      if (v.shape.length !== 2 || v.shape[0] !== B) {
        throw new CompileError(`compileCell: ${p.cellName}.step: a value computed from x alone is ${K.fmt(v.shape)}; values the step reads per time step must be [batch, features]`);
      }
      const index = xInputs.push(v) - 1;
      access.set(v.id, { slot: slots.push({ base: 'step', size: B * n, role: 'input', index }) - 1, rs: n, cs: 1, off: 0 });
      gradAccess.set(v.id, { slot: gradSlots.push({ base: 'step', size: B * n, role: 'gradInput', index }) - 1, rs: n, cs: 1, off: 0 });
    }
  }
  const stateSlots: number[] = [], stateGradSlots: number[] = [];
  p.stateIn.forEach((v, f) => {
    const n = width(v);
    stateSlots.push(slots.push({ base: 'stateRead', size: B * n, role: 'state', index: f }) - 1);
    access.set(v.id, { slot: stateSlots[f]!, rs: n, cs: 1, off: 0 });
    stateGradSlots.push(gradSlots.push({ base: 'fixed', size: B * n, role: 'gradScratch', index: v.id }) - 1);
    gradAccess.set(v.id, { slot: stateGradSlots[f]!, rs: n, cs: 1, off: 0 });
  });
  for (const id of stored) {
    const v = p.values[id]!, n = width(v);
    const keep = saved.has(id);
    access.set(id, { slot: slots.push({ base: keep ? 'step' : 'fixed', size: B * n, role: keep ? 'saved' : 'scratch', index: id }) - 1, rs: n, cs: 1, off: 0 });
  }
  const localGrad = new Set<number>();
  for (const op of perStep) {
    if (VIEW_OPS.has(op.name) || inlineOf.has(op.outputs[0]!.id)) continue;
    const y = op.outputs[0]!, n = width(y);
    if (!externalGrad.has(y.id)) { localGrad.add(y.id); continue; }
    // A gemm's output gradient is kept for every step: dW is one gemm over all of them.
    const all = op.name === 'matmul';
    gradAccess.set(y.id, {
      slot: gradSlots.push({ base: all ? 'step' : 'fixed', size: B * n, role: all ? 'gradAll' : 'gradScratch', index: y.id }) - 1,
      rs: n, cs: 1, off: 0,
    });
  }
  // Feature slices of a projection read its slot at their columns.
  for (const [id, { k, off }] of views) {
    const v = projections[k]!.value;
    const a = access.get(v.id)!, g = gradAccess.get(v.id)!;
    access.set(id, { ...a, off: a.off + off });
    gradAccess.set(id, { ...g, off: g.off + off });
  }
  // Views read (and take gradients) through their root.
  for (const [id, r] of root) {
    const a = access.get(r.v.id), g = gradAccess.get(r.v.id);
    if (a) access.set(id, { ...a, off: a.off + r.off, cs: r.cs ?? a.cs });
    if (g) gradAccess.set(id, { ...g, off: g.off + r.off, cs: r.cs ?? g.cs });
  }
  return {
    program: p, B, xInputs, pInputs, projections, projectionGroups, items, slots, gradSlots, access, gradAccess, localGrad, locals, needs, stateSlots, stateGradSlots,
    groupOf, roots: root, inlineOf, recompute,
  };
}
