// Fast sigmoid and tanh for float32 kernels: Math.exp and Math.tanh cost 15–30 ns in V8 and were
// most of a fused LSTM step's pointwise time; these cost 3–6 ns and are accurate to float32.
// float64 kernels keep Math.* (gradcheck and the reference tests compare to ~1e-10 and below).
// eˣ is core's expFloat32 (one copy for every package's float32 JS kernels).
import { expFloat32 } from '@unroll/core/internal';

/**
 * σ(x) = 1 / (1 + e⁻ˣ) with core's `expFloat32`: relative error < 1e-8 (far below float32's 6e-8
 * rounding) for x ≥ −89; below that σ < 3e-39 lies in float32's subnormal range, where the absolute error
 * stays under 3e-39.
 */
export function sigmoidFast(x: number): number {
  return 1 / (1 + expFloat32(-x));
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
