// Finding a NaN or ±∞ among named tensors (weights before a checkpoint is written or after one is read).
import type { Tensor } from '@unroll/autograd';

/** The first non-finite value among the tensors: which tensor, which flat index, what value; or null. */
export function firstNonFinite(
  tensors: Iterable<readonly [string, Tensor]> | Record<string, Tensor>,
): { name: string; index: number; value: number } | null {
  const entries = Symbol.iterator in tensors ? tensors as Iterable<readonly [string, Tensor]> : Object.entries(tensors);
  for (const [name, t] of entries) {
    if (t.dtype === 'int32') continue;
    const values = t.values();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // NOTE: v - v is 0 for every finite v and NaN for NaN and ±∞: one test, no call per element.
      if (v - v !== 0) return { name, index: i, value: v };
    }
  }
  return null;
}

/**
 * Throws when any tensor holds NaN or ±∞, naming it: `<where>: <what> has a non-finite weight: …`.
 * Use it before saving weights and after loading them.
 */
export function assertFinite(tensors: Iterable<readonly [string, Tensor]> | Record<string, Tensor>, where: string, what = 'the model'): void {
  const bad = firstNonFinite(tensors);
  if (bad) {
    throw new NonFiniteWeightsError(`${where}: ${what} has a non-finite weight: ${bad.name}[${bad.index}] is ${bad.value} ` +
      '(a diverged run); it is refused');
  }
}

/** Weights that hold NaN or ±∞. */
export class NonFiniteWeightsError extends Error {
  override name = 'NonFiniteWeightsError';
}
