// The padded-lengths rule, written once for the runner, the fused and the compiled sequences: step t
// of sequence b is real iff t < lengths[b]; a padded step keeps the state and outputs zeros.

/** Whether row b is padding at step t (never, without lengths). */
export const isPadded = (lengths: ArrayLike<number> | null, t: number, b: number): boolean =>
  lengths !== null && t >= lengths[b]!;

/**
 * The steps where the rule is uniform over the batch: before `minLen` every row is real, from
 * `maxLen` on every row is padding (both `time` without lengths); between them it varies by row.
 */
export function paddingBounds(lengths: ArrayLike<number> | null, time: number): { minLen: number; maxLen: number } {
  if (lengths === null) return { minLen: time, maxLen: time };
  let minLen = time, maxLen = 0;
  for (let b = 0; b < lengths.length; b++) {
    minLen = Math.min(minLen, lengths[b]!);
    maxLen = Math.max(maxLen, lengths[b]!);
  }
  return { minLen, maxLen };
}
