// defineOp: the one way an op gets a forward and a backward rule; every op registers here.
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';
import { checkFinite, isGradEnabled } from './mode.js';
import type { GradThunk, Node } from './node.js';
import { pointwiseBackward, pointwiseForward } from './pointwise.js';
import type { PointwiseRule } from './pointwise.js';
import { inputList, named, presentPositions, savePlan, position, toPositions } from './op-arguments.js';
import type { SavePlan } from './op-arguments.js';
import { SavedVersions } from './saved-versions.js';
import { Tensor } from './tensor.js';
import { activeTracer } from './trace.js';

export type { PointwiseRule } from './pointwise.js';

/**
 * Values of an op's inputs, readable by name (`({ a, b }) =>`) and by position (`([a, b]) =>`,
 * which variadic ops such as concat use). An absent optional input is null.
 */
export type Named<N extends string, T, P extends string = never> =
  readonly T[] & { readonly [K in Exclude<N, P>]: T } & { readonly [K in P]: T | null };

/** What backward may read, by name: input names and 'output' (the first output), or a shorthand. */
export type SaveSpec<N extends string> = readonly (N | 'output')[] | 'inputs' | 'output' | 'both' | 'none';

/** Gradient thunks by input name, or in input order (variadic ops); a missing entry means no gradient. */
export type Gradients<N extends string> =
  { readonly [K in N]?: GradThunk } | readonly (GradThunk | undefined | null)[];

/** What forward learns besides its inputs. */
export interface ForwardContext {
  /** Whether this application is recorded for backward (else forward may use scratch memory for what only backward reads). */
  readonly recording: boolean;
}

/** Several outputs, and anything only backward reads (handed to `release` when the node is freed). */
export interface ForwardResult<S> {
  outputs: readonly NdArray[];
  saved?: S;
}

/** What a backward rule can read. Rules return output-shaped gradients; the engine sums broadcast axes. */
export interface BackwardContext<A = unknown, N extends string = string, P extends string = never, S = unknown> {
  /** Gradient of the (first) output. */
  dy: NdArray;
  /** Gradients of every output (zeros for outputs that received none). */
  dys: readonly NdArray[];
  /** The inputs named in `save`, by name, and whatever forward returned as `saved`. */
  saved: { readonly [K in Exclude<N, P>]: NdArray } & { readonly [K in P]: NdArray | null } & S;
  /** The first output (when `save` names 'output'). */
  output: NdArray;
  /** The saved inputs and outputs by position (for variadic ops and multi-output rules). */
  inputs: readonly NdArray[];
  outputs: readonly NdArray[];
  attrs: A;
  /** Input shapes, always available: never save a tensor just to read its shape. */
  shapes: Named<N, readonly number[], P>;
  /** Whether each input needs a gradient (to skip work no thunk will be asked for). */
  needs: Named<N, boolean>;
}

export interface OpSpec<A = unknown, N extends string = string, P extends N = never, S = unknown> {
  /** Unique name, shown in errors and anomaly reports. */
  name: string;
  /** Input names in order (`['a', 'b'] as const`), or 'variadic' for a list (concat). */
  inputs: readonly N[] | 'variadic';
  /** Inputs that may be absent (null or left out): forward and backward see null, no gradient flows. */
  optional?: readonly P[];
  /** Inputs that never get a gradient (ids, masks), by name (or position); they may be int32. */
  nondifferentiable?: readonly (N | number)[];
  /**
   * Whether int32 values may flow through the other inputs too (ops that only move elements:
   * token ids get reshaped, sliced and concatenated). An int32 result never records a graph.
   */
  acceptsInt32?: boolean;
  /**
   * What backward may read, declared by name: inputs and 'output' (or 'inputs', 'output', 'both',
   * 'none' — the default). Saved tensors are checked for in-place changes before backward reads them.
   */
  save?: SaveSpec<N>;
  /** The scalar rule of an elementwise op; forward and backward default to kernels derived from it. */
  pointwise?(attrs: A): PointwiseRule;
  /** Computes the outputs from plain ndarrays; return `{ outputs, saved }` for several outputs or extra state. */
  forward?(inputs: Named<N, NdArray, P>, attrs: A, ctx: ForwardContext): NdArray | ForwardResult<S>;
  /** One gradient thunk per input, by name. */
  backward?(ctx: BackwardContext<A, N, P, S>): Gradients<N>;
  /**
   * Called once with forward's `saved` when the recorded node is freed — after its backward, unless
   * the graph is retained — so an op can recycle buffers that only backward read (fused RNN layers
   * do, to keep the garbage collector idle). Never called for a graph that is not walked.
   */
  release?(saved: S, attrs: A): void;
}

/** An op's inputs when applied: in order (null for an absent optional one), or by name. */
export type OpInputs<N extends string, P extends string> =
  readonly (Tensor | null | undefined)[] | ({ readonly [K in Exclude<N, P>]: Tensor } & { readonly [K in P]?: Tensor | null });

type AttrsArg<A> = undefined extends A ? [attrs?: A] : [attrs: A];

export interface Op<A = unknown, N extends string = string, P extends string = never> {
  readonly name: string;
  /** Runs the op on tensors, recording it when gradients are needed; returns the first output. */
  apply(inputs: OpInputs<N, P>, ...attrs: AttrsArg<A>): Tensor;
  /** Same, returning every output. */
  applyMulti(inputs: OpInputs<N, P>, ...attrs: AttrsArg<A>): Tensor[];
}

const registry = new Map<string, OpSpec<never, string, never, never>>();

/** The names of every op defined so far (a test pins this list). */
export const registeredOps = (): string[] => [...registry.keys()].sort();

/** The spec registered under `name` (for tools that read a recorded graph: compilers, exporters). */
export const opSpec = (name: string): OpSpec<unknown> | undefined => registry.get(name) as OpSpec<unknown> | undefined;

/**
 * Defines a differentiable op from a forward on core kernels and its backward rule.
 * Fused kernels (e.g. a whole LSTM step) and users' own ops use this too.
 * @example
 * const mulOp = defineOp({
 *   name: 'myMul', inputs: ['a', 'b'] as const, save: ['a', 'b'],
 *   forward: ({ a, b }) => K.mul(a, b),
 *   backward: ({ dy, saved: { a, b } }) => ({ a: () => K.mul(dy, b), b: () => K.mul(dy, a) }),
 * });
 * const z = mulOp.apply({ a: x, b: y });
 */
export function defineOp<A = undefined, const N extends string = string, const P extends N = never, S = unknown>(
  spec: OpSpec<A, N, P, S>,
): Op<A, N, P> {
  const s = spec as OpSpec<A, string, string, S>;
  const { name } = s;
  if (registry.has(name)) throw new Error(`defineOp: an op named '${name}' already exists`);
  const names = s.inputs === 'variadic' ? null : [...s.inputs];
  names?.forEach((n) => {
    if (n === 'length' || /^\d+$/.test(n)) throw new TypeError(`defineOp: ${name}: input name '${n}' is reserved (inputs are also read by position)`);
  });
  const optional = new Set<number>((s.optional ?? []).map((n) => position(name, names, n)));
  const nondiff = new Set<number>((s.nondifferentiable ?? []).map((n) => position(name, names, n)));
  const plan = savePlan(name, names, s.save ?? 'none');
  // An elementwise op may give only its scalar rule: both kernels are derived from it.
  const rules = s.pointwise;
  const forward = s.forward ?? (rules ? (xs: Named<string, NdArray>, attrs: A) => pointwiseForward(name, rules(attrs), xs, nondiff) : null);
  const rule = s.backward ?? (rules ? (ctx: BackwardContext<A, string, string, S>) => pointwiseBackward(rules(ctx.attrs), ctx, plan, nondiff) : null);
  if (!forward || !rule) throw new TypeError(`defineOp: ${name}: give forward and backward, or a pointwise rule to derive them from`);
  registry.set(name, spec as unknown as OpSpec<never, string, never, never>);
  const nameOf = (i: number) => names?.[i] ?? `#${i}`;

  const applyMulti = (given: OpInputs<string, string>, attrs: A): Tensor[] => {
    const inputs = inputList(name, names, optional, given);
    // NOTE: plain loops and few allocations: an unrolled RNN applies small ops by the thousand.
    let dtype: K.DType | null = null;
    let recording = false;
    const n = inputs.length;
    const needs = new Array<boolean>(n);
    const values = new Array<NdArray | null>(n);
    for (let i = 0; i < n; i++) {
      const t = inputs[i]!;
      needs[i] = false;
      values[i] = t === null ? null : t.data;
      if (t === null || nondiff.has(i)) continue;
      if (t.dtype === 'int32' && !s.acceptsInt32) {
        throw new K.DTypeError(`${name}: input '${nameOf(i)}' must be float32 or float64; got int32 (cast with .to('float32'))`);
      }
      if (dtype !== null && t.dtype !== dtype) {
        // Suggest the float dtype when int32 meets a float (casting floats to int32 loses them).
        const to = dtype === 'int32' ? t.dtype : dtype;
        throw new K.DTypeError(`${name}: inputs mix ${dtype} and ${t.dtype}; cast one with .to('${to}')`);
      }
      dtype = t.dtype;
      needs[i] = t.requiresGrad;
      recording ||= t.requiresGrad;
    }
    recording &&= isGradEnabled();
    const result = forward(named(names, values) as Named<string, NdArray>, attrs, recording ? RECORDING : NOT_RECORDING);
    const outputs = 'outputs' in result ? [...result.outputs] : [result];
    const extra = 'outputs' in result ? result.saved : undefined;
    outputs.forEach((o, j) => checkFinite(o.data, () => `op '${name}' output ${j} ${K.fmt(o.shape)}`));

    if (!recording) return traced(inputs, attrs, outputs.map((o) => new Tensor(o)));

    // The node lists the inputs given (an absent optional one is left out).
    const present = optional.size === 0 ? null : presentPositions(inputs);
    const nodeInputs = present === null ? (inputs as Tensor[]) : present.map((i) => inputs[i]!);
    let versions: SavedVersions | null = null; // set below, once the outputs exist
    let kept: Kept<S> | null = { values: values as unknown as Named<string, NdArray>, outputs, extra };
    let released = false;
    const shapes = inputs.map((t) => (t ? [...t.shape] : null));
    const node: Node = {
      op: name,
      attrs,
      inputNames: present === null ? (names ?? inputs.map((_, i) => nameOf(i))) : present.map(nameOf),
      inputs: nodeInputs,
      outputShapes: outputs.map((o) => [...o.shape]),
      backward(dys) {
        if (released || kept === null) {
          throw new Error(
            `backward: the graph through '${name}' was already freed by an earlier backward(); ` +
              'pass { retainGraph: true } to the first backward() to go through it twice');
        }
        versions?.check();
        const ctx = backwardContext(kept, plan, names, dys, attrs, shapes, needs);
        const grads = toPositions(name, names, rule(ctx as BackwardContext<A, string, string, S>));
        if (present === null) return grads.map((g, i) => (needs[i] ? g ?? undefined : undefined));
        return present.map((i) => (needs[i] ? grads[i] ?? undefined : undefined));
      },
      release() {
        if (!released && s.release && kept?.extra !== undefined) s.release(kept.extra, attrs);
        released = true;
        kept = null;
        versions = null;
      },
      get released() {
        return released;
      },
    };
    const results = outputs.map((o, j) => new Tensor(o, { requiresGrad: true, node, outputIndex: j }));
    if (plan.inputs.length > 0 || plan.output) {
      const at: number[] = [], saved: Tensor[] = [];
      for (const i of plan.inputs) if (inputs[i]) { at.push(i); saved.push(inputs[i]); }
      if (plan.output) saved.push(results[0]!);
      versions = new SavedVersions(name, saved, (k) => (k < at.length ? `input '${nameOf(at[k]!)}'` : 'output 0'));
    }
    return traced(inputs, attrs, results);
  };
  // Tells an active tracer (exporters, compilers) about this application, recorded or not.
  const traced = (inputs: readonly (Tensor | null)[], attrs: A, results: Tensor[]): Tensor[] => {
    const tracer = activeTracer();
    if (tracer) {
      const present = presentPositions(inputs);
      tracer({
        op: name, spec: spec as unknown as OpSpec<unknown>, attrs, outputs: results,
        inputs: present.map((i) => inputs[i]!), inputNames: present.map(nameOf),
      });
    }
    return results;
  };

  return {
    name,
    applyMulti: (inputs, ...rest) => applyMulti(inputs as OpInputs<string, string>, rest[0] as A),
    apply: (inputs, ...rest) => applyMulti(inputs as OpInputs<string, string>, rest[0] as A)[0]!,
  };
}

const RECORDING: ForwardContext = Object.freeze({ recording: true });
const NOT_RECORDING: ForwardContext = Object.freeze({ recording: false });
const NONE_SAVED: Record<string, never> = Object.freeze({});

/** What a recorded node keeps for its backward until it is released. */
interface Kept<S> {
  values: Named<string, NdArray>;
  outputs: NdArray[];
  extra: S | undefined;
}

function backwardContext<A, S>(
  kept: Kept<S>, plan: SavePlan, names: readonly string[] | null, dys: NdArray[], attrs: A,
  shapes: (readonly number[] | null)[], needs: boolean[],
): BackwardContext<A, string, string, unknown> {
  const inputs: NdArray[] = [];
  let saved: Record<string, NdArray | null> = NONE_SAVED;
  if (plan.inputs.length > 0) {
    saved = {};
    for (const i of plan.inputs) {
      inputs[i] = kept.values[i]!;
      if (names) saved[names[i]!] = kept.values[i] ?? null;
    }
  }
  const { extra } = kept;
  // Forward's own saved value joins the saved inputs when it is a record; anything else is passed as is.
  const all = extra === undefined ? saved : typeof extra === 'object' && extra !== null ? { ...saved, ...extra } : extra;
  return new Context(dys, attrs, inputs, plan.output ? kept.outputs : [], all, names, shapes, needs) as unknown as
    BackwardContext<A, string, string, unknown>;
}

/** A backward context; its shapes and needs are named on first read only (most rules never look). */
class Context<A> {
  readonly dy: NdArray;
  constructor(
    readonly dys: NdArray[], readonly attrs: A, readonly inputs: NdArray[], readonly outputs: NdArray[], readonly saved: unknown,
    private readonly names: readonly string[] | null, private readonly shapeList: (readonly number[] | null)[],
    private readonly needList: boolean[],
  ) {
    this.dy = dys[0]!;
  }
  get output(): NdArray {
    return this.outputs[0]!;
  }
  get shapes() {
    return named(this.names, this.shapeList);
  }
  get needs() {
    return named(this.names, this.needList);
  }
}
