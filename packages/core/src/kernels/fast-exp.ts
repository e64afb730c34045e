// eˣ for float32 kernels written in JavaScript (the float32 cross-entropy, the fused LSTM/GRU kernels' σ,
// compiled cells' JS kernels): Math.exp costs 15–30 ns in V8 and was most of those loops' time; this
// costs a few ns and is accurate far below float32's rounding. float64 keeps Math.exp (the gradcheck and
// reference tests compare float64 to ~1e-10 and below). Here, in core, so every package uses one copy.

const LOG2E = 1.4426950408889634;
// ln 2 split in two so k·ln2 is subtracted without rounding error (Cody–Waite reduction).
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// Adding 1.5·2⁵² to a double of magnitude < 2⁵¹ rounds it to an integer (round-half-even): a branch-free round.
const ROUND = 6755399441055744;
// 2^k for k in [−150, 128], so exp never builds a float from bits.
const POW2 = new Float64Array(279);
for (let k = -150; k <= 128; k++) POW2[k + 150] = 2 ** k;

/**
 * eˣ for a float32 result: relative error < 1e-8 for x in [−104, 89] (float32's whole range of results,
 * subnormals included), x clamped to that range outside it (so the result rounds to float32's 0 below,
 * to +Infinity above), NaN for NaN: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor
 * polynomial (next term ≤ 6e-9), times 2^k from a table. Clamps, not early returns: V8 keeps it inlined.
 */
export function expFloat32(x: number): number {
  if (x < -104) x = -104;
  else if (x > 89) x = 89;
  const k = x * LOG2E + ROUND - ROUND;
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return POW2[(k | 0) + 150]! * p;
}
