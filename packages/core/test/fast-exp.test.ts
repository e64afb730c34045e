// The float32 JS kernels' eˣ (src/kernels/fast-exp.ts) against Math.exp over float32's whole range of results.
import { describe, expect, it } from 'vitest';
import { expFloat32 } from '../src/kernels/fast-exp.js';

/** The float32 ulp at v (2⁻¹⁴⁹ below the normal range). */
const ulp = (v: number) => (Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23));

describe('expFloat32', () => {
  it('is within 1e-8 relative of Math.exp where results are normal floats, and within 1 float32 ulp once rounded, everywhere', () => {
    let worst = 0, worstUlps = 0;
    for (let i = 0; i <= 1 << 20; i++) {
      const x = -120 + (220 * i) / (1 << 20);
      const want = Math.exp(x), got = expFloat32(x);
      if (want > 2 ** -126 && want < 3.4e38) worst = Math.max(worst, Math.abs(got - want) / want);
      const a = Math.fround(want), b = Math.fround(got);
      if (a !== b) worstUlps = Math.max(worstUlps, Math.abs(a - b) / ulp(a));
    }
    expect(worst).toBeLessThan(1e-8);
    expect(worstUlps).toBeLessThanOrEqual(1);
  });

  it('rounds to float32 as Math.exp does at the ends: 0 below, +Infinity above, NaN for NaN', () => {
    for (const x of [-Infinity, -1e6, -110, -104, -103.9, -87.5, 0, -0, 1, 88.72, 88.73, 89, 100, Infinity, NaN]) {
      expect([x, Math.fround(expFloat32(x))]).toEqual([x, Math.fround(Math.exp(x))]);
    }
  });
});
