// The backward walk: iterative topological order, gradient accumulation, broadcast reduction.
import * as K from '@unroll/core';
import type { NdArray } from '@unroll/core';
import { checkFinite } from './mode.js';
import type { Node } from './node.js';
import { GradientSum, SparseGradient, countedElements, resetCount } from './sparse-gradient.js';
import type { Gradient } from './sparse-gradient.js';
import { Tensor } from './tensor.js';

export interface BackwardOptions {
  /** Keep saved values so a second backward through the same graph works. */
  retainGraph?: boolean;
}

const BACKWARD_OPTIONS = K.optionKeys<BackwardOptions>({ retainGraph: true });

/**
 * Accumulates d(root)/d(leaf) into `.grad` of every leaf that requires a gradient.
 * `seed` is d(loss)/d(root): required unless `root` holds one element (then 1). The options may
 * also come in place of the seed: `backward(loss, { retainGraph: true })`.
 */
export function backward(root: Tensor, opts?: BackwardOptions): void;
export function backward(root: Tensor, seed?: Tensor | NdArray, opts?: BackwardOptions): void;
export function backward(root: Tensor, seedOrOpts?: Tensor | NdArray | BackwardOptions, options?: BackwardOptions): void {
  const [seed, opts] = backwardArguments(seedOrOpts, options);
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require a gradient (no input of the ops that made it has requiresGrad)');
  }
  let seedValue: NdArray;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new K.ShapeError(`backward: a seed gradient is needed for a non-scalar ${K.fmt(root.shape)}; call backward(seed) or reduce first (e.g. .sum())`);
    }
    seedValue = K.full(root.shape, 1, { dtype: root.dtype });
  } else {
    seedValue = seed instanceof Tensor ? seed.data : seed;
    if (!K.sameShape(seedValue.shape, root.shape)) {
      throw new K.ShapeError(`backward: seed must have the output's shape ${K.fmt(root.shape)}; got ${K.fmt(seedValue.shape)}`);
    }
    if (K.dtypeOf(seedValue.data) !== root.dtype) seedValue = K.cast(seedValue, root.dtype);
  }
  if (root.node === null) {
    accumulateLeaf(root, seedValue);
    return;
  }

  resetCount();
  const order = topologicalOrder(root.node);
  // One running sum per output of a pending node and per leaf (see GradientSum: sparse slice
  // gradients and repeated contributions go into one buffer in place).
  const pending = new Map<Node, (GradientSum | null)[]>();
  const slot = (node: Node, j: number): GradientSum => {
    let s = pending.get(node);
    if (!s) pending.set(node, (s = node.outputShapes.map(() => null)));
    return (s[j] ??= new GradientSum());
  };
  const leaves = new Map<Tensor, GradientSum>();
  slot(root.node, root.outputIndex).add(seedValue);
  // Non-leaf tensors that asked to keep their gradient, found by walking the recorded inputs.
  const retained = new Map<Node, Tensor[]>();
  for (const node of order) {
    for (const t of node.inputs) {
      if (t.retainsGrad && t.node) retained.set(t.node, [...(retained.get(t.node) ?? []), t]);
    }
  }
  if (root.retainsGrad) retained.set(root.node, [...(retained.get(root.node) ?? []), root]);

  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n]!;
    const sums = pending.get(node);
    if (!sums) continue; // reachable, but no gradient arrived through its used outputs
    pending.delete(node);
    const got = sums.map((s) => s?.value() ?? null);
    // Zeros for outputs no gradient reached, in the dtype of the outputs' gradients (a cast
    // between here and the root can make that differ from the root's dtype).
    const dtype = K.dtypeOf(got.find((g) => g !== null)!.data);
    const dys = got.map((g, j) => g ?? K.zeros(node.outputShapes[j]!, { dtype }));
    for (const t of retained.get(node) ?? []) setGrad(t, dys[t.outputIndex]!);
    const thunks = node.backward(dys);
    node.inputs.forEach((input, i) => {
      const thunk = thunks[i];
      if (!input.requiresGrad || !thunk) return;
      const grad = reduceToShape(node, i, thunk(), input);
      checkFinite((grad instanceof SparseGradient ? grad.value : grad).data, () => `gradient of op '${node.op}' input '${node.inputNames[i]}' ${K.fmt(grad.shape)}`);
      if (input.node === null) {
        let sum = leaves.get(input);
        if (!sum) leaves.set(input, (sum = new GradientSum()));
        sum.add(grad);
      } else {
        slot(input.node, input.outputIndex).add(grad);
      }
    });
    if (!opts.retainGraph) node.release();
  }
  for (const [leaf, sum] of leaves) {
    const g = sum.value()!;
    leaf.grad = new Tensor(leaf.grad ? K.add(leaf.grad.data, g) : sum.owned ? g : K.clone(g));
  }
}

/**
 * What the last `backward()` did, for tests that hold its cost down: `gradientElements` counts the
 * elements of every gradient a rule returned plus every buffer the engine allocated to sum them —
 * linear in the size of the graph (a loop over T time slices of one tensor adds T slices, not T
 * copies of the tensor).
 */
export function backwardStats(): { gradientElements: number } {
  return { gradientElements: countedElements() };
}

/** Sums broadcast axes and checks the result has the input's shape (a mismatch is an op bug). */
function reduceToShape(node: Node, i: number, grad: Gradient, input: Tensor): Gradient {
  if (grad instanceof SparseGradient) {
    if (!K.sameShape(grad.shape, input.shape)) {
      throw new K.ShapeError(`gradient of ${node.op} input '${node.inputNames[i]}' is ${K.fmt(grad.shape)} but the input is ${K.fmt(input.shape)}`);
    }
    return grad.dtype === input.dtype ? grad : grad.cast(input.dtype);
  }
  let g = grad;
  if (!K.sameShape(g.shape, input.shape)) {
    try {
      g = K.sumTo(g, input.shape);
    } catch {
      throw new K.ShapeError(`gradient of ${node.op} input '${node.inputNames[i]}' is ${K.fmt(grad.shape)} but the input is ${K.fmt(input.shape)}`);
    }
  }
  if (K.dtypeOf(g.data) !== input.dtype) g = K.cast(g, input.dtype);
  return g;
}

/** Sorts out `(seed?, opts?)` and `(opts)`; a seed that is neither a Tensor nor an ndarray is refused. */
function backwardArguments(first: unknown, second: BackwardOptions | undefined): [Tensor | NdArray | undefined, BackwardOptions] {
  const isSeed = first instanceof Tensor || (typeof first === 'object' && first !== null && 'shape' in first && 'stride' in first && 'data' in first);
  if (first === undefined || isSeed) return [first as Tensor | NdArray | undefined, K.checkOptions('backward', second, BACKWARD_OPTIONS)];
  if (second !== undefined) {
    throw new TypeError(`backward: seed must be a Tensor or an ndarray; got ${first === null ? 'null' : typeof first} (options alone may come first: backward({ retainGraph: true }))`);
  }
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw new TypeError(`backward: the first argument must be a seed Tensor or an options object; got ${first === null ? 'null' : Array.isArray(first) ? 'an array' : typeof first}`);
  }
  return [undefined, K.checkOptions('backward', first as BackwardOptions, BACKWARD_OPTIONS)];
}

function accumulateLeaf(leaf: Tensor, grad: NdArray): void {
  // The first gradient is copied: backward rules may return arrays shared with other nodes,
  // and optimizers and clipping update .grad in place.
  leaf.grad = new Tensor(leaf.grad ? K.add(leaf.grad.data, grad) : K.clone(grad));
}

function setGrad(t: Tensor, grad: NdArray): void {
  t.grad = new Tensor(t.grad ? K.add(t.grad.data, grad) : K.clone(grad));
}

/** Nodes reachable from `root` through inputs that require gradients, inputs before users. */
export function topologicalOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>([root]);
  // An explicit stack of [node, next input index]: an unrolled RNN makes graphs far deeper than the call stack.
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1] = i + 1;
      const child = node.inputs[i]!.node;
      if (child && node.inputs[i]!.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order;
}
