// Which ops that read x (and parameters) but not the state can be hoisted out of the time loop —
// run once over all T·B rows — and how their attrs change when the batch axis becomes T·B rows.
import * as K from '@unroll/core';
import type { Range } from '@unroll/core';
import type { ProgramOp, Program, Value } from './program.js';

export type Refuse = (op: ProgramOp, why: string) => never;

/** Refuses (naming the op) unless `op`, an op on x (and parameters), can be hoisted over all T·B rows: it must treat axis 0 as independent rows. */
export function checkHoistable(p: Program, op: ProgramOp, refuse: Refuse): void {
  const B = p.batch;
  const rows = (v: Value) => v.dep === 'X';
  for (const u of op.inputs) {
    if (rows(u) && u.shape[0] !== B) refuse(op, `the input-only value ${K.fmt(u.shape)} has lost the batch axis`);
  }
  for (const o of op.outputs) if (o.shape[0] !== B) refuse(op, `its result ${K.fmt(o.shape)} does not keep the batch axis first`);
  if (op.spec.pointwise) {
    const rank = op.outputs[0]!.shape.length;
    for (const u of op.inputs) {
      if (!rows(u) && u.shape.length === rank && u.shape[0] !== 1) refuse(op, `a parameter ${K.fmt(u.shape)} would meet the batch axis`);
    }
    return;
  }
  const axesOf = (a: unknown, rank: number): number[] => {
    const ax = (a as { axes?: number | readonly number[]; axis?: number });
    const list = ax.axis !== undefined ? [ax.axis] : ax.axes === undefined ? [0] : Array.isArray(ax.axes) ? ax.axes : [ax.axes as number];
    return list.map((d) => K.normalizeAxis(op.name, d, rank));
  };
  const x = op.inputs[0]!;
  switch (op.name) {
    case 'matmul': {
      const at = op.attrs as K.MatmulOptions;
      if (!rows(x) || op.inputs[1]!.dep !== 'P' || at.transA || x.shape.length !== 2) refuse(op, 'x-dependent matmul must be [batch, k] times a parameter');
      return;
    }
    case 'slice': {
      if (!wholeRange((op.attrs as { ranges: readonly (Range | undefined)[] }).ranges[0], B)) refuse(op, 'slicing the batch axis');
      return;
    }
    case 'reshape': case 'expand': case 'cast': case 'permute':
      if (op.name === 'permute' && (op.attrs as { axes: number[] }).axes[0] !== 0) refuse(op, 'moving the batch axis');
      return;
    case 'concat': case 'sum': case 'max': case 'logsumexp': case 'softmax': case 'logSoftmax':
      if (axesOf(op.attrs, x.shape.length).includes(0)) refuse(op, 'working across the batch axis');
      return;
    default:
      refuse(op, 'it reads the input x and is not one that can be hoisted over all time steps');
  }
}

/** Attrs of a hoisted op for T·B rows instead of B (shapes in reshape/expand name the batch). */
export function hoistedAttrs(op: ProgramOp, B: number, rows: number): unknown {
  if ((op.name === 'reshape' || op.name === 'expand') && op.dep === 'X') {
    const shape = [...(op.attrs as { shape: readonly number[] }).shape];
    if (shape[0] === B) shape[0] = rows;
    return { ...(op.attrs as object), shape };
  }
  return op.attrs;
}

/** Whether a range keeps all n elements in order (or is absent). */
export function wholeRange(r: Range | undefined, n: number): boolean {
  if (!r) return true;
  const { start, stop, step } = K.resolveRange('compileCell', r, n);
  return start === 0 && stop === n && step === 1;
}
