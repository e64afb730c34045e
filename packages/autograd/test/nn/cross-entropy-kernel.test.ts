// crossEntropy's fused kernel (src/nn/loss/softmax-cross-entropy.ts) against the plain per-row formula
// written out below, bit for bit in float32 and float64, over fast-check shapes and values (logits of
// ±1e4, −∞, ignored targets, every reduction and smoothing); and its recycled scratch (what backward
// reads) under every order of forwards, backwards and releases a user can produce.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { Tensor, crossEntropy, noGrad, type Reduction } from '@unroll/autograd';
import { wasmRuntime } from '@unroll/core/internal';
import { expFloat32 } from '@unroll/core/internal';
import { expRowsWasm, setWasmSweep, wasmSweepCount } from '../../src/nn/loss/softmax-exp-wasm.js';
import { SEED, checkGrads, ids } from './helpers.js';

type DType = 'float32' | 'float64';
interface Case { rows: number; classes: number; x: number[]; targets: number[]; ignoreIndex: number; reduction: Reduction; smoothing: number }

/**
 * The loss and dL/dx by the textbook formula, one row at a time, with the kernel's documented numerics:
 * shift by the row's max (0 when it is not finite), eˣ from expFloat32 in float32 (Math.exp in float64),
 * sums in float64, softmax p = e / Σ rounded to the dtype, ℓ = lse − (1 − ε)·x_t − (ε/C)·Σx, dx = g·(p −
 * ε/C − (1 − ε)·[c = t]); 'mean' and 'sum' add the rows in order. `dy` seeds 'none' (one per row).
 */
function reference(c: Case, dtype: DType, dy: number[]): { loss: number[]; grad: number[] } {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const exp = dtype === 'float32' ? expFloat32 : Math.exp;
  const { rows, classes: C, x, smoothing: eps } = c;
  const per: number[] = [], grad = new Array<number>(rows * C).fill(0);
  const kept = c.targets.filter((t) => t !== c.ignoreIndex).length;
  const scale = c.reduction === 'none' ? null : c.reduction === 'sum' ? 1 : 1 / kept;
  for (let i = 0; i < rows; i++) {
    const row = x.slice(i * C, (i + 1) * C), t = c.targets[i]!;
    if (t === c.ignoreIndex) { per.push(0); continue; }
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    const shift = Number.isFinite(max) ? max : 0;
    const e = row.map((v) => exp(v - shift));
    let s = 0, total = 0;
    for (const v of e) s += v;
    for (const v of row) total += v;
    const lse = shift + Math.log(s);
    per.push(eps === 0 ? lse - row[t]! : lse - (1 - eps) * row[t]! - (eps / C) * total);
    const g = scale === null ? dy[i]! : dy[0]! * scale;
    for (let k = 0; k < C; k++) grad[i * C + k] = round(g * (round(round(e[k]!) / s) - eps / C - (k === t ? 1 - eps : 0)));
  }
  if (scale === null) return { loss: per.map(round), grad };
  let sum = 0;
  for (const v of per) sum += v;
  return { loss: [round(sum * scale)], grad };
}

/** Runs crossEntropy on `c` in `dtype` and walks backward from the seed `dy`. */
function fused(c: Case, dtype: DType, dy: number[]): { loss: number[]; grad: number[] } {
  const x = new Tensor(K.cast(K.fromData(Float64Array.from(c.x), [c.rows, c.classes]), dtype), { requiresGrad: true });
  const loss = crossEntropy(x, ids(c.targets, [c.rows]), { reduction: c.reduction, ignoreIndex: c.ignoreIndex, labelSmoothing: c.smoothing });
  loss.backward(new Tensor(K.cast(K.fromData(Float64Array.from(dy), loss.shape), dtype)));
  return { loss: Array.from(loss.values()), grad: Array.from(x.grad!.values()) };
}

/** Equal bit for bit (NaN equal to NaN, +0 and −0 told apart), the first difference named. */
function expectSame(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  const bad = got.findIndex((v, i) => !Object.is(v, want[i]));
  expect(bad, bad >= 0 ? `${what} element ${bad}: got ${got[bad]}, want ${want[bad]}` : '').toBe(-1);
}

/** A logit: mostly moderate, sometimes ±1e4-sized, sometimes −∞ (a class ruled out), as doubles. */
const logit = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -30, max: 30, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(-Infinity, 1e4, -1e4) },
);

const problem: fc.Arbitrary<Case & { dtype: DType; dy: number[] }> = fc.record({
  rows: fc.integer({ min: 1, max: 24 }),
  classes: fc.integer({ min: 1, max: 70 }),
  ignoreIndex: fc.constantFrom(-100, 0, 1),
  reduction: fc.constantFrom<Reduction>('mean', 'sum', 'none'),
  smoothing: fc.constantFrom(0, 0.1, 1),
  dtype: fc.constantFrom<DType>('float32', 'float64'),
}).chain((p) => fc.record({
  x: fc.array(logit, { minLength: p.rows * p.classes, maxLength: p.rows * p.classes }),
  targets: fc.array(fc.oneof(fc.integer({ min: 0, max: p.classes - 1 }), fc.constant(p.ignoreIndex)), { minLength: p.rows, maxLength: p.rows }),
  dy: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: p.rows, maxLength: p.rows }),
}).map((v) => {
  // Logits and seeds as the dtype holds them, so the reference starts from the same numbers.
  const round = p.dtype === 'float32' ? Math.fround : (n: number) => n;
  // An ignore id that is also a class must stay in range; −100 as a target only when it is ignored.
  const targets = v.targets.map((t) => (t === p.ignoreIndex || t < p.classes ? t : 0));
  return { ...p, ...v, x: v.x.map(round), targets, dy: p.reduction === 'none' ? v.dy.map(round) : [round(v.dy[0]!)] };
}));

describe('crossEntropy kernel', () => {
  // float32's sweep runs on the WebAssembly runtime where it can (always in Node), else in JS: both are checked.
  for (const wasm of [true, false]) {
    it(`equals the plain per-row formula bit for bit, values and gradients, float32 (${wasm ? 'WebAssembly' : 'JS'} sweep) and float64`, () => {
      const before = setWasmSweep(wasm), count = wasmSweepCount();
      try {
        fc.assert(fc.property(problem, (c) => {
          const want = reference(c, c.dtype, c.dy), got = fused(c, c.dtype, c.dy);
          expectSame(got.loss, want.loss, `${c.dtype} loss`);
          expectSame(got.grad, want.grad, `${c.dtype} gradient`);
        }), { seed: SEED, numRuns: 300 });
        expect(wasmSweepCount() > count).toBe(wasm && wasmRuntime()?.shared === true);
      } finally {
        setWasmSweep(before);
      }
    });
  }

  it('(WebAssembly sweep) gives the JS loop\'s row shifts and float64 row sums bit for bit, NaN and ±∞ included', () => {
    expect(wasmRuntime()?.shared, 'a WebAssembly runtime over a shared memory (Node has both)').toBe(true);
    const sweep = fc.record({ rows: fc.integer({ min: 1, max: 12 }), classes: fc.integer({ min: 1, max: 70 }) }).chain((p) => fc.record({
      p: fc.constant(p),
      x: fc.array(fc.oneof({ weight: 12, arbitrary: logit }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -0, 89, -104) }),
        { minLength: p.rows * p.classes, maxLength: p.rows * p.classes }),
      keep: fc.array(fc.constantFrom(0, 1, 1, 1), { minLength: p.rows, maxLength: p.rows }),
    }));
    fc.assert(fc.property(sweep, ({ p: { rows, classes }, x, keep }) => {
      const xs = Float32Array.from(x), n = rows * classes;
      const probs = new Float32Array(n), sums = new Float64Array(rows), shifts = new Float64Array(rows);
      expect(expRowsWasm(xs, rows, classes, Int32Array.from(keep), probs, sums, shifts)).toBe(true);
      for (let i = 0; i < rows; i++) {
        if (!keep[i]) continue;
        const row = Array.from(xs.subarray(i * classes, (i + 1) * classes));
        let max = -Infinity, s = 0;
        for (const v of row) if (v > max) max = v;
        const shift = Number.isFinite(max) ? max : 0, e = row.map((v) => expFloat32(v - shift));
        for (const v of e) s += v;
        // The max may pick the other zero of a +0/−0 tie (lanes are compared out of order): equal as numbers, and
        // x − (±0) and eˣ do not tell them apart (the sums and softmax below are compared bit for bit).
        expect(shifts[i] === shift, `row ${i} shift: got ${shifts[i]}, want ${shift}`).toBe(true);
        expectSame([sums[i]!], [s], `row ${i} sum`);
        expectSame(Array.from(probs.subarray(i * classes, (i + 1) * classes)), e.map((v) => Math.fround(Math.fround(v) / s)), `row ${i} softmax`);
      }
    }), { seed: SEED, numRuns: 300 });
  });

  it('equals it at the char model size [2048, 65], with some targets ignored (both sweeps)', () => {
    const rows = 2048, classes = 65;
    const x = Array.from({ length: rows * classes }, (_, k) => Math.fround(6 * Math.sin(k * 12.9898)));
    const targets = Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? -100 : (i * 7919) % classes));
    for (const [dtype, wasm] of [['float32', true], ['float32', false], ['float64', true]] as const) {
      const before = setWasmSweep(wasm);
      try {
        for (const [reduction, smoothing] of [['mean', 0], ['sum', 0.1], ['none', 0]] as const) {
          const c: Case = { rows, classes, x, targets, ignoreIndex: -100, reduction, smoothing };
          const dy = reduction === 'none' ? targets.map((_, i) => Math.fround(Math.cos(i))) : [1];
          const want = reference(c, dtype, dy), got = fused(c, dtype, dy);
          expectSame(got.loss, want.loss, `${dtype} ${reduction} loss`);
          expectSame(got.grad, want.grad, `${dtype} ${reduction} gradient`);
        }
      } finally {
        setWasmSweep(before);
      }
    }
  });

  it('passes gradcheck in float64 with peaked rows (logits up to ±30) and ignored targets', () => {
    const cases = fc.record({ rows: fc.integer({ min: 1, max: 5 }), classes: fc.integer({ min: 2, max: 6 }) }).chain((p) => fc.record({
      p: fc.constant(p),
      x: fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: p.rows * p.classes, maxLength: p.rows * p.classes }),
      t: fc.array(fc.integer({ min: -1, max: p.classes - 1 }), { minLength: p.rows, maxLength: p.rows }),
      reduction: fc.constantFrom<Reduction>('mean', 'sum', 'none'),
      smoothing: fc.constantFrom(0, 0.2),
    }));
    fc.assert(fc.property(cases, ({ p, x, t, reduction, smoothing }) => {
      const targets = t.map((v, i) => (i === 0 && v === -1 ? 0 : v)); // −1 is ignored; row 0 always counts
      const tg = ids(targets, [p.rows]);
      const leafX = new Tensor(K.fromData(Float64Array.from(x), [p.rows, p.classes]), { requiresGrad: true });
      checkGrads((l) => crossEntropy(l!, tg, { reduction, ignoreIndex: -1, labelSmoothing: smoothing }), [leafX]);
    }), { seed: SEED, numRuns: 40 });
  });

  describe('what backward reads (a scratch recycled between calls)', () => {
    const make = (rows: number, classes: number, seed: number, dtype: DType = 'float32') => {
      const x = Array.from({ length: rows * classes }, (_, k) => Math.fround(3 * Math.sin(seed + k * 1.7)));
      const targets = Array.from({ length: rows }, (_, i) => (i + seed) % classes);
      const c: Case = { rows, classes, x, targets, ignoreIndex: -100, reduction: 'mean', smoothing: 0 };
      const leafX = new Tensor(K.cast(K.fromData(Float64Array.from(x), [rows, classes]), dtype), { requiresGrad: true });
      const loss = crossEntropy(leafX, ids(targets, [rows]));
      return { leafX, loss, want: reference(c, dtype, [1]) };
    };
    const check = (r: ReturnType<typeof make>) => {
      expectSame(Array.from(r.loss.values()), r.want.loss, 'loss');
      expectSame(Array.from(r.leafX.grad!.values()), r.want.grad, 'gradient');
    };

    it('keeps two losses alive at once apart, backward in either order', () => {
      const a = make(30, 7, 1), b = make(30, 7, 2);
      b.loss.backward();
      a.loss.backward();
      check(a);
      check(b);
    });

    it('goes through a retained graph twice, with other losses computed between', () => {
      const a = make(20, 9, 3);
      a.loss.backward({ retainGraph: true });
      const first = Array.from(a.leafX.grad!.values());
      a.leafX.grad = null;
      const b = make(20, 9, 4);
      b.loss.backward();
      make(40, 9, 5).loss.backward(); // takes the scratch b gave back
      a.loss.backward();
      expectSame(Array.from(a.leafX.grad!.values()), first, 'second backward');
      check(a);
      check(b);
    });

    it('is not taken from a recorded loss by an unrecorded one, nor by later shapes large or small', () => {
      const a = make(16, 65, 6);
      noGrad(() => make(64, 65, 7)); // no graph: its scratch goes straight back
      const bigger = make(64, 80, 8);
      bigger.loss.backward();
      const smaller = make(3, 4, 9); // reuses the bigger scratch
      const f64 = make(16, 65, 10, 'float64');
      a.loss.backward();
      smaller.loss.backward();
      f64.loss.backward();
      for (const r of [a, bigger, smaller, f64]) check(r);
    });
  });
});
