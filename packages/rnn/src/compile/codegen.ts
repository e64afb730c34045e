// Generated JavaScript for a plan's per-step items: each group of elementwise ops becomes one loop
// over rows and features (forward) and one reverse-mode loop (backward), built from the ops' own
// scalar rules (`pointwise`), so no derivative is written twice.
import type { PointwiseRule } from '@unroll/autograd';
import { CompileError } from './errors.js';
import { argsRead, width } from './plan.js';
import { fastForward } from './runtime.js';
import type { Access, Item, Plan } from './plan.js';
import type { ProgramOp, Value } from './program.js';

/** A generated kernel: V/O the value slots and their bases this step, G/GO the gradient slots, pad the padded rows. */
export type Kernel = (V: ArrayLike<number>[], O: Int32Array, G: ArrayLike<number>[] | null, GO: Int32Array | null, pad: Uint8Array | null) => void;

export interface ItemKernels { forward: Kernel; backward: Kernel }

/** Thrown where the engine forbids generating code (a Content-Security-Policy without 'unsafe-eval'). */
export class CodegenUnavailableError extends CompileError {}

/** The forward and backward kernels of every non-gemm item (null at gemm items). */
export function generateKernels(plan: Plan): (ItemKernels | null)[] {
  return plan.items.map((item) => (item.kind === 'gemm' || (item.kind === 'group' && item.inlined) ? null : itemKernels(plan, item)));
}

function itemKernels(plan: Plan, item: Exclude<Item, { kind: 'gemm' }>): ItemKernels {
  const fns: unknown[] = [];
  // A scalar rule applied to argument expressions: its own source inlined when it is a plain arithmetic
  // arrow (`(a, b) => a + b`), else a call of the rule itself.
  const apply = (f: (...a: number[]) => number, args: string[]) => inlineRule(f, args) ?? `F${fns.push(f) - 1}(${args.join(', ')})`;
  const B = plan.B;
  const fwd = new Emitter('V', 'O', 'R');
  const bwd = new Emitter('V', 'O', 'R');
  const grad = new Emitter('G', 'GO', 'S');

  if (item.kind === 'group') {
    const n = item.width;
    const produced = new Set(item.ops.map((o) => o.outputs[0]!.id));
    const fast = plan.program.dtype === 'float32';
    const forwardOf = (op: ProgramOp, args: string[]) => {
      const rule = op.spec.pointwise!(op.attrs) as PointwiseRule;
      return apply(fast ? fastForward(op.name) ?? rule.forward : rule.forward, args);
    };
    // Inlined groups this one reads through slices: each (group, column offset) is recomputed here.
    const chains = new Map<string, { ops: readonly ProgramOp[]; k: number; off: number; width: number }>();
    const inlined = (u: Value) => {
      const r = plan.roots.get(u.id) ?? { v: u, off: 0 };
      const k = plan.inlineOf.get(r.v.id);
      return k === undefined ? null : { id: r.v.id, k, off: r.off };
    };
    for (const op of item.ops) {
      for (const u of op.inputs) {
        const c = inlined(u);
        const g = c && plan.items[c.k]!;
        if (c && g && g.kind === 'group') chains.set(`${c.k}_${c.off}`, { ops: g.ops, k: c.k, off: c.off, width: g.width });
      }
    }
    const col = (off: number) => (off ? `j + ${off}` : 'j');
    // A chain value at its offset (c…), a chain's input read at the chain's columns.
    const chainArg = (e: Emitter, w: Value, ch: { k: number; off: number; width: number }) =>
      (plan.inlineOf.get(w.id) === ch.k ? `c${w.id}_${ch.off}` : e.at(accessOf(plan, w), width(w) === 1 && ch.width > 1, col(ch.off)));
    const chainValues = (e: Emitter, only: ReadonlySet<number> | null): string[] => {
      const out: string[] = [];
      for (const ch of chains.values()) {
        for (const op of ch.ops) {
          const y = op.outputs[0]!;
          if (only && !only.has(y.id)) continue;
          out.push(`const c${y.id}_${ch.off} = ${forwardOf(op, op.inputs.map((w) => chainArg(e, w, ch)))};`);
        }
      }
      return out;
    };
    const read = (e: Emitter, u: Value, direct: boolean): string => {
      const c = inlined(u);
      if (c) return `c${c.id}_${c.off}`;
      if (direct && produced.has(u.id) && (plan.locals.has(u.id) || e === fwd)) return `v${u.id}`;
      return e.at(accessOf(plan, u), width(u) === 1 && n > 1);
    };

    // Forward: each op's value is a local; stored values are also written out.
    const body: string[] = chainValues(fwd, null);
    for (const op of item.ops) {
      const y = op.outputs[0]!;
      body.push(`const v${y.id} = ${forwardOf(op, op.inputs.map((u) => read(fwd, u, true)))};`);
      if (!plan.locals.has(y.id)) body.push(`${fwd.at(accessOf(plan, y), false)} = v${y.id};`);
    }
    fwd.loopRows(B, false, [`for (let j = 0; j < ${n}; j++) {`, ...body.map((l) => '  ' + l), '}']);

    // Backward: adjoints of the group's values are locals (seeded from their gradient slot when other
    // items or the step's results read them); ops in reverse order add into their inputs' adjoints;
    // then the inlined chains, whose adjoints (gc…) the group's ops filled.
    const lines: string[] = chainValues(bwd, plan.recompute);
    for (const ch of chains.values()) {
      for (const op of ch.ops) if (plan.needs[op.outputs[0]!.id]) lines.push(`let gc${op.outputs[0]!.id}_${ch.off} = 0;`);
    }
    for (const op of item.ops) {
      const y = op.outputs[0]!;
      if (!plan.needs[y.id]) continue;
      lines.push(plan.localGrad.has(y.id) ? `let g${y.id} = 0;` : `let g${y.id} = ${grad.at(gradOf(plan, y), false)};`);
    }
    const backOf = (op: ProgramOp, gy: string, arg: (k: number) => string, target: (u: Value, term: string) => string) => {
      const rule = op.spec.pointwise!(op.attrs) as PointwiseRule;
      const nd = new Set(op.spec.nondifferentiable ?? []);
      op.inputs.forEach((u, i) => {
        if (nd.has(i) || !plan.needs[u.id]) return;
        const partial = rule.partials[i]!;
        // Partials read stored values (inputs and y); arguments a partial does not read are passed as 0.
        const used = argsRead(partial, op.inputs.length);
        // Called with exactly its declared parameters (a call of matching arity inlines best).
        lines.push(target(u, `${gy} * ${apply(partial, used.slice(0, partial.length).map((r, k) => (r ? arg(k) : '0')))}`));
      });
    };
    for (const op of [...item.ops].reverse()) {
      const y = op.outputs[0]!;
      if (!plan.needs[y.id]) continue;
      backOf(op, `g${y.id}`, (k) => (k < op.inputs.length ? read(bwd, op.inputs[k]!, false) : bwd.at(accessOf(plan, y), false)), (u, term) => {
        const c = inlined(u);
        if (c) return `gc${c.id}_${c.off} += ${term};`;
        if (produced.has(u.id)) return `g${u.id} += ${term};`;
        return `${grad.at(gradOf(plan, u), width(u) === 1 && n > 1)} += ${term};`;
      });
    }
    for (const ch of chains.values()) {
      for (const op of [...ch.ops].reverse()) {
        const y = op.outputs[0]!;
        if (!plan.needs[y.id]) continue;
        backOf(op, `gc${y.id}_${ch.off}`, (k) => (k < op.inputs.length ? chainArg(bwd, op.inputs[k]!, ch) : `c${y.id}_${ch.off}`), (u, term) =>
          (plan.inlineOf.get(u.id) === ch.k ? `gc${u.id}_${ch.off} += ${term};`
            : `${grad.at(gradOf(plan, u), width(u) === 1 && ch.width > 1, col(ch.off))} += ${term};`));
      }
    }
    bwd.loopRows(B, true, [`for (let j = 0; j < ${n}; j++) {`, ...lines.map((l) => '  ' + l), '}']);
  } else if (item.kind === 'sum') {
    const [x] = item.op.inputs as [Value];
    const y = item.op.outputs[0]!;
    fwd.loopRows(B, false, [
      'let s = 0;',
      `for (let j = 0; j < ${item.width}; j++) s += ${fwd.at(accessOf(plan, x), false)};`,
      `${fwd.at(accessOf(plan, y), false, '0')} = s;`,
    ]);
    if (plan.needs[x.id]) {
      bwd.loopRows(B, true, [
        `const g = ${grad.at(gradOf(plan, y), false, '0')};`,
        `for (let j = 0; j < ${item.width}; j++) ${grad.at(gradOf(plan, x), false)} += g;`,
      ]);
    }
  } else {
    const y = item.op.outputs[0]!;
    const f: string[] = [], g: string[] = [];
    let at = 0;
    for (const u of item.op.inputs) {
      const n = width(u);
      f.push(`for (let j = 0; j < ${n}; j++) ${fwd.at(accessOf(plan, y), false, `j + ${at}`)} = ${fwd.at(accessOf(plan, u), false)};`);
      if (plan.needs[u.id]) {
        g.push(`for (let j = 0; j < ${n}; j++) ${grad.at(gradOf(plan, u), false)} += ${grad.at(gradOf(plan, y), false, `j + ${at}`)};`);
      }
      at += n;
    }
    fwd.loopRows(B, false, f);
    bwd.loopRows(B, true, g);
  }
  return { forward: compile(fwd.source(), fns), backward: compile(bwd.source(grad), fns) };
}

// `(a, b) => a + b`, `(_, y) => 1 - y * y`, `x => (x > 0 ? x : 0)`: an arrow whose body is an expression.
const ARROW = /^\s*(?:\(([^)]*)\)|([A-Za-z_$][\w$]*))\s*=>\s*([^{][\s\S]*)$/;

/**
 * The body of a scalar rule with its parameters replaced by `args`, when the rule is an arrow whose
 * body uses only its parameters, numbers and arithmetic / comparison operators; else null (it is then
 * called). Inlining keeps V8's inlining budget for the calls that remain (σ, tanh, exp).
 */
export function inlineRule(f: (...a: number[]) => number, args: readonly string[]): string | null {
  const m = ARROW.exec(Function.prototype.toString.call(f));
  if (!m) return null;
  const params = (m[1] ?? m[2] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const body = m[3]!.trim();
  if (/[^\w$\s.+\-*/%()?:<>=!&|]/.test(body) || /\.[A-Za-z_$]/.test(body)) return null;
  const ids = body.match(/[A-Za-z_$][\w$]*/g) ?? [];
  if (ids.some((id) => !params.includes(id))) return null;
  return `(${body.replace(/[A-Za-z_$][\w$]*/g, (id) => `(${args[params.indexOf(id)] ?? '0'})`)})`;
}

function accessOf(plan: Plan, v: Value): Access {
  const a = plan.access.get(v.id);
  if (!a) throw new CompileError(`compileCell: internal: value ${v.id} of ${plan.program.cellName}.step has no storage`);
  return a;
}

function gradOf(plan: Plan, v: Value): Access {
  const a = plan.gradAccess.get(v.id);
  const spec = a && plan.gradSlots[a.slot]!;
  if (!a || (spec!.role === 'gradAcc' && !spec!.accumulates)) {
    throw new CompileError(`compileCell: internal: value ${v.id} of ${plan.program.cellName}.step has no gradient slot kernels can add to`);
  }
  return a;
}


/** Builds one kernel's source: slot bindings, then per row the item's loops. */
class Emitter {
  private readonly used = new Map<number, number>();
  private readonly rows: string[] = [];

  constructor(private readonly arr: string, private readonly base: string, private readonly row: string) {}

  /** The element expression of access `a` at feature j (or at `col`); `broadcast` reads column 0. */
  at(a: Access, broadcast: boolean, col = 'j'): string {
    this.used.set(a.slot, a.rs);
    const cs = broadcast ? 0 : a.cs;
    const parts = [`${this.row}${a.slot}`];
    if (cs !== 0) parts.push(col);
    if (a.off !== 0) parts.push(String(a.off));
    return `${this.arr}${a.slot}[${parts.join(' + ')}]`;
  }

  loopRows(B: number, skipPadded: boolean, body: string[]): void {
    this.rows.push(`for (let b = 0; b < ${B}; b++) {`);
    if (skipPadded) this.rows.push('  if (pad !== null && pad[b] !== 0) continue;');
    this.rows.push('  @ROWS@');
    this.rows.push(...body.map((l) => '  ' + l), '}');
  }

  bindings(): string[] {
    return [...this.used.keys()].map((s) => `const ${this.arr}${s} = ${this.arr}[${s}], ${this.base}${s} = ${this.base}[${s}] | 0;`);
  }

  rowBases(): string {
    return [...this.used].map(([s, rs]) => `const ${this.row}${s} = ${this.base}${s}${rs ? ` + b * ${rs}` : ''};`).join(' ');
  }

  source(other: Emitter | null = null): string {
    const bases = [this.rowBases(), other?.rowBases() ?? ''].join(' ');
    const head = [...this.bindings(), ...(other?.bindings() ?? [])];
    return [...head, ...this.rows.map((l) => l.replace('@ROWS@', bases))].join('\n');
  }
}

function compile(body: string, fns: unknown[]): Kernel {
  const decl = fns.map((_, k) => `const F${k} = fns[${k}];`).join('\n');
  let factory: (fns: unknown[]) => Kernel;
  try {
    factory = new Function('fns', `"use strict";\n${decl}\nreturn function compiledStep(V, O, G, GO, pad) {\n${body}\n};`) as typeof factory;
  } catch (e) {
    if (e instanceof EvalError) {
      throw new CodegenUnavailableError(
        `compileCell: this environment forbids generating code (${e.message}) — a Content-Security-Policy without 'unsafe-eval'; ` +
        "allow it for compiled cells, or run the cell uncompiled (built-in cells fall back to their composed step by themselves)");
    }
    throw e;
  }
  return factory(fns);
}
