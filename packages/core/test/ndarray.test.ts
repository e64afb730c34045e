// core's ndarray view against scijs ndarray: the same elements, shapes, strides and offsets after any
// chain of lo/hi/step/transpose/pick, and no code generation (a strict Content-Security-Policy allows none).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import scijs from 'ndarray';
import type { NdArray } from 'ndarray';
import { ndarray } from '../src/ndarray.js';
import { SEED } from './naive.js';

type Move = { kind: 'lo' | 'hi' | 'step' | 'transpose' | 'pick'; args: (number | null)[] };

const layout = fc.integer({ min: 0, max: 4 }).chain((rank) => fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: rank, maxLength: rank }),
  moves: fc.array(fc.record({
    kind: fc.constantFrom('lo', 'hi', 'step', 'transpose', 'pick'),
    args: fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null)), { maxLength: 4 }),
  }), { maxLength: 4 }) as fc.Arbitrary<Move[]>,
}));

function apply(a: NdArray, m: Move): NdArray {
  const rank = a.shape.length;
  if (m.kind === 'transpose') {
    // A permutation of the axes drawn from the arguments (transpose of a non-permutation is undefined).
    const perm = [...Array(rank).keys()].sort((x, y) => ((m.args[x] ?? 0) - (m.args[y] ?? 0)) || x - y);
    return a.transpose(...perm);
  }
  // scijs turns pick() on a rank-0 view into its 'trivial' empty array; ours keeps the scalar (a copy).
  if (m.kind === 'pick') return rank === 0 ? a : a.pick(...m.args.slice(0, rank));
  // Keep every axis non-empty and every step non-zero, as a caller would.
  const args = m.args.slice(0, rank).map((v, i) => {
    if (v === null) return undefined as unknown as number;
    if (m.kind === 'step') return v === 0 ? 1 : v;
    if (m.kind === 'lo') return Math.min(Math.abs(v), a.shape[i]! - 1);
    return Math.max(1, Math.min(Math.abs(v), a.shape[i]!));
  });
  return a[m.kind](...args);
}

function elements(a: NdArray): number[] {
  const out: number[] = [];
  const idx = new Array<number>(a.shape.length).fill(0);
  const walk = (d: number) => {
    if (d === a.shape.length) { out.push(a.get(...idx) as number); return; }
    for (let i = 0; i < a.shape[d]!; i++) { idx[d] = i; walk(d + 1); }
  };
  walk(0);
  return out;
}

describe('ndarray view (CSP-safe)', () => {
  it('matches scijs ndarray after any chain of lo/hi/step/transpose/pick', () => {
    fc.assert(fc.property(layout, ({ shape, moves }) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const data = Float64Array.from({ length: n }, (_, i) => i + 1);
      let ours: NdArray = ndarray(data, [...shape]);
      let theirs: NdArray = scijs(data, [...shape]);
      for (const m of moves) {
        ours = apply(ours, m);
        theirs = apply(theirs, m);
        expect([ours.shape, ours.stride, ours.offset, ours.size, ours.dimension, ours.dtype])
          .toEqual([theirs.shape, theirs.stride, theirs.offset, theirs.size, theirs.dimension, theirs.dtype]);
        const distinct = new Set(ours.stride.map(Math.abs)).size === ours.stride.length;
        if (distinct) expect(ours.order).toEqual(theirs.order);
      }
      expect(elements(ours)).toEqual(elements(theirs));
    }), { seed: SEED, numRuns: 300 });
  });

  it('has scijs defaults, get/set/index, dtype names and a negative-stride offset', () => {
    const a = ndarray(new Float32Array(6), [2, 3]);
    expect([a.stride, a.offset, a.dtype, a.order]).toEqual([[3, 1], 0, 'float32', [1, 0]]);
    expect(a.set(1, 2, 7)).toBe(7);
    expect([a.get(1, 2), a.index(1, 2), a.data[5]]).toEqual([7, 5, 7]);
    expect(ndarray(new Int32Array(4)).shape).toEqual([4]);
    expect(ndarray([1, 2, 3]).dtype).toBe('array');
    const reversed = ndarray(Float64Array.from([1, 2, 3]), [3], [-1]);
    expect([reversed.offset, reversed.get(0)]).toEqual([2, 3]);
    expect(scijs(Float64Array.from([1, 2, 3]), [3], [-1]).offset).toBe(2);
    const scalar = ndarray(Float64Array.from([4]), []);
    expect([scalar.size, scalar.get(), scalar.dimension]).toEqual([1, 4, 0]);
    const generic = { store: [0, 0], get(i: number) { return this.store[i]!; }, set(i: number, v: number) { this.store[i] = v; }, length: 2 };
    const g = ndarray(generic, [2]);
    g.set(1, 5);
    expect([g.dtype, g.get(1), generic.store]).toEqual(['generic', 5, [0, 5]]);
    const m = ndarray(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(elements(m.T)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('creates tensors, trains and samples with code generation from strings disallowed (as under a strict CSP)', () => {
    // Node's --disallow-code-generation-from-strings makes `new Function` throw EvalError, as a page with
    // `script-src 'self' 'wasm-unsafe-eval'` does; scijs ndarray would fail at the first tensor.
    // From a package that depends on autograd and rnn, so the workspace links resolve.
    const root = fileURLToPath(new URL('../../examples', import.meta.url));
    const script = `
      import { tensor, Linear, Adam, crossEntropy } from '@unroll/autograd';
      import { LSTM } from '@unroll/rnn';
      let evalBlocked = false;
      try { new Function('return 1'); } catch (e) { evalBlocked = e instanceof EvalError; }
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true });
      const head = new Linear(4, 3);
      const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.05 });
      const x = tensor([[[1, 0, 0], [0, 1, 0]]]);
      const y = tensor([1, 2], { dtype: 'int32' });
      const losses = [];
      for (let i = 0; i < 5; i++) {
        const { output } = lstm.forward(x);
        const loss = crossEntropy(head.forward(output.reshape([2, 4])), y);
        opt.zeroGrad(); loss.backward(); opt.step();
        losses.push(loss.item());
      }
      console.log(JSON.stringify({ evalBlocked, first: losses[0], last: losses[4] }));`;
    const out = execFileSync(process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', '--conditions=unroll-source', '--input-type=module', '-e', script],
      { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.evalBlocked).toBe(true);
    expect(r.last).toBeLessThan(r.first);
  });
});
