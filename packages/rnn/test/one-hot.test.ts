// The fused ops' one-hot input path (one-hot.ts): which inputs count as one-hot, the gather and the
// scatter-add against the gemms they replace (same values up to the order of a sum; non-finite weights or
// gradients take the gemm), and LSTM/GRU layers on one-hot input — with lengths, reverse, batchFirst,
// float64 against the composed cells and float32 against the gemm path at 1 and 2 threads.
import { afterEach, describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { getNumThreads, setNumThreads } from '@unroll/core';
import { RandomGenerator, Tensor } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';
import type { GRUOptions, LSTMOptions } from '@unroll/rnn';
import { inputProjection, oneHotRows, setOneHotPath, weightIhGrad } from '../src/fused/one-hot.js';
import type { SequenceData } from '../src/fused/common.js';
import { pointwiseWasm } from '../src/fused/wasm/runtime.js';
import { expectClose, rand } from './helpers.js';

const threadsAtStart = getNumThreads();
afterEach(() => {
  setNumThreads(threadsAtStart);
  setOneHotPath(true);
});

/** A one-hot [rows, I] (rows listed in `zero` all zeros) in `dtype`, from a seeded generator. */
function oneHot(rows: number, I: number, g: RandomGenerator, dtype: 'float32' | 'float64', zero: (r: number) => boolean = () => false) {
  const x = dtype === 'float32' ? new Float32Array(rows * I) : new Float64Array(rows * I);
  for (let r = 0; r < rows; r++) if (!zero(r)) x[r * I + g.int(I)] = 1;
  return x;
}

describe('oneHotRows', () => {
  it('gives each row its hot column, −1 for an all-zero row', () => {
    const X = new Float64Array([0, 1, 0, /**/ 0, 0, 0, /**/ 1, 0, 0, /**/ 0, 0, 1]);
    expect(Array.from(oneHotRows(X, 4, 3)!)).toEqual([1, -1, 0, 2]);
    expect(Array.from(oneHotRows(new Float32Array([-0, 1]), 1, 2)!)).toEqual([1]);
  });

  it('is null for anything else: a second 1, a value other than 0 and 1, NaN; and when switched off', () => {
    for (const bad of [[1, 1, 0], [0, 2, 0], [0, 0.5, 0], [0, -1, 0], [NaN, 0, 0], [0, Infinity, 0]]) {
      expect(oneHotRows(new Float64Array([1, 0, 0, ...bad]), 2, 3), `row ${bad}`).toBeNull();
    }
    const ok = new Float64Array([0, 1, 0]);
    expect(oneHotRows(ok, 1, 3)).not.toBeNull();
    setOneHotPath(false);
    expect(oneHotRows(ok, 1, 3)).toBeNull();
  });
});

describe('the gather and the scatter-add against the gemms', () => {
  /** Sizes and a one-hot X with every third row zero, weights and dG in `dtype`. */
  function setUp(dtype: 'float32' | 'float64', seed: number) {
    const g = new RandomGenerator(seed);
    const T = 5, B = 3, I = 7, H = 4, G = 4 * H, TB = T * B;
    const X = oneHot(TB, I, g, dtype, (r) => r % 3 === 2);
    const Wih = rand([G, I], g, { dtype }).data.data as Float32Array | Float64Array;
    const dG = rand([TB + 2, G], g, { dtype }).data.data as Float32Array | Float64Array;
    const s: SequenceData = { T, B, I, H, dtype, X, Wih, Whh: Wih, hot: oneHotRows(X, TB, I) };
    expect(s.hot).not.toBeNull();
    return { s, G, TB, dG, gemm: { ...s, hot: null } };
  }

  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: x·W_ihᵀ is the gemm's exactly; dW_ih equals it to rounding (dG read at an offset)`, () => {
      const { s, G, TB, dG, gemm } = setUp(dtype, 1);
      const out = new Float64Array(TB * G + 8), want = new Float64Array(TB * G + 8);
      if (dtype === 'float32') {
        const o32 = new Float32Array(out.length), w32 = new Float32Array(out.length);
        inputProjection(s, G, o32, 8);
        inputProjection(gemm, G, w32, 8);
        expect(Array.from(o32)).toEqual(Array.from(w32));
      } else {
        inputProjection(s, G, out, 8);
        inputProjection(gemm, G, want, 8);
        expect(Array.from(out)).toEqual(Array.from(want));
      }
      const tol = dtype === 'float64' ? 1e-14 : 1e-6;
      const [got, want2] = [weightIhGrad(s, dG, 2 * G, G), weightIhGrad(gemm, dG, 2 * G, G)];
      expect(got.shape).toEqual([G, s.I]);
      expectClose(new Tensor(got), new Tensor(want2), tol, 'dW_ih');
    });
  }

  it.runIf(pointwiseWasm() !== null)('the WebAssembly gather and scatter (data in the kernel memory) give the JS loops\' bits, at 1 and 2 threads', () => {
    const w = pointwiseWasm()!;
    // Big enough (T·B·G ≥ 2¹⁸) to be split over the threads.
    const g = new RandomGenerator(8);
    const T = 40, B = 16, I = 11, H = 128, G = 4 * H, TB = T * B;
    const X = oneHot(TB, I, g, 'float32', (r) => r % 7 === 3);
    const Wih = rand([G, I], g, { dtype: 'float32' }).data.data as Float32Array;
    const dGjs = rand([TB, G], g, { dtype: 'float32' }).data.data as Float32Array;
    const s: SequenceData = { T, B, I, H, dtype: 'float32', X, Wih, Whh: Wih, hot: oneHotRows(X, TB, I) };
    const want = new Float32Array(TB * G + 4);
    inputProjection(s, G, want, 4);
    const wantDw = Array.from(weightIhGrad(s, dGjs, 0, G).data as Float32Array);
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const heap = w.reserve(2 * TB * G + 8)!;
      heap.fill(NaN);
      inputProjection(s, G, heap, 4, w);
      expect(Array.from(w.view().subarray(0, TB * G + 4)).slice(4)).toEqual(Array.from(want).slice(4));
      w.view().set(dGjs, TB * G + 8);
      expect(Array.from(weightIhGrad(s, w.view(), TB * G + 8, G, w).data as Float32Array)).toEqual(wantDw);
      // A non-finite dG in the kernel memory takes the gemm too.
      w.view()[TB * G + 8 + 5 * G + 2] = Infinity;
      const bad = Array.from(weightIhGrad(s, w.view(), TB * G + 8, G, w).data as Float32Array);
      const badJs = Float32Array.from(dGjs);
      badJs[5 * G + 2] = Infinity;
      expect(bad).toEqual(Array.from(weightIhGrad({ ...s, hot: null }, badJs, 0, G).data as Float32Array));
    }
  });

  it('a non-finite W_ih or dG takes the gemm (0·∞ = NaN spreads as it always did)', () => {
    const { s, G, TB, dG, gemm } = setUp('float64', 2);
    // A NaN in a column no row picks: the gemm makes every output NaN, and so must the one-hot path.
    const unused = [...Array(s.I).keys()].find((i) => !s.hot!.includes(i));
    const Wih = Float64Array.from(s.Wih);
    if (unused !== undefined) Wih[unused] = NaN; else Wih[0] = Infinity;
    const out = new Float64Array(TB * G), want = new Float64Array(TB * G);
    inputProjection({ ...s, Wih }, G, out, 0);
    inputProjection({ ...gemm, Wih }, G, want, 0);
    expect(Array.from(out)).toEqual(Array.from(want));
    const bad = Float64Array.from(dG);
    bad[5 * G + 3] = Infinity;
    bad[7 * G + 1] = NaN;
    const got = Array.from(weightIhGrad(s, bad, 0, G).data as Float64Array);
    expect(got).toEqual(Array.from(weightIhGrad(gemm, bad, 0, G).data as Float64Array));
    expect(got.some(Number.isNaN)).toBe(true);
  });
});

type Module = LSTM | GRU;

/** Forward and backward of `m` on x (weighted sums of outputs and final state): values and every gradient. */
function run(m: Module, x: Tensor, lengths?: number[]): Tensor[] {
  for (const p of m.parameters()) p.grad = null;
  const xs = new Tensor(x.data, { requiresGrad: true });
  const r = m.forward(xs, undefined, { lengths });
  const g = new RandomGenerator(99);
  const weigh = (t: Tensor) => t.mul(rand(t.shape, g, { dtype: t.dtype as 'float32' | 'float64' })).sum();
  weigh(r.output).add(weigh(r.state.h)).backward();
  return [r.output, r.state.h, xs.grad!, ...m.parameters().map((p) => p.grad!)];
}

/** A one-hot x [T, B, I] (or [B, T, I]) whose padded steps (by `lengths`) are all-zero rows. */
function oneHotInput(T: number, B: number, I: number, batchFirst: boolean, dtype: 'float32' | 'float64', lengths?: number[]): Tensor {
  const g = new RandomGenerator(5);
  // Row r is (t, b) = (r / B, r % B) time-major, (r % T, r / T) batch-first.
  const step = (r: number) => (batchFirst ? [r % T, Math.floor(r / T)] : [Math.floor(r / B), r % B]) as [number, number];
  const X = oneHot(T * B, I, g, dtype, (r) => { const [t, b] = step(r); return lengths !== undefined && t >= lengths[b]!; });
  return new Tensor(K.fromData(X, batchFirst ? [B, T, I] : [T, B, I]));
}

describe('LSTM and GRU layers on one-hot input', () => {
  const modules: [string, (o: LSTMOptions & GRUOptions) => Module][] = [
    ['LSTM', (o) => new LSTM(o)], ['GRU', (o) => new GRU(o)], ['GRU reset before', (o) => new GRU({ ...o, resetAfter: false })],
  ];
  for (const [name, make] of modules) {
    it(`${name}, float64: the one-hot path equals the composed cells to 1e-10 (bidirectional, batchFirst, lengths)`, () => {
      const [T, B, I, H] = [6, 3, 5, 4];
      for (const batchFirst of [false, true]) {
        for (const lengths of [undefined, [6, 2, 4]]) {
          const opts = (fused: boolean) => ({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst, fused, dtype: 'float64' as const, generator: new RandomGenerator(3) });
          const fused = make(opts(true)), composed = make(opts(false));
          composed.loadStateDict(fused.stateDict());
          const x = oneHotInput(T, B, I, batchFirst, 'float64', lengths);
          const f = run(fused, x, lengths), k = run(composed, x, lengths);
          f.forEach((t, i) => expectClose(t, k[i]!, 1e-10, `${name} batchFirst ${batchFirst} lengths ${lengths} value ${i}`));
        }
      }
    });
  }

  for (const [name, make] of modules.slice(0, 2)) {
    it(`${name}, float32 (WebAssembly step): the one-hot path equals the gemm path to rounding, at 1 and 2 threads`, () => {
      // hidden 64 splits a step over the threads; lengths give zero rows and padded steps, reverse runs in the bidirectional layer.
      const [T, B, I, H] = [7, 12, 9, 64];
      const lengths = [7, 3, 5, 7, 1, 2, 7, 6, 4, 7, 7, 2];
      const x = oneHotInput(T, B, I, false, 'float32', lengths);
      const results: Tensor[][] = [];
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        for (const path of [true, false]) {
          setOneHotPath(path);
          results.push(run(make({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, generator: new RandomGenerator(3) }), x, lengths));
        }
      }
      const [want] = results;
      for (const other of results.slice(1)) {
        other.forEach((t, i) => {
          const scale = Math.max(1, ...[...want![i]!.values()].map(Math.abs));
          expectClose(t, want![i]!, 2e-6 * scale, `${name} value ${i}`);
        });
      }
    });
  }
});
