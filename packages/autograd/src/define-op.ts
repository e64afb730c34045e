// defineOp: the one way an op gets a forward and a backward rule; every op registers here.
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';
import { checkFinite, isGradEnabled } from './mode.js';
import type { GradThunk, Node } from './node.js';
import { Tensor } from './tensor.js';
import { activeTracer } from './trace.js';

/** What a backward rule can read. Rules return output-shaped gradients; the engine sums broadcast axes. */
export interface BackwardContext<A> {
  /** Gradient of the (first) output. */
  dy: NdArray;
  /** Gradients of every output (zeros for outputs that received none). */
  dys: NdArray[];
  /** Input values (only when `save` includes 'inputs'). */
  inputs: NdArray[];
  /** Output values (only when `save` includes 'output'). */
  outputs: NdArray[];
  /** Whatever forward chose to keep in `saved`. */
  saved: unknown;
  attrs: A;
  /** Input shapes, always available: never save a tensor just to read its shape. */
  shapes: number[][];
  /** Whether input i needs a gradient (to skip work a thunk would not be asked for). */
  needs: boolean[];
}

/**
 * The scalar form of an elementwise op, for code generators (compileCell fuses a step's
 * elementwise work into one loop): `forward(x0, x1, …)` is y, and `partials[i](x0, x1, …, y)`
 * is ∂y/∂xᵢ at that point. It is the one copy of the op's math: the op's own kernels use it.
 */
export interface PointwiseRule {
  readonly forward: (...xs: number[]) => number;
  readonly partials: readonly ((...xsAndY: number[]) => number)[];
}

export interface OpSpec<A> {
  /** Unique name, shown in errors and anomaly reports. */
  name: string;
  /** Input names in order, or 'variadic' for a list (concat). */
  inputs: readonly string[] | 'variadic';
  /** Positions of inputs that never get a gradient (ids, masks); they may be int32. */
  nondifferentiable?: readonly number[];
  /**
   * Whether int32 values may flow through the other inputs too (ops that only move elements:
   * token ids get reshaped, sliced and concatenated). An int32 result never records a graph.
   */
  acceptsInt32?: boolean;
  /** What backward may read: 'inputs', 'output', 'both' or 'none' (default). */
  save?: 'inputs' | 'output' | 'both' | 'none';
  /** Computes the outputs from plain ndarrays; return `{ outputs, saved }` for several outputs or extra state. */
  forward(inputs: NdArray[], attrs: A): NdArray | { outputs: NdArray[]; saved?: unknown };
  /** One gradient thunk per input position (undefined where none flows). */
  backward(ctx: BackwardContext<A>): readonly (GradThunk | undefined)[];
  /**
   * Called once with forward's `saved` when the recorded node is freed — after its backward, unless
   * the graph is retained — so an op can recycle buffers that only backward read (fused RNN layers
   * do, to keep the garbage collector idle). Never called for a graph that is not walked.
   */
  release?(saved: unknown, attrs: A): void;
  /** For elementwise ops (inputs broadcast, one output): the scalar rule, given the op's attrs. */
  pointwise?(attrs: A): PointwiseRule;
}

export interface Op<A> {
  readonly name: string;
  /** Runs the op on tensors, recording it when gradients are needed; returns the first output. */
  apply(inputs: readonly Tensor[], attrs: A): Tensor;
  /** Same, returning every output. */
  applyMulti(inputs: readonly Tensor[], attrs: A): Tensor[];
}

const registry = new Map<string, OpSpec<never>>();

/** The names of every op defined so far (a test pins this list). */
export const registeredOps = (): string[] => [...registry.keys()].sort();

/** The spec registered under `name` (for tools that read a recorded graph: compilers, exporters). */
export const opSpec = (name: string): OpSpec<unknown> | undefined => registry.get(name) as OpSpec<unknown> | undefined;

/**
 * Defines a differentiable op from a forward on core kernels and its backward rule.
 * Fused kernels (e.g. a whole LSTM step) and users' own ops use this too.
 */
export function defineOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  if (registry.has(spec.name)) throw new Error(`defineOp: an op named '${spec.name}' already exists`);
  registry.set(spec.name, spec as OpSpec<never>);
  const nondiff = new Set(spec.nondifferentiable ?? []);
  const save = spec.save ?? 'none';
  const nameOf = (i: number) => (spec.inputs === 'variadic' ? `#${i}` : spec.inputs[i]!);

  const applyMulti = (inputs: readonly Tensor[], attrs: A): Tensor[] => {
    if (spec.inputs !== 'variadic' && inputs.length !== spec.inputs.length) {
      throw new TypeError(`${spec.name}: takes ${spec.inputs.length} inputs (${spec.inputs.join(', ')}); got ${inputs.length}`);
    }
    let dtype: K.DType | null = null;
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${spec.name}: input '${nameOf(i)}' must be a Tensor; got ${typeof t}`);
      if (nondiff.has(i)) return;
      if (t.dtype === 'int32' && !spec.acceptsInt32) {
        throw new K.DTypeError(`${spec.name}: input '${nameOf(i)}' must be float32 or float64; got int32 (cast with .to('float32'))`);
      }
      if (dtype !== null && t.dtype !== dtype) {
        // Suggest the float dtype when int32 meets a float (casting floats to int32 loses them).
        const to = dtype === 'int32' ? t.dtype : dtype;
        throw new K.DTypeError(`${spec.name}: inputs mix ${dtype} and ${t.dtype}; cast one with .to('${to}')`);
      }
      dtype = t.dtype;
    });
    const values = inputs.map((t) => t.data);
    const result = spec.forward(values, attrs);
    const outputs = 'outputs' in result ? result.outputs : [result];
    const saved = 'outputs' in result ? result.saved : undefined;
    outputs.forEach((o, j) => checkFinite(o.data, () => `op '${spec.name}' output ${j} ${K.fmt(o.shape)}`));

    const record = isGradEnabled() && inputs.some((t, i) => t.requiresGrad && !nondiff.has(i));
    if (!record) return traced(inputs, attrs, outputs.map((o) => new Tensor(o)));

    const shapes = inputs.map((t) => [...t.shape]);
    let keptInputs: NdArray[] | null = save === 'inputs' || save === 'both' ? values : [];
    let keptOutputs: NdArray[] | null = save === 'output' || save === 'both' ? outputs : [];
    let keptSaved: unknown = saved;
    let released = false;
    const needs = inputs.map((t, i) => t.requiresGrad && !nondiff.has(i));
    const node: Node = {
      op: spec.name,
      attrs,
      inputNames: inputs.map((_, i) => nameOf(i)),
      inputs: [...inputs],
      outputShapes: outputs.map((o) => [...o.shape]),
      backward(dys) {
        if (released || keptInputs === null || keptOutputs === null) {
          throw new Error(
            `backward: the graph through '${spec.name}' was already freed by an earlier backward(); ` +
              'pass { retainGraph: true } to the first backward() to go through it twice');
        }
        return spec.backward({ dy: dys[0]!, dys, inputs: keptInputs, outputs: keptOutputs, saved: keptSaved, attrs, shapes, needs })
          .map((thunk, i) => (needs[i] ? thunk : undefined));
      },
      release() {
        if (!released && spec.release && keptSaved !== undefined) spec.release(keptSaved, attrs);
        released = true;
        keptInputs = null;
        keptOutputs = null;
        keptSaved = undefined;
      },
      get released() {
        return released;
      },
    };
    return traced(inputs, attrs, outputs.map((o, j) => new Tensor(o, { requiresGrad: true, node, outputIndex: j })));
  };
  // Tells an active tracer (exporters, compilers) about this application, recorded or not.
  const traced = (inputs: readonly Tensor[], attrs: A, results: Tensor[]): Tensor[] => {
    activeTracer()?.({ op: spec.name, spec: spec as OpSpec<unknown>, attrs, inputs, outputs: results });
    return results;
  };

  return {
    name: spec.name,
    applyMulti,
    apply: (inputs, attrs) => applyMulti(inputs, attrs)[0]!,
  };
}
