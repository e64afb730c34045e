// How an op's arguments map between names and positions: the save plan, the inputs of a call
// (a list or a record by name, optional ones null), the hybrid arrays rules read, and their gradients.
import type { GradThunk } from './node.js';
import { Tensor } from './tensor.js';
import type { Gradients, Named, OpInputs, SaveSpec } from './define-op.js';

/** Which inputs (by position) and whether the first output a rule may read. */
export interface SavePlan {
  readonly inputs: readonly number[];
  readonly output: boolean;
}

export function savePlan(op: string, names: readonly string[] | null, save: SaveSpec<string>): SavePlan {
  const all = (): number[] => {
    if (names === null) throw new TypeError(`defineOp: ${op}: a variadic op cannot save its inputs`);
    return names.map((_, i) => i);
  };
  if (save === 'none') return { inputs: [], output: false };
  if (save === 'inputs') return { inputs: all(), output: false };
  if (save === 'output') return { inputs: [], output: true };
  if (save === 'both') return { inputs: all(), output: true };
  if (!Array.isArray(save)) throw new TypeError(`defineOp: ${op}: save must be a list of input names and 'output'; got ${String(save)}`);
  return {
    inputs: save.filter((n) => n !== 'output').map((n) => position(op, names, n)),
    output: save.includes('output'),
  };
}

/** The position of input `n` (a name, or a position for variadic ops). */
export function position(op: string, names: readonly string[] | null, n: string | number): number {
  if (typeof n === 'number') return n;
  const i = names?.indexOf(n) ?? -1;
  if (i < 0) throw new TypeError(`defineOp: ${op}: '${n}' is not an input (inputs: ${names?.join(', ') ?? 'variadic'})`);
  return i;
}

/** The positions of the inputs given. */
export function presentPositions(inputs: readonly (Tensor | null)[]): number[] {
  const at: number[] = [];
  for (let i = 0; i < inputs.length; i++) if (inputs[i] !== null) at.push(i);
  return at;
}

/** `values` in order, also readable by input name. */
export function named<T>(names: readonly string[] | null, values: T[]): Named<string, T> {
  if (names !== null) for (let i = 0; i < names.length; i++) (values as unknown as Record<string, T>)[names[i]!] = values[i]!;
  return values as unknown as Named<string, T>;
}

/** The inputs as a list in spec order, null where an optional input is absent; throws naming what is wrong. */
export function inputList(op: string, names: readonly string[] | null, optional: ReadonlySet<number>,
  given: OpInputs<string, string>): (Tensor | null)[] {
  const n = names?.length ?? (Array.isArray(given) ? given.length : 0);
  const list = new Array<Tensor | null>(n);
  if (Array.isArray(given)) {
    if (names !== null && (given.length > n || given.length < n - optional.size)) {
      throw new TypeError(`${op}: takes ${n} inputs (${names.join(', ')}); got ${given.length}`);
    }
    for (let i = 0; i < n; i++) list[i] = checkInput(op, names, optional, i, (given as readonly (Tensor | null | undefined)[])[i]);
  } else if (names !== null && typeof given === 'object' && given !== null) {
    const record = given as Record<string, Tensor | null | undefined>;
    for (const k in record) {
      if (!names.includes(k)) throw new TypeError(`${op}: unknown input '${k}' (inputs: ${names.join(', ')})`);
    }
    for (let i = 0; i < n; i++) list[i] = checkInput(op, names, optional, i, record[names[i]!]);
  } else {
    throw new TypeError(`${op}: inputs must be a list of Tensors${names ? ' or a record by name' : ''}; got ${typeof given}`);
  }
  return list;
}

/** Input i as given: a Tensor, or null for an absent optional input; throws naming it otherwise. */
function checkInput(op: string, names: readonly string[] | null, optional: ReadonlySet<number>, i: number,
  t: Tensor | null | undefined): Tensor | null {
  if (t instanceof Tensor) return t;
  const name = names?.[i] ?? `#${i}`;
  if ((t === null || t === undefined) && optional.has(i)) return null;
  throw new TypeError(`${op}: input '${name}' must be a Tensor; got ${t === null ? 'null' : typeof t}`);
}

/** A rule's gradients as a list in input order; throws on a name that is not an input. */
export function toPositions(op: string, names: readonly string[] | null, grads: Gradients<string>): readonly (GradThunk | undefined | null)[] {
  if (Array.isArray(grads)) return grads;
  if (names === null) throw new TypeError(`defineOp: ${op}: a variadic op's backward must return its gradients in input order`);
  const record = grads as Record<string, GradThunk | undefined>;
  for (const k of Object.keys(record)) {
    if (!names.includes(k)) throw new TypeError(`defineOp: ${op}: backward returned a gradient for '${k}', which is not an input (${names.join(', ')})`);
  }
  return names.map((n) => record[n]);
}
