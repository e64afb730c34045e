// Fast sigmoid and tanh for float32 kernels: Math.exp and Math.tanh cost 15–30 ns in V8 and were
// most of a fused LSTM step's pointwise time; these cost 3–6 ns and are accurate to float32.
// float64 kernels keep Math.* (gradcheck and the reference tests compare to ~1e-10 and below).

const LOG2E = 1.4426950408889634;
// ln 2 split in two so k·ln2 is subtracted without rounding error (Cody–Waite reduction).
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// Adding 1.5·2⁵² to a double of magnitude < 2⁵¹ rounds it to an integer (round-half-even): a branch-free round.
const ROUND = 6755399441055744;
// 2^k for k in [−127, 127], so exp never builds a float from bits.
const POW2 = new Float64Array(255);
for (let k = -127; k <= 127; k++) POW2[k + 127] = 2 ** k;

/**
 * eˣ for |x| ≤ 87 (clamped outside: float32's range), relative error < 1e-8: x = k·ln2 + r with
 * |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial (next term ≤ 6e-9), times 2^k from a table.
 */
export function expFast(x: number): number {
  if (x < -87) x = -87;
  else if (x > 87) x = 87;
  const k = x * LOG2E + ROUND - ROUND;
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return POW2[(k | 0) + 127]! * p;
}

/**
 * σ(x) = 1 / (1 + e⁻ˣ) with `expFast`: relative error < 1e-8 (far below float32's 6e-8 rounding) for
 * x ≥ −87; below that σ < 2e-38 is float32's underflow range and the absolute error stays under 2e-38.
 */
export function sigmoidFast(x: number): number {
  return 1 / (1 + expFast(-x));
}

/**
 * tanh x by Eigen's float32 rational approximation (odd degree-13 over even degree-6 polynomial in x,
 * clamped at |x| = 7.905, where tanh rounds to ±1 in float32): absolute and relative error < 3e-7
 * (about 2 float32 ulps), with no exp at all.
 */
export function tanhFast(x: number): number {
  if (x > 7.90531110763549805) x = 7.90531110763549805;
  else if (x < -7.90531110763549805) x = -7.90531110763549805;
  const x2 = x * x;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 + -8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (x * p) / q;
}
