// Checks the WebAssembly SIMD float32 gemm against the naive oracle and against the JS kernel: every
// transpose, stride, offset, alpha/beta, block edge, both packing paths, NaN outside the operands, and
// the backend dispatch in gemm().
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { gemm, gemmBackend, gemmNaive, setGemmBackend, type FloatArray } from '../src/kernels/gemm.js';
import { gemmWasmF32, wasmGemmAvailable } from '../src/kernels/wasm/gemm-f32.js';
import { getNumThreads, setNumThreads } from '../src/kernels/wasm/threads.js';
import {
  SEED, base, gemmArgs, inWindow, layouts, scalar, storedLayout, uniform, type GemmProblem, type Operands,
} from './gemm-helpers.js';

const U = 2 ** -24; // unit roundoff of float32

type Problem = GemmProblem;

/**
 * Random float32 A, B and C in the stored layout. Every element of A and B outside the operand (offset,
 * row padding, tail) is NaN: the kernel reads past the operands into padding lanes, and this shows that
 * nothing from there reaches C.
 */
function operands(p: Problem): Operands<Float32Array> {
  const next = uniform(p.dataSeed);
  const matrix = (rows: number, cols: number, ld: number, off: number, outside: number) => {
    const x = new Float32Array(off + rows * ld + 3).fill(outside);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) x[off + i * ld + j] = next();
    return x;
  };
  const { aRows, aCols, bRows, bCols, lda, ldb, ldc } = storedLayout(p);
  return {
    a: matrix(aRows, aCols, lda, p.offA, NaN), lda,
    b: matrix(bRows, bCols, ldb, p.offB, NaN), ldb,
    // C's outside is finite so that "left alone" can be checked with toBe.
    c: matrix(p.m, p.n, ldc, p.offC, 7), ldc,
  };
}

type Gemm = (transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, aOffset: number, lda: number, b: FloatArray, bOffset: number, ldb: number,
  beta: number, c: FloatArray, cOffset: number, ldc: number) => void;
const wasm: Gemm = (...args) => {
  if (!gemmWasmF32(...(args as Parameters<typeof gemmWasmF32>))) throw new Error('gemmWasmF32: memory full');
};
/** The JS kernel, whatever the current backend. */
const js: Gemm = (...args) => {
  const saved = gemmBackend();
  setGemmBackend('js');
  try {
    gemm(...args);
  } finally {
    setGemmBackend(saved);
  }
};

/**
 * Runs `got` and `want` on copies of the same C and checks them element by element, within `ulps` float32
 * roundings of |alpha|·|op(A)|·|op(B)| + |beta|·|C| (the rigorous bound for a k-term float32 sum is k + 1).
 */
function check(p: Problem, o: Operands<Float32Array> = operands(p), got: Gemm = wasm, want: Gemm = gemmNaive,
  ulps = p.k + 8): void {
  const g = o.c.slice(), w = o.c.slice();
  got(...gemmArgs(p, o, g));
  want(...gemmArgs(p, o, w));
  // The same product on absolute values bounds each entry's rounding error. It runs in float64 (NaN
  // padding zeroed), where gemm always takes the JS kernel, accurate to ~k·2⁻⁵³.
  const abs = (x: Float32Array) => {
    // NOTE: a plain loop; Float64Array.from with a map function takes seconds for 10⁷ elements.
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = Number.isNaN(x[i]!) ? 0 : Math.abs(x[i]!);
    return y;
  };
  const scale = abs(o.c);
  gemm(...gemmArgs(p, o, scale, Math.abs(p.alpha), Math.abs(p.beta), abs(o.a), abs(o.b)));
  for (let q = 0; q < g.length; q++) {
    if (!inWindow(p, o.ldc, q)) {
      if (g[q] !== o.c[q]) expect.fail(`C[${q}] is outside the window but became ${g[q]} for ${JSON.stringify(p)}`);
    } else if (!(Math.abs(g[q]! - w[q]!) <= ulps * U * scale[q]! + 1e-30)) {
      expect.fail(`C[${q}]: got ${g[q]}, want ${w[q]} (scale ${scale[q]}) for ${JSON.stringify(p)}`);
    }
  }
}

// Padding 0–5 keeps an operand's span within 25% of its size (copied with one memcpy) for most sizes;
// 20–90 forces the row-by-row copy.
const pad = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 20, max: 90 }));
const problem = (maxSize: number): fc.Arbitrary<Problem> => fc.record({
  transA: fc.boolean(), transB: fc.boolean(),
  m: fc.integer({ min: 0, max: maxSize }), n: fc.integer({ min: 0, max: maxSize }), k: fc.integer({ min: 0, max: maxSize }),
  alpha: scalar, beta: scalar,
  padA: pad, padB: pad, padC: pad,
  offA: fc.integer({ min: 0, max: 7 }), offB: fc.integer({ min: 0, max: 7 }), offC: fc.integer({ min: 0, max: 7 }),
  dataSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

afterEach(() => setGemmBackend('auto'));

describe('gemmWasmF32', () => {
  it('runs here (Node has WebAssembly SIMD), so none of the tests below is vacuous', () => {
    expect(wasmGemmAvailable()).toBe(true);
  });

  it('matches gemmNaive for random sizes 0..70, transposes, strides, offsets, alpha and beta', () => {
    fc.assert(fc.property(problem(70), (p) => check(p)), { seed: SEED, numRuns: 300 });
  });

  it('matches the JS kernel for random sizes 0..300', () => {
    // Both are accurate to about k float32 roundings; the JS kernel sums in float64.
    fc.assert(fc.property(problem(300), (p) => check(p, operands(p), wasm, js, p.k + 16)), { seed: SEED, numRuns: 40 });
  });

  it.each(layouts)('matches gemmNaive at 200×300×150, transA=%s transB=%s', (transA, transB) => {
    check({ ...base, transA, transB, m: 200, n: 300, k: 150, alpha: 0.75, beta: -0.5, padA: 3, offC: 5 });
  });

  it.each(layouts)('matches gemmNaive past every cache block (70×1030×520), transA=%s transB=%s', (transA, transB) => {
    // n > NC and k > 2·KC, none a multiple of its block or tile, so every ragged edge is visited.
    check({ ...base, transA, transB, m: 70, n: 1030, k: 520, alpha: -1.25, beta: 1, padB: 2, offA: 3 });
  });

  it.each(layouts)('matches gemmNaive for bottom tiles of 1, 2 and 3 rows across k-slices, transA=%s transB=%s',
    (transA, transB) => {
      // A ragged tile must write only its own rows: the operand copies sit right after staged C in wasm
      // memory and are packed again for the second k-slice (k > KC), so a stray row would corrupt them.
      for (const m of [125, 126, 127]) check({ ...base, transA, transB, m, n: 300, k: 300, beta: 0.5 });
    });

  it.each(layouts)('matches the JS kernel on a large C with a padded row stride (1100×1030×20), transA=%s transB=%s',
    (transA, transB) => {
      // C is copied into the runtime's memory and back (beta ≠ 0), past one NC block of columns and
      // split over the threads.
      check({ ...base, transA, transB, m: 1100, n: 1030, k: 20, alpha: 0.5, beta: 2, padC: 1 }, undefined, wasm, js, 40);
    });

  it.each([[false, false], [true, true]] as const)(
    'matches gemmNaive on a long k (9×10×466100, 18 KC slices), transA=%s transB=%s', (transA, transB) => {
      // NN and TT between them pack each operand both along and across its rows.
      check({ ...base, transA, transB, m: 9, n: 10, k: 466100, alpha: 1, beta: -1, padA: 1, offB: 2 });
    });

  it.each(layouts)('matches gemmNaive when a large product shares one packed B among row parts (520×130×1000), transA=%s transB=%s',
    (transA, transB) => {
      // ≥ 2²⁶ multiply-adds split by rows: op(B) is packed once and the rows go out in more parts than
      // threads (at 2 threads); each part packs only its own rows of A.
      check({ ...base, transA, transB, m: 520, n: 130, k: 1000, alpha: 0.5, beta: -1, padA: 1, offB: 3 });
    });

  it('gives the same bits at 1 and 2 threads on a product that shares its packed B (1030×70×1000)', () => {
    const p = { ...base, m: 1030, n: 70, k: 1000, beta: 0.5 };
    const o = operands(p);
    const before = getNumThreads();
    const results = [1, 2].map((t) => {
      setNumThreads(t);
      const c = o.c.slice();
      wasm(...gemmArgs(p, o, c));
      return c;
    });
    setNumThreads(before);
    expect(results[1]).toEqual(results[0]);
  });

  it.each([
    ['[32,256]·[1024,256]ᵀ', 32, 1024, 256, false, true],
    ['[32,1024]·[1024,256]', 32, 256, 1024, false, false],
    ['[32,1024]ᵀ·[32,256]', 1024, 256, 32, true, false],
    ['[2048,65]·[65,256]', 2048, 256, 65, false, false],
  ] as const)('matches the JS kernel on the recurrent shape %s', (_, m, n, k, transA, transB) => {
    check({ ...base, transA, transB, m, n, k, beta: 1 }, undefined, wasm, js, k + 16);
  });

  it('with beta = 0 overwrites C without reading it (NaN there is ignored)', () => {
    const sizes = [[1, 9, 5], [9, 2, 5], [37, 45, 29], [64, 64, 64], [5, 3, 300]] as const;
    for (const [transA, transB] of layouts) {
      for (const [m, n, k] of sizes) {
        const p: Problem = { ...base, transA, transB, m, n, k, alpha: 1.5, padC: 2, offC: 1 };
        const o = operands(p);
        for (let i = 0; i < m; i++) o.c.fill(NaN, p.offC + i * o.ldc, p.offC + i * o.ldc + n);
        check(p, o);
      }
    }
  });

  it('with k = 0 or alpha = 0 only scales C by beta, and with m = 0 or n = 0 does nothing', () => {
    const c = Float32Array.of(1, 2, 3, 4, NaN);
    const empty = new Float32Array(0);
    gemmWasmF32(false, false, 2, 2, 0, 1, empty, 0, 0, empty, 0, 2, 3, c, 0, 2);
    expect([...c]).toEqual([3, 6, 9, 12, NaN]);
    gemmWasmF32(false, false, 2, 2, 1, 0, empty, 0, 1, empty, 0, 2, 0, c, 0, 2);
    expect([...c]).toEqual([0, 0, 0, 0, NaN]);
    gemmWasmF32(false, false, 0, 2, 3, 1, empty, 0, 3, empty, 0, 2, 0, c, 0, 2);
    gemmWasmF32(false, false, 2, 0, 3, 1, empty, 0, 3, empty, 0, 0, 0, c, 0, 2);
    expect([...c]).toEqual([0, 0, 0, 0, NaN]);
  });

  it('gives the same answer after the wasm memory has grown and shrunk back to a small problem', () => {
    const small: Problem = { ...base, transA: true, transB: false, m: 13, n: 17, k: 11, beta: 0.5, dataSeed: 3 };
    const o = operands(small);
    const first = o.c.slice(), again = o.c.slice();
    gemmWasmF32(true, false, 13, 17, 11, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0.5, first, 0, o.ldc);
    check({ ...base, transA: false, transB: true, m: 600, n: 700, k: 300, dataSeed: 4 }, undefined, wasm, js, 316);
    gemmWasmF32(true, false, 13, 17, 11, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0.5, again, 0, o.ldc);
    expect(again).toEqual(first);
  });
});

describe('gemm backend dispatch', () => {
  const p: Problem = { ...base, transA: false, transB: true, m: 40, n: 48, k: 64, dataSeed: 11 };
  const run = (f: Gemm, o: Operands) => {
    const c = o.c.slice();
    f(p.transA, p.transB, p.m, p.n, p.k, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0, c, 0, o.ldc);
    return c;
  };

  it("is 'auto' by default and reports what setGemmBackend chose", () => {
    expect(gemmBackend()).toBe('auto');
    setGemmBackend('js');
    expect(gemmBackend()).toBe('js');
    setGemmBackend('wasm');
    expect(gemmBackend()).toBe('wasm');
  });

  it("runs float32 on the wasm kernel under 'wasm' and 'auto', on the JS kernel under 'js'", () => {
    const o = operands(p);
    const viaWasm = run(wasm, o);
    // The JS kernel sums in float64 and rounds once (k ≤ 256, beta = 0): exactly fround of the float64 product.
    const o64 = { ...o, a: Float64Array.from(o.a), b: Float64Array.from(o.b) };
    const c64 = Float64Array.from(o.c);
    gemmNaive(p.transA, p.transB, p.m, p.n, p.k, 1, o64.a, 0, o.lda, o64.b, 0, o.ldb, 0, c64, 0, o.ldc);
    const viaJs = Float32Array.from(c64);
    // The float32 sums round differently somewhere, so the two backends are told apart.
    expect(viaWasm).not.toEqual(viaJs);
    setGemmBackend('js');
    expect(run(gemm, o)).toEqual(viaJs);
    setGemmBackend('wasm');
    expect(run(gemm, o)).toEqual(viaWasm);
    setGemmBackend('auto');
    expect(run(gemm, o)).toEqual(viaWasm);
  });

  it("sends tiny float32 products to the JS kernel under 'auto' but to wasm under 'wasm'", () => {
    // 1 × 1 × 3: the JS kernel's float64 sum rounds once; the wasm one rounds each float32 step.
    const a = Float32Array.of(1, 2 ** -30, -1), b = Float32Array.of(1, 1, 1), c = new Float32Array(1);
    gemm(false, false, 1, 1, 3, 1, a, 0, 3, b, 0, 1, 0, c, 0, 1);
    expect(c[0]).toBe(2 ** -30);
    setGemmBackend('wasm');
    gemm(false, false, 1, 1, 3, 1, a, 0, 3, b, 0, 1, 0, c, 0, 1);
    expect(c[0]).toBe(0);
  });

  it('falls back to the JS kernel where WebAssembly is missing, and refuses to force wasm there', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    try {
      // Fresh copies of the modules, which look for WebAssembly when they load.
      const fresh = await import('../src/kernels/gemm.js');
      const freshWasm = await import('../src/kernels/wasm/gemm-f32.js');
      expect(freshWasm.wasmGemmAvailable()).toBe(false);
      expect(() => fresh.setGemmBackend('wasm')).toThrow(/needs WebAssembly SIMD/);
      expect(() => freshWasm.gemmWasmF32(false, false, 1, 1, 1, 1, new Float32Array(1), 0, 1, new Float32Array(1), 0, 1,
        0, new Float32Array(1), 0, 1)).toThrow(/cannot run here \(this engine has no WebAssembly SIMD\)/);
      const o = operands(p);
      const got = o.c.slice(), want = o.c.slice();
      fresh.gemm(p.transA, p.transB, p.m, p.n, p.k, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0, got, 0, o.ldc);
      js(p.transA, p.transB, p.m, p.n, p.k, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0, want, 0, o.ldc);
      expect(got).toEqual(want);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it("keeps float64 on the JS kernel even under 'wasm'", () => {
    const o = operands({ ...p, dataSeed: 12 });
    const a = Float64Array.from(o.a), b = Float64Array.from(o.b);
    const want = Float64Array.from(o.c), got = Float64Array.from(o.c);
    setGemmBackend('js');
    gemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, 0, o.lda, b, 0, o.ldb, 0, want, 0, o.ldc);
    setGemmBackend('wasm');
    gemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, 0, o.lda, b, 0, o.ldb, 0, got, 0, o.ldc);
    expect(got).toEqual(want);
  });
});
