// An op's scalar rule (`pointwise`: its forward and partials, written as JS functions) as float32x4
// WebAssembly: the rule's own source read as an expression (arithmetic, comparisons, ?:, Math.*) and
// emitted lane-wise, so the WebAssembly kernels come from the same one copy of each op's math as the JS
// ones. A rule this cannot read (a call of some other function, a variable it closes over) gives null:
// its item then runs the generated JS kernel.
import * as K from '@unroll/core';
import { FunctionBuilder, ModuleBuilder, ValType } from '@unroll/core/internal';
import { OP, exp, mathLocals, sigmoid, simd, tanh } from './wasm-math.js';
import type { MathLocals } from './wasm-math.js';

type Node =
  | { k: 'num'; v: number }
  | { k: 'arg'; i: number }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cond'; c: Node; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] };

/** A rule in a form the emitter takes: an expression over its arguments. */
export interface RuleExpr { readonly node: Node; readonly arity: number }

/** Library functions a rule may be (or call, as Math.name), and how they are emitted. */
const INTRINSICS = new Map<unknown, string>([
  [Math.tanh, 'tanh'], [Math.exp, 'exp'], [K.sigmoidScalar, 'sigmoid'], [Math.sqrt, 'sqrt'], [Math.abs, 'abs'], [Math.sign, 'sign'],
]);
const MATH_CALLS: Record<string, number> = { tanh: 1, exp: 1, sqrt: 1, abs: 1, sign: 1, max: 2, min: 2 };

const cache = new WeakMap<object, RuleExpr | null>();

/**
 * `fn` as an expression of its arguments, or null when it cannot be read: a library function above, a
 * constant rule (no parameters: its value), a partial made by autograd's unary ops (carrying the rule
 * of y it applies, as `output`), or an arrow / function whose body is one expression of its parameters.
 */
export function ruleExpr(fn: (...a: number[]) => number, arity: number): RuleExpr | null {
  if (cache.has(fn)) return cache.get(fn)!;
  let out: RuleExpr | null = null;
  try {
    const known = INTRINSICS.get(fn);
    const output = (fn as { output?: unknown }).output;
    if (known) out = { node: { k: 'call', fn: known, args: Array.from({ length: Math.max(1, fn.length) }, (_, i) => ({ k: 'arg', i })) }, arity };
    else if (fn.length === 0) {
      const v = (fn as () => number)();
      if (typeof v === 'number') out = { node: { k: 'num', v }, arity };
    } else if (typeof output === 'function') {
      const inner = ruleExpr(output as (y: number) => number, 1);
      // (x, y) ↦ output(y): the inner rule's argument 0 is this one's last.
      if (inner) out = { node: remap(inner.node, () => ({ k: 'arg', i: arity })), arity };
    } else out = parseRule(Function.prototype.toString.call(fn));
  } catch {
    out = null;
  }
  cache.set(fn, out);
  return out;
}

/** The argument indices an expression reads. */
export function argsOf(e: RuleExpr): Set<number> {
  const out = new Set<number>();
  const walk = (n: Node): void => {
    if (n.k === 'arg') out.add(n.i);
    else if (n.k === 'un') walk(n.a);
    else if (n.k === 'bin') { walk(n.a); walk(n.b); }
    else if (n.k === 'cond') { walk(n.c); walk(n.a); walk(n.b); }
    else if (n.k === 'call') n.args.forEach(walk);
  };
  walk(e.node);
  return out;
}

function remap(n: Node, arg: (i: number) => Node): Node {
  switch (n.k) {
    case 'num': return n;
    case 'arg': return arg(n.i);
    case 'un': return { ...n, a: remap(n.a, arg) };
    case 'bin': return { ...n, a: remap(n.a, arg), b: remap(n.b, arg) };
    case 'cond': return { k: 'cond', c: remap(n.c, arg), a: remap(n.a, arg), b: remap(n.b, arg) };
    case 'call': return { ...n, args: n.args.map((x) => remap(x, arg)) };
  }
}

const FORMS = [
  /^\s*(?:async\s+)?\(([^)]*)\)\s*=>\s*([\s\S]*)$/,
  /^\s*([A-Za-z_$][\w$]*)\s*=>\s*([\s\S]*)$/,
  /^\s*function\b[^(]*\(([^)]*)\)\s*([\s\S]*)$/,
];

function parseRule(src: string): RuleExpr | null {
  let params: string[] | null = null, body = '';
  for (const re of FORMS) {
    const m = re.exec(src);
    if (m) { params = m[1]!.split(',').map((s) => s.trim()).filter(Boolean); body = m[2]!.trim(); break; }
  }
  if (!params || params.some((p) => !/^[A-Za-z_$][\w$]*$/.test(p))) return null;
  if (body.startsWith('{')) {
    const m = /^\{\s*return\s+([\s\S]*?);?\s*\}$/.exec(body);
    if (!m) return null;
    body = m[1]!;
  }
  const node = new Parser(body, params).parse();
  return node ? { node, arity: params.length } : null;
}

const TOKEN = /\s*(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[A-Za-z_$][\w$]*|===|!==|==|!=|<=|>=|&&|\|\||\*\*|[-+*/%()?:,<>!.])/y;

class Parser {
  private readonly toks: string[] = [];
  private at = 0;
  private ok = true;

  constructor(src: string, private readonly params: readonly string[]) {
    let pos = 0;
    for (;;) {
      TOKEN.lastIndex = pos;
      const m = TOKEN.exec(src);
      if (!m) break;
      this.toks.push(m[1]!);
      pos = TOKEN.lastIndex;
    }
    // Everything must have been read as tokens (a string, a template, a regex… make the rule unreadable).
    if (src.slice(pos).trim() !== '') this.ok = false;
  }

  parse(): Node | null {
    if (!this.ok) return null;
    const n = this.cond();
    return n && this.at === this.toks.length ? n : null;
  }

  private peek(): string | undefined { return this.toks[this.at]; }
  private eat(t: string): boolean {
    if (this.toks[this.at] === t) { this.at++; return true; }
    return false;
  }

  private cond(): Node | null {
    const c = this.binary(0);
    if (!c || !this.eat('?')) return c;
    const a = this.cond();
    if (!a || !this.eat(':')) return null;
    const b = this.cond();
    return b && { k: 'cond', c, a, b };
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'], ['&&'], ['===', '!==', '==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/'],
  ];

  private binary(level: number): Node | null {
    if (level === Parser.LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    while (a && Parser.LEVELS[level]!.includes(this.peek() ?? '')) {
      const op = this.toks[this.at++]!;
      const b = this.binary(level + 1);
      if (!b) return null;
      a = { k: 'bin', op, a, b };
    }
    return a;
  }

  private unary(): Node | null {
    if (this.eat('-')) { const a = this.unary(); return a && { k: 'un', op: '-', a }; }
    if (this.eat('+')) return this.unary();
    if (this.eat('!')) { const a = this.unary(); return a && { k: 'un', op: '!', a }; }
    const a = this.primary();
    if (a && this.eat('**')) {
      // x ** 2 only (as x·x).
      const b = this.unary();
      return b && b.k === 'num' && b.v === 2 ? { k: 'bin', op: '*', a, b: a } : null;
    }
    return a;
  }

  private primary(): Node | null {
    const t = this.toks[this.at++];
    if (t === undefined) return null;
    if (t === '(') {
      const n = this.cond();
      return n && this.eat(')') ? n : null;
    }
    if (/^[\d.]/.test(t)) return { k: 'num', v: Number(t) };
    if (t === 'Infinity') return { k: 'num', v: Infinity };
    const i = this.params.indexOf(t);
    if (i >= 0) return { k: 'arg', i };
    if (t === 'Math' && this.eat('.')) {
      const name = this.toks[this.at++] ?? '';
      if (name === 'PI' || name === 'E' || name === 'LN2' || name === 'SQRT2') return { k: 'num', v: Math[name] };
      const n = MATH_CALLS[name];
      if (n === undefined || !this.eat('(')) return null;
      const args: Node[] = [];
      for (let k = 0; k < n; k++) {
        if (k > 0 && !this.eat(',')) return null;
        const a = this.cond();
        if (!a) return null;
        args.push(a);
      }
      return this.eat(')') ? { k: 'call', fn: name, args } : null;
    }
    return null;
  }
}

/**
 * Emits `e` with its arguments read from the v128 locals `args` (a partial's argument `arity` is y),
 * leaving the f32x4 result on the stack. Booleans are lane masks; a number used as a condition is true
 * where it is nonzero and not NaN (as in JS). Only for expressions `emittable` accepts.
 */
export function emitRule(f: FunctionBuilder, e: RuleExpr, args: readonly number[], m: MathLocals): void {
  if (kind(e.node) !== 'n') throw new Error('emitRule: the rule is not a number');
  emit(f, e.node, args, m);
}

/** Whether an expression can be emitted (its parts are numbers and booleans where each belongs). */
export function emittable(e: RuleExpr): boolean {
  try {
    return kind(e.node) === 'n';
  } catch {
    return false;
  }
}

type Kind = 'n' | 'b';
function kind(n: Node): Kind {
  const need = (x: Node, k: Kind) => { if (kind(x) !== k) throw new Error('mixed'); };
  switch (n.k) {
    case 'num': case 'arg': return 'n';
    case 'un': if (n.op === '-') { need(n.a, 'n'); return 'n'; } need(n.a, 'b'); return 'b';
    case 'bin':
      if (n.op === '&&' || n.op === '||') { need(n.a, 'b'); need(n.b, 'b'); return 'b'; }
      need(n.a, 'n'); need(n.b, 'n');
      return ['+', '-', '*', '/'].includes(n.op) ? 'n' : 'b';
    case 'cond': {
      kind(n.c);
      const k = kind(n.a);
      need(n.b, k);
      return k;
    }
    case 'call': n.args.forEach((a) => need(a, 'n')); return 'n';
  }
}

const CMP: Record<string, number> = { '===': OP.eq, '==': OP.eq, '!==': OP.ne, '!=': OP.ne, '<': OP.lt, '>': OP.gt, '<=': OP.le, '>=': OP.ge };

function emit(f: FunctionBuilder, n: Node, args: readonly number[], m: MathLocals): void {
  switch (n.k) {
    case 'num': f.f32x4Const(n.v); return;
    case 'arg': f.get(args[n.i]!); return;
    case 'un':
      emit(f, n.a, args, m);
      simd(f, n.op === '-' ? OP.neg : OP.not);
      return;
    case 'bin': {
      emit(f, n.a, args, m);
      emit(f, n.b, args, m);
      switch (n.op) {
        case '+': f.f32x4Add(); return;
        case '-': f.f32x4Sub(); return;
        case '*': f.f32x4Mul(); return;
        case '/': f.f32x4Div(); return;
        case '&&': simd(f, OP.and); return;
        case '||': simd(f, OP.or); return;
        default: simd(f, CMP[n.op]!); return;
      }
    }
    case 'cond': {
      // bitselect(a, b, mask): both sides are computed (pure arithmetic), the mask picks per lane.
      emit(f, n.a, args, m);
      emit(f, n.b, args, m);
      emitCondition(f, n.c, args, m);
      simd(f, OP.bitselect);
      return;
    }
    case 'call': {
      for (const a of n.args) emit(f, a, args, m);
      switch (n.fn) {
        case 'tanh': tanh(f, m); return;
        case 'sigmoid': sigmoid(f, m); return;
        case 'exp': exp(f, m); return;
        case 'sqrt': simd(f, OP.sqrt); return;
        case 'abs': simd(f, OP.abs); return;
        case 'max': f.f32x4Max(); return;
        case 'min': f.f32x4Min(); return;
        case 'sign':
          // (x > 0) − (x < 0), with NaN kept: select(x, that, x ≠ x).
          f.set(m.x);
          f.get(m.x).f32x4Const(1).f32x4Const(0).get(m.x).f32x4Const(0); simd(f, OP.gt); simd(f, OP.bitselect);
          f.f32x4Const(1).f32x4Const(0).get(m.x).f32x4Const(0); simd(f, OP.lt); simd(f, OP.bitselect);
          f.f32x4Sub();
          f.get(m.x).get(m.x); simd(f, OP.ne); simd(f, OP.bitselect);
          return;
      }
    }
  }
}

/** Pushes the lane mask of a condition: a boolean as is, a number where it is nonzero and not NaN. */
function emitCondition(f: FunctionBuilder, c: Node, args: readonly number[], m: MathLocals): void {
  emit(f, c, args, m);
  if (kind(c) === 'b') return;
  f.set(m.r);
  f.get(m.r).f32x4Const(0); simd(f, OP.ne);
  f.get(m.r).get(m.r); simd(f, OP.eq);
  simd(f, OP.and);
}

/**
 * For tests: `fn` (a rule of `arity` inputs, y last for a partial) emitted as WebAssembly and run lane-wise
 * over `columns` (one Float32Array per argument, lengths a multiple of 4); null when it cannot be emitted
 * or the engine has no WebAssembly SIMD.
 */
export function ruleKernelForTest(fn: (...a: number[]) => number, arity: number, columns: readonly Float32Array[]): Float32Array | null {
  const e = ruleExpr(fn, arity);
  const api = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
    Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> } } }).WebAssembly;
  if (!e || !emittable(e) || !api) return null;
  const n = columns[0]!.length, pages = Math.ceil((4 * n * (columns.length + 1)) / 65536) + 1;
  const f = new FunctionBuilder([ValType.i32]);
  const m = mathLocals(f);
  const i = f.local(ValType.i32);
  const args = columns.map(() => f.local(ValType.v128));
  f.i32Const(0).set(i).block().loop();
  f.get(i).get(0).i32GeS().brIf(1);
  columns.forEach((_, k) => { f.get(i).v128Load(4 * n * (k + 1)).set(args[k]!); });
  f.get(i);
  emitRule(f, e, args, m);
  f.v128Store().get(i).i32Const(16).i32Add().set(i).br(0).end().end();
  const memory = new api.Memory({ initial: pages });
  const inst = new api.Instance(new api.Module(new ModuleBuilder().importMemory('env', 'memory', pages).addFunction('run', f).encode()), { env: { memory } });
  columns.forEach((c, k) => new Float32Array(memory.buffer, 4 * n * (k + 1), n).set(c));
  inst.exports['run']!(4 * n);
  return new Float32Array(memory.buffer, 0, n).slice();
}
