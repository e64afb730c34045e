// Dynamic axes. The function is recorded at the example sizes and again with each dynamic axis one
// longer (every combination: 2^k recordings for k axes) plus once with all of them two longer. Every
// size-like number (a reshape's target, a slice's stop, a zeros state's batch) is then fitted as a
// polynomial in the dynamic sizes, multilinear (e.g. batch·time, time − 1), and checked against the
// last recording; a number that does not follow is an axis the graph fixes, and is refused.
import { Tensor, concat, narrow, noGrad } from '@unroll/autograd';

/** A dynamic axis: a name shared by every input axis that has it, and its example size. */
export interface Sym {
  readonly name: string;
  readonly size: number;
  /** Where the exporter reads it at run time: graph input `input`, axis `axis`. */
  readonly input: number;
  readonly axis: number;
}

/** Σ coef · Π sizes of `syms` (indices into the Sym list); an empty `syms` is the constant term. */
export type Poly = readonly { readonly coef: number; readonly syms: readonly number[] }[];

export const constantPoly = (c: number): Poly => (c === 0 ? [] : [{ coef: c, syms: [] }]);
export const isConstant = (p: Poly): boolean => p.every((t) => t.syms.length === 0);
export const constantOf = (p: Poly): number => p.reduce((s, t) => s + (t.syms.length === 0 ? t.coef : 0), 0);

/** The sizes of every sym in recording `r`: recordings 0 … 2^k − 1 add bit j of r to sym j; the last adds 2 to all. */
export function sizesOf(syms: readonly Sym[], r: number): number[] {
  const k = syms.length;
  return syms.map((s, j) => s.size + (r === 1 << k ? 2 : (r >> j) & 1));
}

/** How many recordings k dynamic axes take. */
export const recordingCount = (k: number): number => (k === 0 ? 1 : (1 << k) + 1);

/**
 * Fits `values` (one per recording) as a multilinear polynomial in the syms' sizes; null when the
 * last recording does not follow the fit (the number depends on a size some other way, or not at all
 * where it should).
 */
export function fitPoly(syms: readonly Sym[], values: readonly number[]): Poly | null {
  const k = syms.length;
  if (values.every((v) => v === values[0])) return constantPoly(values[0]!);
  const corners = 1 << k;
  // Möbius inversion on the cube: v(s) = Σ_S a_S Π_{j∈S} (s_j − base_j).
  const a = new Array<number>(corners).fill(0);
  for (let S = 0; S < corners; S++) {
    for (let T = S; ; T = (T - 1) & S) {
      a[S]! += (popcount(S ^ T) % 2 ? -1 : 1) * values[T]!;
      if (T === 0) break;
    }
  }
  // Expand into monomials of the sizes themselves: c_T = Σ_{S⊇T} a_S Π_{j∈S∖T} (−base_j).
  const poly: { coef: number; syms: number[] }[] = [];
  for (let T = 0; T < corners; T++) {
    let c = 0;
    for (let S = 0; S < corners; S++) {
      if ((S & T) !== T) continue;
      let term = a[S]!;
      for (let j = 0; j < k; j++) if ((S & ~T) & (1 << j)) term *= -syms[j]!.size;
      c += term;
    }
    if (c !== 0) poly.push({ coef: c, syms: bits(T, k) });
  }
  const check = sizesOf(syms, corners);
  return evalPoly(poly, check) === values[corners] ? poly : null;
}

/** The value of `p` at the given sizes. */
export function evalPoly(p: Poly, sizes: readonly number[]): number {
  return p.reduce((s, t) => s + t.coef * t.syms.reduce((m, j) => m * sizes[j]!, 1), 0);
}

/**
 * The example inputs of recording `r`: each dynamic axis grown by repeating its first slice (token ids
 * stay valid ids, lengths stay valid lengths).
 */
export function probeInputs(inputs: readonly Tensor[], syms: readonly Sym[], axesOf: readonly (readonly [number, number][])[],
  r: number): Tensor[] {
  const sizes = sizesOf(syms, r);
  return noGrad(() => inputs.map((x, i) => {
    let y = x;
    for (const [axis, j] of axesOf[i]!) {
      const extra = sizes[j]! - syms[j]!.size;
      if (extra > 0) y = concat([y, ...Array.from({ length: extra }, () => narrow(y, axis, 0, 1))], axis);
    }
    return y === x ? x : new Tensor(y.data);
  }));
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

function bits(x: number, k: number): number[] {
  return Array.from({ length: k }, (_, j) => j).filter((j) => x & (1 << j));
}
