// compileCell: any cell at fused speed. The compiled cell keeps the protocol (step runs the composed
// path) and gives `unroll` a whole-sequence path: hoisted input work, per-step gemms, generated kernels.
import * as K from '@unroll/core';
import { Module, RandomGenerator, Tensor, enableGrad, isGradEnabled, mul, narrow, noGrad, permute, sum } from '@unroll/autograd';
import { stateTensors } from '../cell.js';
import type { InitialStateOptions, RecurrentCell, StateOf } from '../cell.js';
import { unroll } from '../unroll.js';
import type { FusedUnroll, FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { generateKernels } from './codegen.js';
import { CompileError } from './errors.js';
import { hoist } from './hoist.js';
import { makePlan } from './plan.js';
import { cellName, mapStateLike, traceStep } from './program.js';
import type { Program } from './program.js';
import { runCompiled } from './sequence.js';
import type { Compiled } from './sequence.js';

export interface CompileCellOptions {
  /**
   * On the first use of each (batch, dtype, train/eval) combination, run the composed step loop on the
   * same batch and compare outputs and final state; throw a CompileError naming the largest error and
   * where it is when they disagree. Default true.
   */
  verify?: boolean;
  /**
   * The largest difference `verify` accepts, relative to max(1, |composed value|). Default 1e-9 in
   * float64 and 1e-3 in float32 (whose compiled kernels use fast σ / tanh / exp, exact to float32 rounding).
   */
  tolerance?: number;
}

const OPTIONS = ['verify', 'tolerance'];

/** A cell compiled by `compileCell`: the cell itself (same fields, parameters, state dict) plus `fusedUnroll`. */
export type CompiledCell<C> = C & FusedUnroll<StateOf<C>> & {
  /** The cell that was compiled (its step is the definition the compiled sequence is checked against). */
  readonly uncompiled: C;
};

/**
 * Compiles `cell` for whole sequences: `unroll` (and everything built on it: stackLayers,
 * bidirectional, the seq2seq Encoder, tbptt, the RNN/LSTM/GRU modules) then runs it as one op —
 * what reads only x and parameters hoisted out of the time loop (an input projection is one gemm
 * [T·B, I]·Wᵀ), per step one gemm per recurrent weight and one generated kernel for all the
 * elementwise work, and backward through time the same way with each weight's gradient one gemm
 * over all steps.
 *
 * The result IS the cell, seen through a compiled view: same inputSize / outputSize / initialState,
 * `step` is the cell's own (composed) step, its parameters are the cell's tensors (an optimizer over
 * either trains both; a Module stays a Module with the same state dict; train()/eval() are shared).
 *
 * A compiled step is a straight-line function of (state, x, parameters) made of library ops:
 * elementwise ops (any op with a scalar rule, yours too), matmul of a state-dependent [batch, k] value
 * by a parameter, slices / split / narrow / concat along the features, sum or mean over the features
 * (layer norm), reshape / expand that keep [batch, features]. Ops that read x and parameters only may
 * also be anything row-wise (they run once over all steps). Refused, with the op and the cell named:
 * other ops on the state (gather, softmax, …); a step whose ops differ between calls (a JS branch on
 * tensor values); tensors made inside step whose values differ between calls (dropout in training
 * mode, noise, values read out of tensors). Each is checked when a sequence is first compiled.
 */
let suspended = 0;

/**
 * Runs `fn` with every compiled cell (and built-in variant that would run compiled) stepping its
 * composed definition instead, op by op — what `exportOnnx` records, since ONNX cannot hold the
 * generated kernels. Nests; `fn` must be synchronous.
 */
export function withoutCompilation<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

/** Whether `withoutCompilation` is running. */
export const compilationSuspended = (): boolean => suspended > 0;

export function compileCell<C extends RecurrentCell<any>>(cell: C, opts: CompileCellOptions = {}): CompiledCell<C> {
  if (typeof cell !== 'object' || cell === null || typeof cell.step !== 'function' || typeof cell.initialState !== 'function') {
    throw new TypeError('compileCell: cell must be a RecurrentCell (step(state, x), initialState(batch), inputSize, outputSize)');
  }
  for (const k of Object.keys(opts)) if (!OPTIONS.includes(k)) throw new TypeError(`compileCell: unknown option '${k}' (known: ${OPTIONS.join(', ')})`);
  if (opts.verify !== undefined && typeof opts.verify !== 'boolean') throw new TypeError(`compileCell: verify must be a boolean; got ${String(opts.verify)}`);
  if (opts.tolerance !== undefined && !(opts.tolerance > 0)) throw new RangeError(`compileCell: tolerance must be a positive number; got ${String(opts.tolerance)}`);
  const source = (cell as unknown as { uncompiled?: C }).uncompiled ?? cell;
  const settings = { verify: opts.verify ?? true, tolerance: opts.tolerance };
  const view = Object.create(source) as CompiledCell<C>;
  Object.defineProperties(view, {
    uncompiled: { value: source },
    step: { value: (state: StateOf<C>, x: Tensor) => source.step(state, x) },
    initialState: { value: (batch: number, o?: InitialStateOptions) => source.initialState(batch, o) },
    fusedUnroll: {
      // null while compilation is suspended: the runner then steps the cell (its primitive ops).
      value: (xs: Tensor, args: FusedUnrollArgs<StateOf<C>>) => (suspended > 0 ? null : compiledUnroll(source, xs, args, settings)),
    },
  });
  // train()/eval() on the view switch the cell itself (dropout, and which program is compiled).
  if (source instanceof Module) {
    Object.defineProperty(view, 'training', {
      get: () => source.training,
      set: (v: boolean) => { source.training = v; },
    });
  }
  return view;
}

interface Settings { verify: boolean; tolerance: number | undefined }

// Per cell: the compiled programs by (batch, dtype, mode, state shapes), and which were verified.
const programs = new WeakMap<object, Map<string, { compiled: Compiled; verified: boolean }>>();

/**
 * The whole sequence through a compiled step (what a compiled cell's `fusedUnroll` runs; the built-in
 * cells call it for the variants without a hand-written kernel). Compiles on first use of a key.
 */
export function compiledUnroll<S>(cell: RecurrentCell<S>, xs: Tensor, args: FusedUnrollArgs<S>, settings: Settings): UnrollResult<S> {
  const name = cellName(cell);
  if (xs.dtype === 'int32') throw new K.DTypeError(`compileCell: ${name}: xs must be float32 or float64; got int32`);
  const dtype = xs.dtype as 'float32' | 'float64';
  const time = xs.shape[args.batchFirst ? 1 : 0]!, batch = xs.shape[args.batchFirst ? 0 : 1]!;
  const state0 = stateTensors(args.initialState);
  for (const [path, t] of state0) {
    if (t.dtype !== dtype) throw new K.DTypeError(`compileCell: ${name}: ${path} is ${t.dtype} but xs is ${dtype}; convert one with .to('${dtype}')`);
  }
  const training = (cell as { training?: unknown }).training === true;
  const key = `${batch}|${dtype}|${training}|${state0.map(([p, t]) => `${p}${K.fmt(t.shape)}`).join(',')}`;
  let cache = programs.get(cell);
  if (!cache) programs.set(cell, (cache = new Map()));
  let entry = cache.get(key);
  if (!entry) {
    const program = withComposedSteps(cell, () => traceStep(cell, batch, dtype, args.initialState));
    const plan = makePlan(program);
    entry = { compiled: { plan, kernels: generateKernels(plan) }, verified: !settings.verify };
    cache.set(key, entry);
  }
  const { plan } = entry.compiled;
  const xsTM = args.batchFirst ? permute(xs, [1, 0, 2]) : xs;
  const { xInputs, pInputs, x2d } = hoist(plan, xsTM);
  const stateIns = state0.map(([, t]) => t);
  const inputs = [...xInputs, ...pInputs, ...stateIns, ...(plan.projections.length ? [x2d] : [])];
  const record = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const lengths = args.lengths === null ? null : Int32Array.from(args.lengths);
  const [ys, ...finals] = runCompiled(entry.compiled, time, inputs, args.reverse, lengths, record);
  let k = 0;
  const result: UnrollResult<S> = {
    outputs: args.batchFirst ? permute(ys!, [1, 0, 2]) : ys!,
    state: mapStateLike(args.initialState, () => finals[k++]!) as S,
  };
  if (!entry.verified && settings.verify) {
    entry.verified = true;
    try {
      verify(cell, name, xs, args, plan.program, settings.tolerance ?? (dtype === 'float64' ? 1e-9 : 1e-3), settings);
    } catch (e) {
      entry.verified = false;
      throw e;
    }
  }
  return result;
}

/**
 * Runs `fn` with every `fused` flag in the cell (built-in cells, also inside stacks) switched off, so
 * the trace sees the composed definition rather than a hand-written fused op.
 */
function withComposedSteps<T>(cell: object, fn: () => T): T {
  const flagged = (cell instanceof Module ? cell.namedModules().map(([, m]) => m as object) : [cell])
    .filter((m) => typeof (m as { fused?: unknown }).fused === 'boolean') as { fused: boolean }[];
  const before = flagged.map((m) => m.fused);
  flagged.forEach((m) => { m.fused = false; });
  try {
    return fn();
  } finally {
    flagged.forEach((m, i) => { m.fused = before[i]!; });
  }
}

/** Steps `verify` compares in float32 (see there). */
const FLOAT32_VERIFY_STEPS = 16;

/**
 * Compares compiled and composed on this batch, values and gradients; throws on disagreement. Values:
 * outputs and final state. Gradients: of a fixed random contraction of outputs and final state, w.r.t.
 * xs, the initial state and every parameter the step reads (skipped when one of those parameters is
 * itself computed by recorded ops: its upstream gradients would be touched); the parameters' own .grad
 * are left as they were. float64 compares the whole sequence; float32 its first 16 steps (over long
 * sequences rounding differences grow, in some cells, as far as they do between any two float32
 * implementations — a layer-norm LSTM over 64 steps differs from its own float64 run by ~1e-2 —
 * while a wrong kernel shows at the first step). Errors are relative to max(1, the composed tensor's
 * largest |value|).
 */
function verify<S>(cell: RecurrentCell<S>, name: string, xs0: Tensor, args0: FusedUnrollArgs<S>, program: Program, tol: number,
  settings: Settings): void {
  const timeAxis = args0.batchFirst ? 1 : 0;
  const T = xs0.shape[timeAxis]!;
  const steps = xs0.dtype === 'float32' ? Math.min(T, FLOAT32_VERIFY_STEPS) : T;
  // A prefix of the sequence (the first `steps` steps in time order; reverse runs it backwards, as on the whole).
  const xs = steps === T ? xs0 : noGrad(() => narrow(xs0, timeAxis, 0, steps));
  const args: FusedUnrollArgs<S> = { ...args0, lengths: args0.lengths === null ? null : args0.lengths.map((l) => Math.min(l, steps)) };
  const composed: RecurrentCell<S> = {
    inputSize: cell.inputSize, outputSize: cell.outputSize,
    initialState: (b, o) => cell.initialState(b, o), step: (s, x) => cell.step(s, x),
  };
  const compiled: RecurrentCell<S> & FusedUnroll<S> = {
    ...composed, fusedUnroll: (x, a) => compiledUnroll(cell, x, a, settings),
  };
  const opts = (initialState: S) => ({
    batchFirst: args.batchFirst, reverse: args.reverse, initialState, ...(args.lengths ? { lengths: args.lengths } : {}),
  });
  const worst = { err: 0, where: '', a: 0, b: 0 };
  const compare = (what: string, a: Tensor | null, b: Tensor | null) => {
    if (!a || !b) return;
    const x = K.contiguous(a.data), y = K.contiguous(b.data);
    let scale = 1;
    for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
    const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((m, d) => m * d, 1));
    for (let i = 0; i < x.length; i++) {
      const err = Math.abs(x[i]! - y[i]!) / scale;
      if (!(err <= worst.err)) {
        Object.assign(worst, { err, where: `${what}[${strides.map((s, d) => Math.floor(i / s) % a.shape[d]!).join(', ')}]`, a: x[i]!, b: y[i]! });
      }
    }
  };
  const fail = (what: string) => new CompileError(
    `compileCell: ${name} compiled and composed disagree on this batch${what}: largest error ${worst.err.toExponential(2)} ` +
    `(tolerance ${tol}) at ${worst.where}: compiled ${worst.a}, composed ${worst.b}. An op's scalar rule (pointwise) ` +
    'may not match its forward or backward, or the step may depend on something the trace did not see; run it uncompiled, or report it');

  // Values.
  const [got, want] = noGrad(() => [unroll(compiled, xs, opts(args.initialState)), unroll(composed, xs, opts(args.initialState))]);
  compare('outputs', got!.outputs, want!.outputs);
  const gs = stateTensors(got!.state), ws = stateTensors(want!.state);
  gs.forEach(([p, t], i) => compare(p, t, ws[i]![1]));
  if (!(worst.err <= tol)) throw fail('');

  // Gradients, with copies of xs and the initial state as leaves and the parameters' .grad put back after.
  const params = [...new Set(program.values.filter((v) => v.source === 'external' && v.differentiable).map((v) => v.external!))];
  if (params.some((t) => t.node !== null)) return;
  const g = new RandomGenerator(1);
  const leaf = (t: Tensor) => new Tensor(t.data, { requiresGrad: true });
  const x = leaf(xs);
  const state0 = mapStateLike(args.initialState, (t) => leaf(t)) as S;
  const state0s = stateTensors(state0).map(([, t]) => t);
  const weights = [got!.outputs, ...gs.map(([, t]) => t)].map((t) => new Tensor(K.randUniform(t.shape, -1, 1, { dtype: t.dtype as 'float32' | 'float64', generator: g })));
  const before = params.map((p) => p.grad);
  const gradients = (c: RecurrentCell<S>): (Tensor | null)[] => {
    for (const t of [x, ...state0s, ...params]) t.grad = null;
    enableGrad(() => {
      const r = unroll(c, x, opts(state0));
      let loss = sum(mul(r.outputs, weights[0]!));
      stateTensors(r.state).forEach(([, t], i) => { loss = loss.add(sum(mul(t, weights[1 + i]!))); });
      loss.backward();
    });
    return [x, ...state0s, ...params].map((t) => t.grad);
  };
  let a: (Tensor | null)[], b: (Tensor | null)[];
  try {
    a = gradients(compiled);
    b = gradients(composed);
  } finally {
    params.forEach((p, i) => { p.grad = before[i]!; });
  }
  const names = ['d xs', ...stateTensors(state0).map(([p]) => `d ${p}`), ...params.map((_, i) => `d parameter ${i}${paramName(cell, params[i]!)}`)];
  a.forEach((t, i) => compare(names[i]!, t, b[i]!));
  if (!(worst.err <= tol)) throw fail(' in a gradient');
}

/** ` (name)` of a parameter when the cell is a Module that names it. */
function paramName(cell: object, p: Tensor): string {
  if (!(cell instanceof Module)) return '';
  const hit = cell.namedParameters().find(([, q]) => q === p);
  return hit ? ` (${hit[0]})` : '';
}
