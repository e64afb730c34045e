// A cell's step as a program: trace `step` on stand-in inputs, name every value, and classify each by
// what it depends on — parameters only (P), the input x (X: hoisted out of the time loop), the state (S).
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, noGrad, trace } from '@unroll/autograd';
import type { OpSpec } from '@unroll/autograd';
import type { FloatArray } from '@unroll/core';
import { stateTensors } from '../cell.js';
import type { RecurrentCell } from '../cell.js';
import { CompileError } from './errors.js';

/** What a value depends on: P parameters/constants only, X the input too, S the state. */
export type Dependence = 'P' | 'X' | 'S';

/** One tensor of the step's program. */
export interface Value {
  readonly id: number;
  readonly shape: readonly number[];
  /** How it came to be: an op's output, the input x, a state tensor, an outside tensor (parameter), a constant. */
  readonly source: 'op' | 'x' | 'state' | 'external' | 'constant';
  readonly dep: Dependence;
  /** The producing op (source 'op'). */
  readonly producer: ProgramOp | null;
  /** The tensor itself (source 'external': read at every call, so in-place updates are seen). */
  readonly external: Tensor | null;
  /** The captured values (source 'constant': made inside step, equal in every trace). */
  readonly constant: FloatArray | null;
  /** The state path (`state.c`), source 'state'. */
  readonly path: string | null;
  /** Whether a gradient can flow to it from the outside (parameters requiring grad, x, state). */
  readonly differentiable: boolean;
}

/** One op application of the step. */
export interface ProgramOp {
  readonly index: number;
  readonly name: string;
  readonly spec: OpSpec<unknown>;
  readonly attrs: unknown;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly dep: Dependence;
}

/** The traced step: its values, its ops in execution order, and where its results are. */
export interface Program {
  readonly cellName: string;
  readonly batch: number;
  readonly dtype: 'float32' | 'float64';
  readonly values: readonly Value[];
  readonly ops: readonly ProgramOp[];
  readonly x: Value;
  /** The state tensors in `stateTensors` order, with their paths. */
  readonly stateIn: readonly Value[];
  readonly stateOut: readonly Value[];
  readonly output: Value;
  /** The state as the cell returns it (its structure is rebuilt around the results). */
  readonly stateTemplate: unknown;
}

/** The name a refusal uses for a cell: its class (`MyCell`), else 'cell'. */
export function cellName(cell: object): string {
  const name = (cell as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== 'Object' ? name : 'cell';
}

/**
 * Traces `cell.step` twice (different random inputs, same shapes), checks both runs made the same
 * program and the same constants, and returns it. Throws CompileError when they differ.
 */
export function traceStep<S>(cell: RecurrentCell<S>, batch: number, dtype: 'float32' | 'float64', stateShape: S): Program {
  const name = cellName(cell);
  const a = traceOnce(cell, name, batch, dtype, stateShape, 1, 1);
  // The second trace flips the inputs' sign, so a branch on a sign shows; a step that cannot take
  // negative inputs (log, sqrt of the state) is traced on other positive ones instead.
  let b: RawTrace;
  try {
    b = traceOnce(cell, name, batch, dtype, stateShape, 2, -1);
  } catch {
    b = traceOnce(cell, name, batch, dtype, stateShape, 2, 1);
  }
  compareTraces(name, a, b);
  return a.program;
}

interface RawTrace {
  program: Program;
  /** Per op: a signature of name, attrs, input references and shapes. */
  signatures: string[];
}

function traceOnce<S>(cell: RecurrentCell<S>, name: string, batch: number, dtype: 'float32' | 'float64',
  stateShape: S, seed: number, sign: 1 | -1): RawTrace {
  // Stand-in inputs from a private generator (the user's random stream is not touched), away from 0
  // so no kink (relu, abs) sits on an input.
  const gen = new RandomGenerator(9173 + seed);
  const standIn = (shape: readonly number[]) => new Tensor(K.randUniform([...shape], sign * 0.1, sign * 0.9, { dtype, generator: gen }));
  const x = standIn([batch, cell.inputSize]);
  const statePaths = stateTensors(stateShape);
  const stateIns = statePaths.map(([, t]) => standIn(t.shape));
  let k = 0;
  const state = mapStateLike(stateShape, () => stateIns[k++]!);

  const values: Value[] = [];
  const ops: ProgramOp[] = [];
  const byTensor = new Map<Tensor, Value>();
  const signatures: string[] = [];
  const add = (v: Omit<Value, 'id'>, t: Tensor): Value => {
    const value = { ...v, id: values.length };
    values.push(value);
    byTensor.set(t, value);
    return value;
  };
  const xv = add({ shape: x.shape, source: 'x', dep: 'X', producer: null, external: null, constant: null, path: null, differentiable: true }, x);
  const stateIn = stateIns.map((t, i) => add({
    shape: t.shape, source: 'state', dep: 'S', producer: null, external: null, constant: null, path: statePaths[i]![0], differentiable: true,
  }, t));
  const leaf = (t: Tensor): Value => {
    const known = byTensor.get(t);
    if (known) return known;
    // A tensor made without an op: outside step (a parameter, read by reference) or inside it (a
    // constant); compareTraces tells them apart (an outside tensor is the same object in both traces).
    return add({
      shape: t.shape, source: 'external', dep: 'P', producer: null, external: t, constant: null, path: null,
      differentiable: t.requiresGrad,
    }, t);
  };

  // Random draws inside step (dropout in training mode, noise) are refused: a compiled step could not
  // redraw them at every time step. Every RandomGenerator draws through nextUint32, so counting its calls
  // while tracing sees them whichever generator is used; the default one's state is put back, so
  // compiling does not move the user's random stream.
  const proto = RandomGenerator.prototype;
  const draw = proto.nextUint32;
  const before = K.defaultGenerator.getState();
  let draws = 0;
  proto.nextUint32 = function (this: RandomGenerator) { draws++; return draw.call(this); };
  let result: { state: unknown; output: Tensor };
  try {
    result = noGrad(() => trace(() => cell.step(state as S, x), observe));
  } finally {
    proto.nextUint32 = draw;
    K.defaultGenerator.setState(before);
  }
  if (draws > 0) {
    throw new CompileError(
      `compileCell: ${name}.step draws random numbers (dropout in training mode, noise), which a compiled step cannot redraw ` +
      'at every time step; apply dropout outside the cell (to xs, the outputs, or between layers with stackLayers), ' +
      'use eval() to switch it off, or run the cell uncompiled');
  }
  function observe(app: Parameters<Parameters<typeof trace>[1]>[0]): void {
    const inputs = app.inputs.map(leaf);
    const dep = inputs.reduce<Dependence>((d, v) => (v.dep === 'S' || d === 'S' ? 'S' : v.dep === 'X' || d === 'X' ? 'X' : 'P'), 'P');
    const op: ProgramOp = { index: ops.length, name: app.op, spec: app.spec, attrs: app.attrs, inputs, outputs: [], dep };
    const outputs = app.outputs.map((t) => add({
      shape: t.shape, source: 'op', dep, producer: op, external: null, constant: null, path: null, differentiable: true,
    }, t));
    (op as { outputs: readonly Value[] }).outputs = outputs;
    ops.push(op);
    signatures.push(`${app.op}(${inputs.map((v) => `${v.id}${K.fmt(v.shape)}`).join(', ')}) ${stableString(app.attrs)}`);
  }
  checkResult(name, result, batch, cell.outputSize);
  const outState = stateTensors(result.state);
  if (outState.length !== statePaths.length || outState.some(([p], i) => p !== statePaths[i]![0])) {
    throw new CompileError(`compileCell: ${name}.step returned a state of another structure than it was given ` +
      `(${outState.map(([p]) => p).join(', ')} vs ${statePaths.map(([p]) => p).join(', ')})`);
  }
  outState.forEach(([p, t], i) => {
    if (!K.sameShape(t.shape, stateIns[i]!.shape)) {
      throw new CompileError(`compileCell: ${name}.step returned ${p} ${K.fmt(t.shape)}; it was given ${K.fmt(stateIns[i]!.shape)}`);
    }
  });
  // Tensors made inside step without an op are constants; they are told apart from outside tensors
  // by comparing the two traces (an outside tensor is the same object both times).
  const resolve = (t: Tensor) => byTensor.get(t) ?? leaf(t);
  const program: Program = {
    cellName: name, batch, dtype, values, ops, x: xv, stateIn,
    stateOut: outState.map(([, t]) => resolve(t)), output: resolve(result.output), stateTemplate: result.state,
  };
  return { program, signatures };
}

function checkResult(name: string, r: unknown, batch: number, outputSize: number): asserts r is { state: unknown; output: Tensor } {
  const out = (r as { output?: unknown } | null)?.output;
  if (!(out instanceof Tensor)) throw new CompileError(`compileCell: ${name}.step must return { state, output } with output a Tensor`);
  if (!K.sameShape(out.shape, [batch, outputSize])) {
    throw new CompileError(`compileCell: ${name}.step returned output ${K.fmt(out.shape)}; expected [${batch}, ${outputSize}]`);
  }
}

/** A copy of `like`'s structure with every tensor replaced by `f()` (records and arrays rebuilt). */
export function mapStateLike(like: unknown, f: (t: Tensor) => Tensor): unknown {
  if (like instanceof Tensor) return f(like);
  if (Array.isArray(like)) return like.map((v) => mapStateLike(v, f));
  if (typeof like === 'object' && like !== null && Object.getPrototypeOf(like) === Object.prototype) {
    return Object.fromEntries(Object.entries(like).map(([k, v]) => [k, mapStateLike(v, f)]));
  }
  return like;
}

/**
 * The two traces must be one program: same ops on the same values, and every tensor made inside
 * step equal in both (a tensor made without an op that differs is random or read out of a tensor).
 */
function compareTraces(name: string, a: RawTrace, b: RawTrace): void {
  const n = Math.max(a.signatures.length, b.signatures.length);
  for (let i = 0; i < n; i++) {
    if (a.signatures[i] !== b.signatures[i]) {
      throw new CompileError(
        `compileCell: ${name}.step runs a different sequence of ops from call to call (op ${i}: ` +
        `${a.signatures[i] ?? 'nothing'} vs ${b.signatures[i] ?? 'nothing'}): it branches in JavaScript on tensor values, ` +
        'which a compiled step cannot follow; express the choice with where() / clamp() / relu(), or run it uncompiled');
    }
  }
  const va = a.program.values, vb = b.program.values;
  for (let i = 0; i < va.length; i++) {
    const u = va[i]!, w = vb[i]!;
    if (u.source !== 'external') continue;
    if (w.source !== 'external') throw new CompileError(`compileCell: ${name}.step: value ${i} differs in kind between two traces`);
    if (u.external === w.external) continue;
    // Made inside step: a constant, if both calls made the same values.
    const x = K.contiguous(u.external!.data) as FloatArray, y = K.contiguous(w.external!.data) as FloatArray;
    const same = x.length === y.length && x.every((v, k) => Object.is(v, y[k]));
    if (!same) {
      const user = u.producer === null ? a.program.ops.find((o) => o.inputs.includes(u)) : null;
      throw new CompileError(
        `compileCell: ${name}.step makes a tensor ${K.fmt(u.shape)} (read by '${user?.name ?? '?'}') whose values differ from call to call: ` +
        'values read out of a tensor (.data, .values()) or random numbers, which a compiled step cannot follow; ' +
        'compute them with tensor ops, or run the cell uncompiled');
    }
    if (u.external!.requiresGrad) continue;
    (u as { source: Value['source'] }).source = 'constant';
    (u as { constant: FloatArray | null }).constant = x.slice();
    (u as { external: Tensor | null }).external = null;
    (u as { differentiable: boolean }).differentiable = false;
  }
}

/** A deterministic string of an op's attrs (for comparing traces). */
function stableString(v: unknown): string {
  if (v === undefined) return '';
  return JSON.stringify(v, (_, x: unknown) => {
    if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    return x;
  });
}
