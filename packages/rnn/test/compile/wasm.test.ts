// compileCell's generated WebAssembly (float32): the vectorised e^x, σ and tanh against Math.* over the whole
// float32 range (stated bounds), each scalar-rule form the emitter reads against the rule run in JS, and
// whole compiled sequences with the WebAssembly kernels against the same sequences with the JS kernels.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, defineOp, matmul, opSpec } from '@unroll/autograd';
import type { PointwiseRule } from '@unroll/autograd';
import { GRUCell, RNNCell, compileCell, unroll } from '@unroll/rnn';
import { wasmRuntime } from '@unroll/core/internal';
import { mathKernelForTest } from '../../src/compile/wasm-math.js';
import { ruleExpr, ruleKernelForTest } from '../../src/compile/wasm-rules.js';
import { setWasmKernels, wasmKernelPasses } from '../../src/compile/runtime.js';
import { SEED, rand } from '../helpers.js';
import { ConcatMGU, IndRNN, LayerNormLSTM, MGU, ManyProjections, UserLSTM } from './cells.js';
import { maxError, runAll } from './run.js';

const hasSimd = wasmRuntime() !== null;

/** The float32 ulp at v (2⁻¹⁴⁹ below the normal range). */
function ulp(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Inputs covering float32: a dense sweep of [−110, 110], random magnitudes 2⁻⁴⁰…2⁴⁰ of both signs, and specials. */
function inputs(): Float32Array {
  const g = new RandomGenerator(3);
  const n = 1 << 18;
  const x = new Float32Array(n);
  for (let i = 0; i < n / 2; i++) x[i] = -110 + (220 * i) / (n / 2);
  for (let i = n / 2; i < n; i++) x[i] = (g.uniform() < 0.5 ? -1 : 1) * 2 ** (80 * g.uniform() - 40);
  [0, -0, NaN, Infinity, -Infinity, 88.72, 88.73, -87.3, -103.9, -104.1, 1e-30, -1e-30, 3e-45, 7.9, -7.9, 9.1].forEach((v, i) => { x[i] = v; });
  return x;
}

// Largest errors measured on this machine (ulp): exp 1, σ 2, tanh 6; the bounds leave room for other engines'
// rounding. Every bound is `bound` ulp of the correctly rounded float32 value plus 2⁻¹²⁶ absolute (results
// and intermediate products in the subnormal range lose bits, as float32 code does).
const BOUNDS = { exp: [Math.exp, 2], sigmoid: [(x: number) => 1 / (1 + Math.exp(-x)), 3], tanh: [Math.tanh, 8] } as const;

describe.runIf(hasSimd)('float32x4 e^x, σ(x), tanh(x)', () => {
  for (const [name, [ref, bound]] of Object.entries(BOUNDS)) {
    it(`${name}: within ${bound} ulp (+ 2⁻¹²⁶) of the correctly rounded value; ±0, ±Inf and NaN as Math.${name === 'sigmoid' ? 'exp' : name}`, () => {
      const f = mathKernelForTest(name as keyof typeof BOUNDS)!;
      const x = inputs();
      const y = f(x);
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        const want = Math.fround(ref(x[i]!));
        const got = y[i]!;
        if (!Number.isFinite(want)) { expect(got, `${name}(${x[i]})`).toBe(want); continue; }
        if (Math.abs(want) < 2 ** -126) { expect(Math.abs(got - want), `${name}(${x[i]})`).toBeLessThanOrEqual(2 ** -126); continue; }
        worst = Math.max(worst, Math.max(0, Math.abs(got - want) - 2 ** -126) / ulp(want));
      }
      expect(worst).toBeLessThanOrEqual(bound);
      if (name === 'tanh') expect(Object.is(f(Float32Array.of(-0, 0, 0, 0))[0], -0)).toBe(true);
    });
  }
  it('agree with Math on random float32 values (fast-check)', () => {
    const kernels = Object.fromEntries(Object.keys(BOUNDS).map((k) => [k, mathKernelForTest(k as keyof typeof BOUNDS)!]));
    fc.assert(fc.property(fc.array(fc.float({ noDefaultInfinity: false }), { minLength: 4, maxLength: 64 }), (values) => {
      const x = new Float32Array(Math.ceil(values.length / 4) * 4);
      x.set(values);
      for (const [name, [ref, bound]] of Object.entries(BOUNDS)) {
        const y = kernels[name]!(x);
        x.forEach((v, i) => {
          const want = Math.fround(ref(v));
          if (Number.isNaN(want)) expect(y[i]).toBeNaN();
          // Past FLT_MAX: Inf, or FLT_MAX itself where the exact value is within an ulp of it.
          else if (!Number.isFinite(want)) expect(Math.abs(y[i]!)).toBeGreaterThanOrEqual(3.4028234e38);
          else expect(Math.abs(y[i]! - want), `${name}(${v})`).toBeLessThanOrEqual(bound * ulp(want) + 2 ** -126);
        });
      }
    }), { seed: SEED, numRuns: 50 });
  });
});

/** A rule run in JS on float32 inputs (each op then rounded once more). */
const inJs = (fn: (...a: number[]) => number, cols: Float32Array[]) => Float32Array.from(cols[0]!, (_, i) => fn(...cols.map((c) => c[i]!)));

describe.runIf(hasSimd)('scalar rules as WebAssembly', () => {
  const g = new RandomGenerator(4);
  const col = (scale = 3) => Float32Array.from({ length: 64 }, (_, i) => (i < 4 ? [0, -0, NaN, 1][i]! : scale * (2 * g.uniform() - 1)));
  // [name, rule, the op's input count (a partial's y is the argument after them), arguments]
  const rule = (op: string) => opSpec(op)!.pointwise!(undefined) as PointwiseRule;
  const cases: [string, (...a: number[]) => number, number, number][] = [
    ['add', rule('add').forward, 2, 2],
    ['mul partial (a, b) => b', rule('mul').partials[0]!, 2, 3],
    ['div partial −y/b', rule('div').partials[1]!, 2, 3],
    ['relu', rule('relu').forward, 1, 1],
    ['relu partial (reads y)', rule('relu').partials[0]!, 1, 2],
    ['tanh partial (autograd wraps 1 − y² as an output rule)', rule('tanh').partials[0]!, 1, 2],
    ['sigmoid partial', rule('sigmoid').partials[0]!, 1, 2],
    ['neg (a constant partial)', rule('neg').partials[0]!, 1, 2],
    ['abs partial Math.sign (NaN stays NaN)', rule('abs').partials[0]!, 1, 2],
    ['log partial 1/x (the input rule itself)', rule('log').partials[0]!, 1, 2],
    ['sqrt', Math.sqrt, 1, 1],
    ['where (a number as a condition: NaN and 0 are false)', rule('where').forward, 3, 3],
    ['softsign, an arrow with Math.abs', (x) => x / (1 + Math.abs(x)), 1, 1],
    ['a function with a return', function (x: number) { return x > 1 || x < -1 ? x * 0.5 : -x; }, 1, 1],
    ['x ** 2, Math.max and Math.min', (a, b) => Math.max(a ** 2, Math.min(b, 0.25)), 2, 2],
  ];
  for (const [name, fn, arity, n] of cases) {
    it(name, () => {
      const cols = Array.from({ length: n }, () => col());
      const got = ruleKernelForTest(fn, arity, cols);
      expect(got).not.toBeNull();
      const want = inJs(fn, cols);
      want.forEach((w, i) => {
        if (!Number.isFinite(w)) expect(got![i], `${name} at ${cols.map((c) => c[i])}`).toBe(w);
        else expect(Math.abs(got![i]! - w), `${name} at ${cols.map((c) => c[i])}`).toBeLessThanOrEqual(4 * ulp(w));
      });
    });
  }
  it('reads exp, tanh and σ by identity and agrees with them to their bounds', () => {
    const cols = [col(20)];
    for (const op of ['exp', 'tanh', 'sigmoid']) {
      const fn = opSpec(op)!.pointwise!(undefined).forward;
      const got = ruleKernelForTest(fn, 1, cols)!;
      inJs(fn, cols).forEach((w, i) => {
        if (Number.isNaN(w)) expect(got[i]).toBeNaN();
        else expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(8 * ulp(w) + 2 ** -126);
      });
    }
  });
  it('a rule it cannot read is null (its group then runs the JS kernel): a closure, an unsupported call, a string', () => {
    const clampRule = opSpec('clamp')!.pointwise!({ min: -1, max: 1 });
    expect(ruleExpr(clampRule.forward, 1)).toBeNull();
    expect(ruleExpr(Math.log, 1)).toBeNull();
    expect(ruleExpr((x) => Math.log1p(x), 1)).toBeNull();
    expect(ruleExpr((x) => Number(`${x}`), 1)).toBeNull();
    // && on numbers (JS would coerce them): read, but not emittable.
    expect(ruleKernelForTest((x) => (x ? 1 : 0) && 2, 1, [col()])).toBeNull();
  });
});

// hidden multiples of 4 run WebAssembly (others fall back per group); batch ≥ 8 queues the kernels with the gemms on the threads.
const sizes = fc.record({
  batch: fc.constantFrom(1, 3, 8, 13), time: fc.integer({ min: 1, max: 5 }), input: fc.integer({ min: 1, max: 4 }),
  hidden: fc.constantFrom(4, 8, 6, 12), reverse: fc.boolean(), batchFirst: fc.boolean(), withLengths: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
});

const families: [string, (I: number, H: number, g: RandomGenerator) => { parameters(): Tensor[] } & Parameters<typeof compileCell>[0]][] = [
  ['UserLSTM', (I, H, g) => new UserLSTM(I, H, g, 'float32')],
  ['MGU', (I, H, g) => new MGU(I, H, g, 'float32')],
  ['ConcatMGU', (I, H, g) => new ConcatMGU(I, H, g, 'float32')],
  ['IndRNN', (I, H, g) => new IndRNN(I, H, g, 'float32')],
  ['ManyProjections', (I, H, g) => new ManyProjections(I, H, g, 'float32', true)],
  ['LayerNormLSTM', (I, H, g) => new LayerNormLSTM(I, H, g, 'float32')],
  ['GRUCell', (I, H, g) => new GRUCell({ inputSize: I, hiddenSize: H, generator: g, fused: false })],
  ['RNNCell relu', (I, H, g) => new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', generator: g, fused: false })],
];

describe.runIf(hasSimd)('compiled float32 sequences: WebAssembly kernels agree with the JS kernels to float32 rounding', () => {
  for (const [name, make] of families) {
    it(`${name}: outputs, final state and every gradient within 1e-5 of the largest value (lengths × reverse × batchFirst)`, () => {
      fc.assert(fc.property(sizes, ({ batch, time, input, hidden, reverse, batchFirst, withLengths, seed }) => {
        const g = new RandomGenerator(seed);
        const cell = make(input, hidden, g);
        const xs = rand(batchFirst ? [batch, time, input] : [time, batch, input], g, { dtype: 'float32', requiresGrad: true });
        const h0 = cell.initialState(batch);
        const lengths = withLengths ? Array.from({ length: batch }, () => 1 + Math.floor(g.uniform() * time)) : undefined;
        const opts = { reverse, batchFirst, ...(lengths ? { lengths } : {}) };
        const run = (on: boolean) => {
          const before = setWasmKernels(on);
          try {
            return runAll(compileCell(cell, { verify: false }), cell.parameters(), xs, h0, opts, 1);
          } finally {
            setWasmKernels(before);
          }
        };
        const passes = wasmKernelPasses();
        const wasm = run(true);
        if (hidden % 4 === 0) expect(wasmKernelPasses()).toBe(passes + 2);
        const js = run(false);
        const scale = Math.max(1, ...js.flat().map(Math.abs));
        expect(maxError(wasm, js) / scale).toBeLessThanOrEqual(1e-5);
      }), { seed: SEED, numRuns: 10 });
    });
  }
});

describe('verify checks gradients too', () => {
  it('a partial that disagrees with the op backward is caught, naming the gradient', () => {
    const g = new RandomGenerator(7);
    // A user op whose scalar forward matches its forward, but whose partial (what compiled backward runs) does not match its backward.
    const softsign = defineOp({
      name: 'test.wrongPartialSoftsign', inputs: ['x'], save: ['x'],
      pointwise: () => ({ forward: (x) => x / (1 + Math.abs(x)), partials: [(x) => 1 / (1 + Math.abs(x))] }),
      forward: ([x]) => K.map(x!, (v) => v / (1 + Math.abs(v))),
      backward: ({ dy, saved: { x } }) => [() => K.zip('test', dy, x, (d, v) => d / (1 + Math.abs(v)) ** 2)],
    });
    class Soft extends IndRNN {
      override step(s: { h: Tensor }, x: Tensor) {
        const h = softsign.apply([matmul(x, this.w, { transB: true }).add(this.u.mul(s.h))], undefined);
        return { state: { h }, output: h };
      }
    }
    const xs = rand([4, 3, 2], g, { requiresGrad: true });
    const cell = new Soft(2, 3, g);
    cell.w.grad = new Tensor(K.ones([3, 2], { dtype: 'float64' }));
    expect(() => unroll(compileCell(cell), xs)).toThrow(/compileCell: Soft compiled and composed disagree on this batch in a gradient: largest error .* at d /);
    // The parameters' own gradients are put back.
    expect([...cell.w.grad!.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => unroll(compileCell(cell, { verify: false }), xs)).not.toThrow();
  });
});
