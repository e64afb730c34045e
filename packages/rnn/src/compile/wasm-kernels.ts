// Generated WebAssembly SIMD for a float32 plan's groups of elementwise ops: the same schedule as the JS
// kernels of codegen.ts (values in registers, stored values written out, inlined groups recomputed at the
// columns a slice reads, adjoints accumulated in reverse op order), four lanes at a time, built from the
// ops' scalar rules by wasm-rules.ts. Kernels work in place on the slots a compiled sequence keeps in
// core's kernel memory, so nothing is copied per step. A group whose width is not a multiple of 4, or
// whose rules cannot be read, keeps its JS kernel (the slots are views of the same memory).
import type { PointwiseRule } from '@unroll/autograd';
import { FunctionBuilder, GEMM_MR, ModuleBuilder, ValType, emitPartRange } from '@unroll/core/internal';
import type { Kernel, WasmRuntime } from '@unroll/core/internal';
import { argsRead, width } from './plan.js';
import type { Access, Item, Plan } from './plan.js';
import type { ProgramOp, Value } from './program.js';
import { extractLane, mathLocals } from './wasm-math.js';
import type { MathLocals } from './wasm-math.js';
import { argsOf, emitRule, emittable, ruleExpr } from './wasm-rules.js';
import type { RuleExpr } from './wasm-rules.js';

const I32 = ValType.i32, V128 = ValType.v128;

/**
 * A plan's WebAssembly kernels: per item, forward and backward as runtime kernels
 * `(part, parts, thread, block)` — block the byte address of an int32 argument block holding every value
 * slot's address this step, then every gradient slot's, then the padded-rows flags' (or 0) — or null where
 * that item runs its JS kernel. `threaded`: the module is loaded into the runtime, so its kernels may be
 * queued in jobs split over the worker threads; else they run on the calling thread only.
 */
export interface WasmKernels {
  readonly forward: readonly (Kernel | null)[];
  readonly backward: readonly (Kernel | null)[];
  readonly threaded: boolean;
  /** The value slots forward kernels use, the value and gradient slots backward kernels use. */
  readonly forwardValues: ReadonlySet<number>;
  readonly backwardValues: ReadonlySet<number>;
  readonly backwardGrads: ReadonlySet<number>;
}

const built = new WeakMap<Plan, Map<WasmRuntime, WasmKernels | null>>();

/**
 * The runtime's module table is small and never emptied, so only plans whose steps are worth splitting
 * over threads (a shared memory, at least 8 batch rows) load theirs there, at most this many; the others
 * run their kernels on the calling thread.
 */
const MAX_LOADED = 16;
let loaded = 0;

/** The kernels of a float32 plan for runtime `rt` (built once), or null when none could be generated. */
export function wasmKernels(plan: Plan, rt: WasmRuntime): WasmKernels | null {
  let byRt = built.get(plan);
  if (!byRt) built.set(plan, (byRt = new Map()));
  if (byRt.has(rt)) return byRt.get(rt)!;
  let out: WasmKernels | null = null;
  try {
    out = build(plan, rt);
  } catch {
    out = null; // an engine refusing synchronous compilation of a module this size (a browser's main thread)
  }
  byRt.set(rt, out);
  return out;
}

function build(plan: Plan, rt: WasmRuntime): WasmKernels | null {
  if (plan.program.dtype !== 'float32') return null;
  const names: [number, 'f' | 'b'][] = [];
  const forwardValues = new Set<number>(), backwardValues = new Set<number>(), backwardGrads = new Set<number>();
  const fns: [string, FunctionBuilder][] = [];
  plan.items.forEach((item, i) => {
    if (item.kind !== 'group' || item.inlined || item.width % 4 !== 0) return;
    for (const dir of ['f', 'b'] as const) {
      const g = new GroupEmitter(plan, item, dir === 'b');
      const fn = g.emit();
      if (!fn) continue;
      g.vUsed.forEach((s) => (dir === 'f' ? forwardValues : backwardValues).add(s));
      g.gUsed.forEach((s) => backwardGrads.add(s));
      fns.push([`${dir}${i}`, fn]);
      names.push([i, dir]);
    }
  });
  if (names.length === 0) return null;
  const bytes = (target: { memory: object }) => {
    const mb = new ModuleBuilder().importMemory('env', 'memory', 1, target.memory);
    for (const [name, fn] of fns) mb.addFunction(name, fn);
    return mb.encode();
  };
  let kernel: (name: string) => Kernel;
  const threaded = rt.shared && plan.B >= 8 && loaded < MAX_LOADED;
  if (threaded) {
    kernel = rt.load(`compileCell#${loaded++}`, bytes);
  } else {
    const api = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => object;
      Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => unknown> } } }).WebAssembly!;
    const inst = new api.Instance(new api.Module(bytes(rt.target)), { env: { memory: rt.memory } });
    kernel = (name) => ({ name, module: -1, index: -1, fn: inst.exports[name]! });
  }
  const forward = plan.items.map(() => null as Kernel | null);
  const backward = forward.slice();
  for (const [i, dir] of names) (dir === 'f' ? forward : backward)[i] = kernel(`${dir}${i}`);
  return { forward, backward, threaded, forwardValues, backwardValues, backwardGrads };
}

type Group = Extract<Item, { kind: 'group' }>;

/** One group's forward or backward function. */
class GroupEmitter {
  readonly vUsed = new Set<number>();
  readonly gUsed = new Set<number>();
  private readonly f: FunctionBuilder;
  private readonly m: MathLocals;
  private readonly j: number;
  private readonly vRow = new Map<number, number>();
  private readonly gRow = new Map<number, number>();
  private readonly nV: number;
  private readonly nG: number;
  private readonly produced: Set<number>;
  private readonly chains = new Map<string, { ops: readonly ProgramOp[]; k: number; off: number; width: number }>();
  /** v128 locals of values (v…), chain values (c…), adjoints (g…, gc…). */
  private readonly locals = new Map<string, number>();
  private failed = false;

  constructor(private readonly plan: Plan, private readonly item: Group, private readonly backward: boolean) {
    this.nV = plan.slots.length;
    this.nG = plan.gradSlots.length;
    this.f = new FunctionBuilder([I32, I32, I32, I32]);
    this.m = mathLocals(this.f);
    this.j = this.f.local(I32);
    this.produced = new Set(item.ops.map((o) => o.outputs[0]!.id));
    for (const op of item.ops) {
      for (const u of op.inputs) {
        const c = this.inlined(u);
        const g = c && plan.items[c.k]!;
        if (c && g && g.kind === 'group') this.chains.set(`${c.k}_${c.off}`, { ops: g.ops, k: c.k, off: c.off, width: g.width });
      }
    }
  }

  /** The function, or null when a rule cannot be emitted. */
  emit(): FunctionBuilder | null {
    const f = this.f;
    const start = f.code.length;
    if (this.backward) this.emitBackward();
    else this.emitForward();
    if (this.failed) return null;
    const body = f.code.splice(start);
    // Rows [r0, r1) of part `part` (split as core's gemm splits rows, so a job [gemm, kernel] needs no
    // barrier); slot addresses from the argument block; skip padded rows (backward); per row its bases;
    // for j in [0, 4n) step 16: body.
    const [part, parts, , block] = [0, 1, 2, 3];
    const b = f.local(I32), r0 = f.local(I32), r1 = f.local(I32), rows = f.local(I32), pad = f.local(I32);
    f.i32Const(this.plan.B).set(rows);
    emitPartRange(f, part, parts, rows, GEMM_MR, r0, r1);
    const addr = new Map<string, number>();
    const slotAddress = (key: string, index: number) => {
      const l = f.local(I32);
      f.get(block).i32Load(4 * index).set(l);
      addr.set(key, l);
    };
    for (const s of this.vRow.keys()) slotAddress(`v${s}`, s);
    for (const s of this.gRow.keys()) slotAddress(`g${s}`, this.nV + s);
    if (this.backward) f.get(block).i32Load(4 * (this.nV + this.nG)).set(pad);
    f.get(r0).set(b).block().loop();
    f.get(b).get(r1).i32GeS().brIf(1);
    f.block();
    if (this.backward) f.get(pad).if().get(pad).get(b).i32Const(4).i32Mul().i32Add().i32Load().brIf(1).end();
    const rowBase = (rows: Map<number, number>, g: boolean) => {
      for (const [s, local] of rows) {
        f.get(addr.get(`${g ? 'g' : 'v'}${s}`)!);
        const rs = this.rs.get(`${g ? 'g' : 'v'}${s}`)!;
        if (rs !== 0) f.get(b).i32Const(4 * rs).i32Mul().i32Add();
        // A parameter's gradient accumulator has one row per block of GEMM_MR batch rows: parts (which
        // run at once on the threads) own whole blocks, and each block is summed in the same order
        // whatever the thread count.
        const spec = g ? this.plan.gradSlots[s]! : null;
        if (spec?.role === 'gradAcc') f.get(b).i32Const(GEMM_MR).i32DivU().i32Const(4 * spec.size).i32Mul().i32Add();
        f.set(local);
      }
    };
    rowBase(this.vRow, false);
    rowBase(this.gRow, true);
    f.i32Const(0).set(this.j).block().loop();
    f.get(this.j).i32Const(16 * (this.item.width / 4)).i32GeS().brIf(1);
    f.code.push(...body);
    f.get(this.j).i32Const(16).i32Add().set(this.j).br(0).end().end();
    f.end();
    f.get(b).i32Const(1).i32Add().set(b).br(0).end().end();
    return f;
  }

  private readonly rs = new Map<string, number>();

  private rowLocal(grad: boolean, a: Access): number {
    const rows = grad ? this.gRow : this.vRow;
    (grad ? this.gUsed : this.vUsed).add(a.slot);
    let l = rows.get(a.slot);
    if (l === undefined) {
      rows.set(a.slot, (l = this.f.local(I32)));
      this.rs.set(`${grad ? 'g' : 'v'}${a.slot}`, a.rs);
    }
    return l;
  }

  /** Pushes the element address of access `a` (column j, or column 0 when scalar) and returns the memarg offset. */
  private address(grad: boolean, a: Access, scalar: boolean, colOff: number): number {
    this.f.get(this.rowLocal(grad, a));
    if (!scalar) this.f.get(this.j).i32Add();
    return 4 * (a.off + (scalar ? 0 : colOff));
  }

  /** Pushes the f32x4 of access `a` (a splat of its column when it is one column wide). */
  private load(grad: boolean, a: Access, broadcast: boolean, colOff = 0): void {
    const scalar = broadcast || a.cs === 0;
    const off = this.address(grad, a, scalar, colOff);
    if (scalar) this.f.v128Load32Splat(off);
    else this.f.v128Load(off);
  }

  /** Adds the f32x4 in local `term` into gradient access `a` (summing the lanes when it is one column). */
  private addGrad(a: Access, broadcast: boolean, term: number, colOff = 0): void {
    const f = this.f;
    const scalar = broadcast || a.cs === 0;
    const addr = f.local(I32);
    const off = this.address(true, a, scalar, colOff);
    f.set(addr);
    if (scalar) {
      f.get(addr).get(addr).f32Load(off);
      for (let lane = 0; lane < 4; lane++) { f.get(term); extractLane(f, lane); f.f32Add(); }
      f.f32Store(off);
    } else {
      f.get(addr).get(addr).v128Load(off).get(term).f32x4Add().v128Store(off);
    }
  }

  private local(name: string): number {
    let l = this.locals.get(name);
    if (l === undefined) this.locals.set(name, (l = this.f.local(V128)));
    return l;
  }

  private inlined(u: Value): { id: number; k: number; off: number } | null {
    const r = this.plan.roots.get(u.id) ?? { v: u, off: 0 };
    const k = this.plan.inlineOf.get(r.v.id);
    return k === undefined ? null : { id: r.v.id, k, off: r.off };
  }

  private accessOf(v: Value): Access {
    const a = this.plan.access.get(v.id);
    if (!a) { this.failed = true; return { slot: 0, rs: 0, cs: 0, off: 0 }; }
    return a;
  }

  private gradOf(v: Value): Access {
    const a = this.plan.gradAccess.get(v.id);
    const spec = a && this.plan.gradSlots[a.slot]!;
    if (!a || (spec!.role === 'gradAcc' && !spec!.accumulates)) { this.failed = true; return { slot: 0, rs: 0, cs: 0, off: 0 }; }
    return a;
  }

  private rule(fn: (...a: number[]) => number, arity: number): RuleExpr | null {
    const e = ruleExpr(fn, arity);
    if (!e || !emittable(e)) { this.failed = true; return null; }
    return e;
  }

  /** Evaluates a rule with argument k given by `arg(k)` (pushing an f32x4) into a new local. */
  private apply(fn: (...a: number[]) => number, arity: number, arg: (k: number) => void): number {
    const e = this.rule(fn, arity);
    const out = this.f.local(V128);
    if (!e) return out;
    const locals: number[] = [];
    for (const k of argsOf(e)) {
      const l = this.f.local(V128);
      arg(k);
      this.f.set(l);
      locals[k] = l;
    }
    emitRule(this.f, e, locals, this.m);
    this.f.set(out);
    return out;
  }

  private forwardRule(op: ProgramOp): (...a: number[]) => number {
    return (op.spec.pointwise!(op.attrs) as PointwiseRule).forward;
  }

  /** Pushes input u of the group (a register, a recomputed chain value, or memory). */
  private read(u: Value, direct: boolean): void {
    const c = this.inlined(u);
    if (c) { this.f.get(this.local(`c${c.id}_${c.off}`)); return; }
    if (direct && this.produced.has(u.id) && (this.plan.locals.has(u.id) || !this.backward)) { this.f.get(this.local(`v${u.id}`)); return; }
    this.load(false, this.accessOf(u), width(u) === 1 && this.item.width > 1);
  }

  /** Pushes argument w of a chain op (a chain value at the chain's offset, or memory at the chain's columns). */
  private chainArg(w: Value, ch: { k: number; off: number }): void {
    if (this.plan.inlineOf.get(w.id) === ch.k) { this.f.get(this.local(`c${w.id}_${ch.off}`)); return; }
    this.load(false, this.accessOf(w), width(w) === 1, ch.off);
  }

  private chainValues(only: ReadonlySet<number> | null): void {
    for (const ch of this.chains.values()) {
      for (const op of ch.ops) {
        const y = op.outputs[0]!;
        if (only && !only.has(y.id)) continue;
        const v = this.apply(this.forwardRule(op), op.inputs.length, (k) => this.chainArg(op.inputs[k]!, ch));
        this.f.get(v).set(this.local(`c${y.id}_${ch.off}`));
      }
    }
  }

  private emitForward(): void {
    this.chainValues(null);
    for (const op of this.item.ops) {
      const y = op.outputs[0]!;
      const v = this.apply(this.forwardRule(op), op.inputs.length, (k) => this.read(op.inputs[k]!, true));
      this.f.get(v).set(this.local(`v${y.id}`));
      if (!this.plan.locals.has(y.id)) {
        const a = this.accessOf(y);
        const off = this.address(false, a, false, 0);
        this.f.get(v).v128Store(off);
      }
    }
  }

  private emitBackward(): void {
    const { plan, f } = this;
    this.chainValues(plan.recompute);
    for (const ch of this.chains.values()) {
      for (const op of ch.ops) if (plan.needs[op.outputs[0]!.id]) f.v128Zero().set(this.local(`gc${op.outputs[0]!.id}_${ch.off}`));
    }
    for (const op of this.item.ops) {
      const y = op.outputs[0]!;
      if (!plan.needs[y.id]) continue;
      if (plan.localGrad.has(y.id)) f.v128Zero();
      else this.load(true, this.gradOf(y), false);
      f.set(this.local(`g${y.id}`));
    }
    const backOf = (op: ProgramOp, gy: number, arg: (k: number) => void, target: (u: Value, term: number) => void) => {
      const rule = op.spec.pointwise!(op.attrs) as PointwiseRule;
      const nd = new Set(op.spec.nondifferentiable ?? []);
      op.inputs.forEach((u, i) => {
        if (nd.has(i) || !plan.needs[u.id]) return;
        const partial = rule.partials[i]!;
        const read = argsRead(partial, op.inputs.length);
        const p = this.apply(partial, op.inputs.length, (k) => { if (read[k]) arg(k); else f.v128Zero(); });
        const term = f.local(V128);
        f.get(gy).get(p).f32x4Mul().set(term);
        target(u, term);
      });
    };
    const addLocal = (name: string, term: number) => { const l = this.local(name); f.get(l).get(term).f32x4Add().set(l); };
    for (const op of [...this.item.ops].reverse()) {
      const y = op.outputs[0]!;
      if (!plan.needs[y.id]) continue;
      backOf(op, this.local(`g${y.id}`),
        (k) => (k < op.inputs.length ? this.read(op.inputs[k]!, false) : this.load(false, this.accessOf(y), false)),
        (u, term) => {
          const c = this.inlined(u);
          if (c) addLocal(`gc${c.id}_${c.off}`, term);
          else if (this.produced.has(u.id)) addLocal(`g${u.id}`, term);
          else this.addGrad(this.gradOf(u), width(u) === 1 && this.item.width > 1, term);
        });
    }
    for (const ch of this.chains.values()) {
      for (const op of [...ch.ops].reverse()) {
        const y = op.outputs[0]!;
        if (!plan.needs[y.id]) continue;
        backOf(op, this.local(`gc${y.id}_${ch.off}`),
          (k) => (k < op.inputs.length ? this.chainArg(op.inputs[k]!, ch) : f.get(this.local(`c${y.id}_${ch.off}`))),
          (u, term) => (plan.inlineOf.get(u.id) === ch.k ? addLocal(`gc${u.id}_${ch.off}`, term)
            : this.addGrad(this.gradOf(u), width(u) === 1 && ch.width > 1, term, ch.off)));
      }
    }
  }
}
