// The fused LSTM/GRU pointwise kernels with relaxed SIMD's madd in their σ/tanh polynomials against the
// same kernels with plain mul + add: both are loaded side by side into core's runtime and run on the
// same pre-activations; they agree to float32 rounding (madd may fuse, one rounding instead of two).
import { describe, expect, it } from 'vitest';
import { wasmRuntime } from '@unroll/core/internal';
import type { Target } from '@unroll/core/internal';
import { pointwiseModule } from '../src/fused/wasm/kernels.js';

const rt = wasmRuntime()!;
const build = (relaxed: boolean) => rt.load(`test.pointwise-${relaxed}`, (t: Target) => pointwiseModule({ ...t, relaxed }));

describe('pointwise kernels, relaxed SIMD vs plain', () => {
  it.runIf(rt?.target.relaxed)('lstm_fwd and gru_fwd agree to float32 rounding', () => {
    const rows = 8, H = 16, F = 4;
    // One region: per kernel its operands (each ≤ rows·4H floats), pre-activations spread over [−12, 12].
    const n = rows * 4 * H;
    const r = rt.alloc(16 * n)!;
    const at = (i: number) => r.at + i * n * F;
    const fill = () => {
      const heap = rt.f32();
      for (let i = 0; i < 8 * n; i++) heap[r.at / F + i] = 12 * Math.sin(1.7 * i + 0.3);
    };
    const outputs = (relaxed: boolean) => {
      fill();
      const k = build(relaxed);
      // lstm_fwd(act, hh, bias, cPrev, cNext, hNext, tc) then gru_fwd(gi, bi, gh, bh, hPrev, hNext, save)
      k('lstm_fwd').fn(0, 1, 0, rows, 4 * H * F / 4, at(0), at(1), at(2), at(3), at(8), at(9), at(10));
      k('gru_fwd').fn(0, 1, 0, rows, 4 * H * F / 4, at(4), at(5), at(6), at(7), at(3), at(11), at(12));
      return rt.f32().slice(r.at / F, r.at / F + 16 * n);
    };
    const plain = outputs(false), relaxed = outputs(true);
    let differ = 0;
    for (let i = 0; i < plain.length; i++) {
      expect(Math.abs(relaxed[i]! - plain[i]!)).toBeLessThanOrEqual(4e-6 * Math.max(1, Math.abs(plain[i]!)));
      if (relaxed[i] !== plain[i]) differ++;
    }
    // The two really are different kernels (fused steps round differently somewhere).
    expect(differ).toBeGreaterThan(0);
    rt.free(r);
  });
});
