// The fused ops on their own: gradcheck of lstmStep, gruStep, lstmSequence and gruSequence (float64,
// fast-check sizes, every input), the float32 fast math's accuracy, and errors for bad input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, defineOp, gradcheck, tensor } from '@unroll/autograd';
import { gruSequence, gruStep, lstmSequence, lstmStep } from '@unroll/rnn';
import { sigmoidFast, tanhFast } from '../src/fused/fast-math.js';
import { gruBackwardRow, gruForwardRow } from '../src/fused/gru-kernels.js';
import { lstmBackwardRow, lstmForwardRow } from '../src/fused/lstm-kernels.js';
import { giveBack, takeBuffer } from '../src/fused/pool.js';
import { pointwiseWasm } from '../src/fused/wasm/runtime.js';
import type { Kernel } from '@unroll/core/internal';
import { GRAD_TOL, SEED, rand, tinySizes } from './helpers.js';

const opt = (on: boolean, t: Tensor) => (on ? t : null);

describe('lstmStep', () => {
  for (const peephole of [false, true]) {
    it(`passes gradcheck for gates, c${peephole ? ' and the peepholes' : ''}`, () => {
      fc.assert(fc.property(tinySizes, (s) => {
        const g = new RandomGenerator(s.seed);
        const gates = rand([s.batch, 4 * s.hidden], g, { requiresGrad: true, scale: 2 });
        const c = rand([s.batch, s.hidden], g, { requiresGrad: true });
        const peeps = [0, 1, 2].map(() => rand([s.hidden], g, { requiresGrad: true }));
        const r = gradcheck((gg, cc, ci, cf, co) => {
          const out = lstmStep(gg!, cc!, peephole ? { weightCi: ci!, weightCf: cf!, weightCo: co! } : null);
          return [out.h, out.c];
        }, [gates, c, ...(peephole ? peeps : [])], GRAD_TOL);
        expect(r.ok, r.report).toBe(true);
      }), { seed: SEED, numRuns: 10 });
    });
  }

  it('rejects bad shapes and dtypes, naming the op and the shapes', () => {
    const z = (shape: number[], dtype: 'float32' | 'float64' = 'float64') => new Tensor(K.zeros(shape, { dtype }));
    expect(() => lstmStep(z([2, 7]), z([2, 2]))).toThrow('lstmStep: gates must be [batch, 4·hidden]; got [2, 7] (7 is not a multiple of 4)');
    expect(() => lstmStep(z([2, 8]), z([2, 3]))).toThrow('lstmStep: c must be [2, 2] ([batch, hidden]); got [2, 3]');
    expect(() => lstmStep(z([8]), z([2, 2]))).toThrow('lstmStep: gates must be [batch, 4·hidden]; got [8]');
    expect(() => lstmStep(z([2, 8]), z([2, 2], 'float32'))).toThrow('lstmStep: c is float32 but gates is float64');
    expect(() => lstmStep(z([2, 8]), z([2, 2]), { weightCi: z([2]), weightCf: z([2]), weightCo: z([3]) }))
      .toThrow('lstmStep: peepholes.weightCo must be [2] ([hidden]); got [3]');
  });
});

describe('gruStep', () => {
  it('passes gradcheck for both projections and h', () => {
    fc.assert(fc.property(tinySizes, (s) => {
      const g = new RandomGenerator(s.seed);
      const gi = rand([s.batch, 3 * s.hidden], g, { requiresGrad: true, scale: 2 });
      const gh = rand([s.batch, 3 * s.hidden], g, { requiresGrad: true, scale: 2 });
      const h = rand([s.batch, s.hidden], g, { requiresGrad: true });
      const r = gradcheck((a, b, c) => gruStep(a!, b!, c!), [gi, gh, h], GRAD_TOL);
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 10 });
  });

  it('rejects bad shapes', () => {
    const z = (shape: number[]) => new Tensor(K.zeros(shape, { dtype: 'float64' }));
    expect(() => gruStep(z([2, 6]), z([2, 9]), z([2, 2]))).toThrow('gruStep: gh must be [2, 6] ([batch, 3·hidden], as gi); got [2, 9]');
    expect(() => gruStep(z([2, 6]), z([2, 6]), z([3, 2]))).toThrow('gruStep: h must be [2, 2] ([batch, hidden]); got [3, 2]');
    expect(() => gruStep(z([2, 5]), z([2, 5]), z([2, 2]))).toThrow('gruStep: gi must be [batch, 3·hidden]; got [2, 5] (5 is not a multiple of 3)');
  });
});

/** Sizes plus the options every sequence op takes. */
const sequenceCase = fc.record({
  sizes: tinySizes,
  reverse: fc.boolean(),
  batchFirst: fc.boolean(),
  masked: fc.boolean(),
  bias: fc.boolean(),
});

function lengthsFor(s: { batch: number; time: number }, g: RandomGenerator): number[] {
  return Array.from({ length: s.batch }, () => 1 + g.int(s.time));
}

describe('lstmSequence', () => {
  for (const peephole of [false, true]) {
    it(`passes gradcheck for x, h0, c0 and every weight${peephole ? ' (peepholes)' : ''}, with reverse, batchFirst, lengths, bias`, () => {
      fc.assert(fc.property(sequenceCase, ({ sizes: s, reverse, batchFirst, masked, bias }) => {
        const g = new RandomGenerator(s.seed);
        const H = s.hidden, G = 4 * H;
        const x = rand(batchFirst ? [s.batch, s.time, s.input] : [s.time, s.batch, s.input], g, { requiresGrad: true });
        const h0 = rand([s.batch, H], g, { requiresGrad: true });
        const c0 = rand([s.batch, H], g, { requiresGrad: true });
        const w = [rand([G, s.input], g), rand([G, H], g), rand([G], g), rand([G], g), rand([H], g), rand([H], g), rand([H], g)]
          .map((t) => t.requiresGrad_());
        const used = [w[0]!, w[1]!, ...(bias ? [w[2]!, w[3]!] : []), ...(peephole ? [w[4]!, w[5]!, w[6]!] : [])];
        const lengths = masked ? lengthsFor(s, g) : null;
        const r = gradcheck((xx, hh, cc, ...ws) => {
          let k = 2;
          const weights = {
            weightIh: ws[0]!, weightHh: ws[1]!,
            biasIh: bias ? ws[k++] : null, biasHh: bias ? ws[k++] : null,
            weightCi: peephole ? ws[k++] : null, weightCf: peephole ? ws[k++] : null, weightCo: peephole ? ws[k++] : null,
          };
          const out = lstmSequence(xx!, { h: hh!, c: cc! }, weights, { reverse, batchFirst, lengths });
          return [out.outputs, out.state.h, out.state.c];
        }, [x, h0, c0, ...used], GRAD_TOL);
        expect(r.ok, r.report).toBe(true);
      }), { seed: SEED, numRuns: 12 });
    });
  }

  it('rejects bad input, naming the op and the shapes', () => {
    const z = (shape: number[], dtype: 'float32' | 'float64' = 'float64') => new Tensor(K.zeros(shape, { dtype }));
    const state = { h: z([2, 3]), c: z([2, 3]) };
    const w = { weightIh: z([12, 5]), weightHh: z([12, 3]) };
    expect(() => lstmSequence(z([4, 2]), state, w)).toThrow('lstmSequence: x must be a non-empty rank-3 [time, batch, features]; got [4, 2]');
    expect(() => lstmSequence(z([4, 2, 5]), state, { ...w, weightHh: z([12, 4]) }))
      .toThrow('lstmSequence: weightHh must be [4·hidden, hidden]; got [12, 4]');
    expect(() => lstmSequence(z([4, 2, 6]), state, w)).toThrow('lstmSequence: weightIh must be [12, 6] ([4·hidden, inputSize]); got [12, 5]');
    expect(() => lstmSequence(z([4, 2, 5]), { h: z([2, 3]), c: z([3, 3]) }, w))
      .toThrow('lstmSequence: state.c must be [2, 3] ([batch, hidden]); got [3, 3]');
    expect(() => lstmSequence(z([4, 2, 5]), state, { ...w, biasIh: z([12]) })).toThrow('lstmSequence: give both biasIh and biasHh, or neither');
    expect(() => lstmSequence(z([4, 2, 5]), state, { ...w, weightCi: z([3]) }))
      .toThrow('lstmSequence: give all three peepholes (weightCi, weightCf, weightCo), or none');
    expect(() => lstmSequence(z([4, 2, 5], 'float32'), state, w)).toThrow('lstmSequence: state.h is float64 but x is float32');
    expect(() => lstmSequence(z([4, 2, 5]), state, w, { lengths: [4, 5] }))
      .toThrow('lstmSequence: lengths[1] = 5 is outside [1, 4] (the time steps of the input)');
    expect(() => lstmSequence(z([4, 2, 5]), state, w, { batchFirst: true }))
      .toThrow('lstmSequence: state.h must be [4, 3] ([batch, hidden]); got [2, 3]');
  });
});

describe('gruSequence', () => {
  for (const resetAfter of [true, false]) {
    it(`passes gradcheck for x, h0 and every weight (resetAfter ${resetAfter}), with reverse, batchFirst, lengths, bias`, () => {
      fc.assert(fc.property(sequenceCase, ({ sizes: s, reverse, batchFirst, masked, bias }) => {
        const g = new RandomGenerator(s.seed);
        const H = s.hidden, G = 3 * H;
        const x = rand(batchFirst ? [s.batch, s.time, s.input] : [s.time, s.batch, s.input], g, { requiresGrad: true });
        const h0 = rand([s.batch, H], g, { requiresGrad: true });
        const w = [rand([G, s.input], g), rand([G, H], g), rand([G], g), rand([G], g)].map((t) => t.requiresGrad_());
        const lengths = masked ? lengthsFor(s, g) : null;
        const r = gradcheck((xx, hh, wi, wh, bi, bh) => {
          const weights = { weightIh: wi!, weightHh: wh!, biasIh: opt(bias, bi!), biasHh: opt(bias, bh!) };
          const out = gruSequence(xx!, { h: hh! }, weights, { reverse, batchFirst, lengths, resetAfter });
          return [out.outputs, out.state.h];
        }, [x, h0, w[0]!, w[1]!, ...(bias ? [w[2]!, w[3]!] : [])], GRAD_TOL);
        expect(r.ok, r.report).toBe(true);
      }), { seed: SEED, numRuns: 12 });
    });
  }

  it('rejects bad input, naming the op and the shapes', () => {
    const z = (shape: number[]) => new Tensor(K.zeros(shape, { dtype: 'float64' }));
    const w = { weightIh: z([9, 5]), weightHh: z([9, 3]) };
    expect(() => gruSequence(z([4, 2, 5]), { h: z([2, 3]) }, { ...w, weightHh: z([12, 3]) }))
      .toThrow('gruSequence: weightHh must be [3·hidden, hidden]; got [12, 3]');
    expect(() => gruSequence(z([4, 2, 5]), { h: z([2, 4]) }, w)).toThrow('gruSequence: state.h must be [2, 3] ([batch, hidden]); got [2, 4]');
    expect(() => gruSequence(z([4, 2, 5]), { h: z([2, 3]) }, w, { lengths: tensor([1, 2]) }))
      .toThrow('gruSequence: lengths must be a number[] or an int32 tensor [batch]; got float32 [2]');
    expect(() => gruSequence(z([4, 2, 5]), { h: z([2, 3]) }, { ...w, biasHh: z([9]) })).toThrow('gruSequence: give both biasIh and biasHh, or neither');
  });
});

describe('float32 fast math', () => {
  // A dense grid over the range the gates see, plus the tails.
  const grid = Array.from({ length: 40001 }, (_, i) => (i - 20000) / 1000);

  it('sigmoidFast: relative error < 1e-8 (down to x = −89, below which σ < 3e-39 is subnormal in float32); tanhFast: absolute and relative error < 3e-7', () => {
    let sig = 0, sigAbs = 0, tanAbs = 0, tanRel = 0;
    for (const x of [...grid, 1e-9, -1e-9, 1e-4, 50, -50, 87, -87, -88.5, -89, 100, -100]) {
      const s = 1 / (1 + Math.exp(-x));
      if (x >= -89) sig = Math.max(sig, Math.abs(sigmoidFast(x) - s) / s);
      sigAbs = Math.max(sigAbs, Math.abs(sigmoidFast(x) - s));
      const t = Math.tanh(x);
      tanAbs = Math.max(tanAbs, Math.abs(tanhFast(x) - t));
      if (t !== 0) tanRel = Math.max(tanRel, Math.abs(tanhFast(x) - t) / Math.abs(t));
    }
    expect(sig).toBeLessThan(1e-8);
    expect(sigAbs).toBeLessThan(1e-8);
    expect(tanAbs).toBeLessThan(3e-7);
    expect(tanRel).toBeLessThan(3e-7);
    expect(tanhFast(0)).toBe(0);
  });
});

describe('WebAssembly SIMD steps (float32), forward and backward', () => {
  const w = pointwiseWasm();
  // Each kernel split into 1, 2 and 3 parts (by rows): every split must give the same rows.
  let parts = 1;
  const runAll = (kernel: Kernel, B: number, H: number, ...offsets: number[]) => {
    w!.rt.run([w!.call(kernel, B, H, ...offsets)], parts);
    parts = parts % 3 + 1;
  };
  it.runIf(w !== null)('equal the exact float64 row kernels to float32 accuracy, row by row', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (B, quads, seed) => {
      const H = 4 * quads, g = new RandomGenerator(seed);
      const rnd = (n: number, s: number) => Float64Array.from(K.randUniform([n], -s, s, { dtype: 'float64', generator: g }).data);
      // Inputs rounded to float32 first, so only the kernels' own error is measured.
      const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
      const heapOf = (sizes: number[]) => {
        const offsets: number[] = [];
        let top = 0;
        for (const n of sizes) { offsets.push(top); top += n; }
        return { heap: w!.reserve(top), offsets };
      };
      const worst = (heap: Float32Array, at: number, want: Float64Array) =>
        Math.max(...want.map((v, i) => Math.abs(heap[at + i]! - v)));

      const G = 4 * H;
      const act = f32(rnd(B * G, 8)), hh = f32(rnd(B * G, 2)), bias = f32(rnd(G, 1)), cp = f32(rnd(B * H, 2));
      const want = { act: act.slice(), c: new Float64Array(B * H), h: new Float64Array(B * H), tc: new Float64Array(B * H) };
      for (let b = 0; b < B; b++) {
        lstmForwardRow(H, false, want.act, b * G, hh, b * G, bias, cp, b * H, null, want.c, b * H, want.h, b * H, want.tc, b * H);
      }
      const l = heapOf([B * G, B * G, G, B * H, B * H, B * H, B * H]);
      [act, hh, bias, cp].forEach((v, i) => l.heap.set(v, l.offsets[i]));
      runAll(w!.lstmForward, B, H, ...(l.offsets as [number, number, number, number, number, number, number]));
      expect(worst(l.heap, l.offsets[0]!, want.act)).toBeLessThan(1e-6);
      expect(worst(l.heap, l.offsets[4]!, want.c)).toBeLessThan(1e-6);
      expect(worst(l.heap, l.offsets[5]!, want.h)).toBeLessThan(1e-6);
      expect(worst(l.heap, l.offsets[6]!, want.tc)).toBeLessThan(1e-6);

      const G3 = 3 * H;
      const gi = f32(rnd(B * G3, 6)), bi = f32(rnd(G3, 1)), gh = f32(rnd(B * G3, 2)), bh = f32(rnd(G3, 1)), hp = f32(rnd(B * H, 1));
      const wantH = new Float64Array(B * H), wantSave = new Float64Array(B * 4 * H);
      for (let b = 0; b < B; b++) gruForwardRow(H, false, gi, b * G3, bi, gh, b * G3, bh, hp, b * H, wantH, b * H, wantSave, b * 4 * H);
      const r = heapOf([B * G3, G3, B * G3, G3, B * H, B * H, B * 4 * H]);
      [gi, bi, gh, bh, hp].forEach((v, i) => r.heap.set(v, r.offsets[i]));
      runAll(w!.gruForward, B, H, ...(r.offsets as [number, number, number, number, number, number, number]));
      expect(worst(r.heap, r.offsets[5]!, wantH)).toBeLessThan(1e-6);
      expect(worst(r.heap, r.offsets[6]!, wantSave)).toBeLessThan(1e-6);

      // Backward: activations in (0, 1), tanh values in (−1, 1), gradients anywhere.
      const unit = (n: number) => f32(Float64Array.from(rnd(n, 0.45), (v) => 0.5 + v));
      const bAct = unit(B * G), bTc = f32(rnd(B * H, 0.95)), dh = f32(rnd(B * H, 1)), dy = f32(rnd(B * H, 1)), dc = f32(rnd(B * H, 1));
      const wantDG = new Float64Array(B * G), wantDc = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        lstmBackwardRow(H, bAct, b * G, cp, b * H, cp, b * H, bTc, b * H, dh.slice(), b * H, false, dy, b * H,
          dc, b * H, wantDc, b * H, wantDG, b * G, null, null);
      }
      const lb = heapOf([B * G, B * H, B * H, B * H, B * H, B * H, B * G]);
      [bAct, cp, bTc, dh, dy, dc].forEach((v, i) => lb.heap.set(v, lb.offsets[i]));
      runAll(w!.lstmBackward, B, H, ...(lb.offsets as [number, number, number, number, number, number, number]));
      expect(worst(lb.heap, lb.offsets[6]!, wantDG)).toBeLessThan(1e-6);
      expect(worst(lb.heap, lb.offsets[5]!, wantDc)).toBeLessThan(1e-6);

      const gSave = unit(B * 4 * H), wantDgi = new Float64Array(B * G3), wantDgh = new Float64Array(B * G3), wantDh = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        gruBackwardRow(H, gSave, b * 4 * H, hp, b * H, dh, b * H, dy, b * H, wantDgi, b * G3, wantDgh, b * G3, wantDh, b * H);
      }
      const gb = heapOf([B * 4 * H, B * H, B * H, B * H, B * G3, B * G3]);
      [gSave, hp, dh, dy].forEach((v, i) => gb.heap.set(v, gb.offsets[i]));
      runAll(w!.gruBackward, B, H, ...(gb.offsets as [number, number, number, number, number, number]));
      expect(worst(gb.heap, gb.offsets[4]!, wantDgi)).toBeLessThan(1e-6);
      expect(worst(gb.heap, gb.offsets[5]!, wantDgh)).toBeLessThan(1e-6);
      expect(worst(gb.heap, gb.offsets[2]!, wantDh)).toBeLessThan(1e-6);
    }), { seed: SEED, numRuns: 20 });
  });

  it.runIf(w !== null)('σ and tanh hold at the edges of their clamps, out to ±∞, and keep NaN NaN (LSTM forward)', () => {
    // Pre-activations around e^x's clamp (±87), tanh's (±7.9), where 2^k's exponent ends, zero and NaN.
    const edge = [-Infinity, -1e30, -200, -104, -89, -88, -87.5, -87, -86.9, -20, -8, -7.9, -1, -1e-30, -0, 0, 1e-30, 0.5,
      7.9, 8, 20, 86.9, 87, 87.5, 88, 89, 104, 200, 1e30, Infinity, NaN, -0.3465736];
    const H = 4 * Math.ceil(edge.length / 4), G = 4 * H;
    const heap = w!.reserve(3 * G + 4 * H)!;
    heap.fill(0);
    for (let q = 0; q < 4; q++) heap.set(edge, q * H);
    // act [1, 4H] at 0, hh and bias zero, cPrev zero; c, h, tanh(c) after them.
    w!.rt.run([w!.call(w!.lstmForward, 1, H, 0, G, 2 * G, 3 * G, 3 * G + H, 3 * G + 2 * H, 3 * G + 3 * H)], 1);
    const sigma = (v: number) => 1 / (1 + Math.exp(-v));
    edge.forEach((v, j) => {
      const want = [sigma(v), sigma(v), Math.tanh(v), sigma(v)];
      want.forEach((y, q) => {
        const x = heap[q * H + j]!;
        if (Number.isNaN(v)) expect(x, `gate ${q} at NaN`).toBeNaN();
        else expect(Math.abs(x - y), `gate ${q} at ${v}: ${x} vs ${y}`).toBeLessThan(1e-6);
      });
    });
  });
});

describe('recycling what backward read', () => {
  it("defineOp's release hook runs once, after the last backward through the node (none while retained)", () => {
    const released: unknown[] = [];
    const op = defineOp<undefined>({
      name: 'fusedTestDouble',
      inputs: ['x'],
      forward: ([x]) => ({ outputs: [K.mul(x!, K.full(x!.shape, 2, { dtype: 'float64' }))], saved: 'kept' }),
      backward: ({ dy }) => [() => K.mul(dy, K.full(dy.shape, 2, { dtype: 'float64' }))],
      release: (saved) => { released.push(saved); },
    });
    const x = new Tensor(K.ones([3], { dtype: 'float64' }), { requiresGrad: true });
    const y = op.apply([x], undefined).sum();
    y.backward(undefined, { retainGraph: true });
    expect(released).toEqual([]);
    y.backward();
    expect(released).toEqual(['kept']);
    expect([...x.grad!.values()]).toEqual([4, 4, 4]);
  });

  it('the pool hands a released buffer back out, and only exact sizes', () => {
    const a = takeBuffer('float32', 1234);
    giveBack(a);
    expect(takeBuffer('float32', 1235)).not.toBe(a);
    expect(takeBuffer('float64', 1234)).not.toBe(a);
    expect(takeBuffer('float32', 1234)).toBe(a);
    expect(takeBuffer('float32', 1234)).not.toBe(a);
  });
});
