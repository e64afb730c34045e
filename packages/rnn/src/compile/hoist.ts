// Hoisting: the step's ops that read only parameters (P) run once per sequence, those that read x
// but not the state (X) run once over all T·B rows — an input projection becomes one gemm — as
// ordinary recorded ops, so their gradients (dW_ih as one gemm over all steps) come from autograd.
import * as K from '@unroll/core';
import { Tensor, defineOp, reshape } from '@unroll/autograd';
import type { Op, OpSpec } from '@unroll/autograd';
import { hoistedAttrs } from './hoistable.js';
import type { Plan } from './plan.js';
import type { Value } from './program.js';
import { oneHotMatmul } from './one-hot-matmul.js';
import { oneHotRows } from './one-hot-input.js';
import { fastForward } from './runtime.js';

// The registered spec of each op, applied under a name of its own (defineOp names are unique): the same
// forward and backward, so a hoisted op computes exactly what the step's op computes. In float32, an
// elementwise op with a fast forward (σ, tanh, eˣ: runtime.ts) uses it, as the step's own float32
// kernels do (Math.tanh costs ~25 ns a value, and a hoisted tanh over T·B rows was most of a cell's
// time), with the op's own partials.
const hoisted = new Map<OpSpec<unknown>, Op<unknown>>();
const hoistedFast = new Map<OpSpec<unknown>, Op<unknown>>();
function hoistedOp(spec: OpSpec<unknown>, float32: boolean): Op<unknown> {
  const fast = float32 && spec.pointwise ? fastForward(spec.name) : undefined;
  const cache = fast ? hoistedFast : hoisted;
  let op = cache.get(spec);
  if (op) return op;
  const rule = spec.pointwise;
  op = fast && rule
    ? defineOp({ ...spec, name: `${spec.name} (hoisted by compileCell, float32 fast math)`, pointwise: (a) => ({ ...rule(a), forward: fast }) })
    : defineOp({ ...spec, name: `${spec.name} (hoisted by compileCell)` });
  cache.set(spec, op);
  return op;
}

/**
 * The values the compiled step reads from outside the time loop, as tensors: X values [T·B, n]
 * (rows time-major) and P values, and x itself as [T·B, I] (the input projections the compiled op
 * computes read it). `xs` is the time-major sequence [T, B, I].
 */
export function hoist(plan: Plan, xs: Tensor): { xInputs: Tensor[]; pInputs: Tensor[]; x2d: Tensor } {
  const p = plan.program;
  const [T, B, I] = xs.shape as [number, number, number];
  const env = new Map<number, Tensor>();
  env.set(p.x.id, reshape(xs, [T * B, I]));
  const valueOf = (v: Value): Tensor => {
    const known = env.get(v.id);
    if (known) return known;
    if (v.source === 'external') return v.external!;
    if (v.source === 'constant') {
      const t = new Tensor(K.fromData(v.constant!, [...v.shape]));
      env.set(v.id, t);
      return t;
    }
    throw new Error(`compileCell: internal: value ${v.id} of ${p.cellName}.step is not available outside the time loop`);
  };
  const wanted = new Set([...plan.xInputs, ...plan.pInputs].map((v) => v.id));
  // Only the ops the step's per-step part needs (an unused branch of the step is not computed).
  const live = new Set<number>();
  for (let i = p.ops.length - 1; i >= 0; i--) {
    const op = p.ops[i]!;
    if (op.dep === 'S' || !op.outputs.some((o) => wanted.has(o.id) || live.has(o.id))) continue;
    for (const o of op.outputs) live.add(o.id);
    for (const u of op.inputs) live.add(u.id);
  }
  // x·op(W) on a one-hot x: the one-hot op (a gather; dW a scatter-add), x's hot columns found once.
  let hot: Int32Array | null | undefined;
  const oneHot = (op: Plan['program']['ops'][number]): Int32Array | null => {
    const w = op.inputs[1];
    if (op.name !== 'matmul' || op.inputs[0] !== p.x || w?.dep !== 'P' || w.shape.length !== 2 || (op.attrs as K.MatmulOptions).transA) return null;
    hot ??= oneHotRows(K.contiguous(env.get(p.x.id)!.data) as K.FloatArray, T * B, I);
    return hot;
  };
  for (const op of p.ops) {
    if (op.dep === 'S' || !op.outputs.some((o) => live.has(o.id))) continue;
    const h = oneHot(op), ins = op.inputs.map(valueOf);
    const outs = h ? [oneHotMatmul().apply(ins, { transB: !!(op.attrs as K.MatmulOptions).transB, hot: h })]
      : hoistedOp(op.spec, ins.every((t) => t.dtype === 'float32')).applyMulti(ins, hoistedAttrs(op, B, T * B));
    op.outputs.forEach((o, k) => env.set(o.id, outs[k]!));
  }
  return { xInputs: plan.xInputs.map(valueOf), pInputs: plan.pInputs.map(valueOf), x2d: env.get(p.x.id)! };
}
