// The WebAssembly kernel runtime: its region allocator, the queue split into parts over threads, gemm on
// regions with a pre-packed B, results that do not depend on the thread count, worker threads that never
// keep a process alive, and the relaxed-SIMD kernels against the plain ones.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemm, getNumThreads, setNumThreads } from '../src/index.js';
import {
  ModuleBuilder, FunctionBuilder, ValType, emitPartRange, freePacked, gemmCall, packMatrix, setWorkerSpin, threadJobStats, wasmRuntime, RELAXED_SIMD_FLAG,
} from '../src/internal.js';
import type { Region, Target } from '../src/internal.js';
import { uniform } from './gemm-helpers.js';

const rt = wasmRuntime()!;
const threadsAtStart = getNumThreads();
afterEach(() => setNumThreads(threadsAtStart));

describe('WasmRuntime regions', () => {
  it('hands out 64-byte aligned regions that never overlap, and reuses and merges freed ones', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (ops) => {
      const live: Region[] = [];
      for (const [floats, freeOne] of ops) {
        const r = rt.alloc(floats)!;
        expect(r.at % 64).toBe(0);
        expect(r.floats).toBeGreaterThanOrEqual(floats);
        for (const o of live) expect(r.at + 4 * r.floats <= o.at || o.at + 4 * o.floats <= r.at).toBe(true);
        live.push(r);
        if (freeOne) rt.free(live.splice(floats % live.length, 1)[0]);
      }
      live.forEach((r) => rt.free(r));
    }));
    // Everything freed: the same request gets the same address again.
    const a = rt.alloc(1000)!;
    rt.free(a);
    expect(rt.alloc(1000)!.at).toBe(a.at);
  });

  it('recognises arrays that live in its memory', () => {
    const r = rt.alloc(16)!;
    expect(rt.addressOf(rt.view(r), 3)).toBe(r.at + 12);
    expect(rt.addressOf(new Float32Array(16))).toBe(-1);
    rt.free(r);
  });

  it("refuses a module's unknown kernel and an over-long queue, naming them", () => {
    const k = rt.load('test.parts', partsModule);
    expect(() => k('nope')).toThrow("WasmRuntime.load: module 'test.parts' has no kernel 'nope'");
    const call = { kernel: k('mark'), args: [0, 0] };
    expect(() => rt.run(Array(13).fill(call))).toThrow('WasmRuntime.run: at most 12 calls per job; got 13');
  });
});

/** mark(part, parts, thread, out, n): out[i] = part + 1 for the i in [0, n) that the part owns (rows of 4). */
function partsModule(target: Target): Uint8Array {
  const { i32 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32]);
  const [part, parts, , out, n] = [0, 1, 2, 3, 4];
  const s = f.local(i32), e = f.local(i32);
  emitPartRange(f, part, parts, n, 4, s, e);
  f.block().loop();
  f.get(s).get(e).i32LtS().i32Eqz().brIf(1);
  f.get(out).get(s).i32Const(4).i32Mul().i32Add().get(part).i32Const(1).i32Add().i32Store();
  f.get(s).i32Const(1).i32Add().set(s).br(0);
  f.end().end();
  return new ModuleBuilder().importMemory('env', 'memory', 1, target.memory).addFunction('mark', f).encode();
}

describe('WasmRuntime.run', () => {
  it.each([1, 2, 3, 7])('runs every part exactly once over the threads, each on its fixed slice (%i parts)', (parts) => {
    setNumThreads(2);
    const mark = rt.load('test.parts', partsModule)('mark');
    const n = 37, r = rt.alloc(n)!;
    const ints = () => new Int32Array(rt.f32().buffer, r.at, n);
    for (let round = 0; round < 20; round++) {
      ints().fill(0);
      rt.run([{ kernel: mark, args: [r.at, n] }], parts);
      const per = Math.ceil(Math.ceil(n / 4) / parts) * 4;
      expect(Array.from(ints())).toEqual(Array.from({ length: n }, (_, i) => Math.floor(i / per) + 1));
    }
    rt.free(r);
  });
});

/**
 * step(part, parts, thread, prev, next, n, scale): next[i] = prev[i] · scale + i (float32) for the i in [0, n)
 * the part owns (rows of 4): a recurrence whose elements are independent, as a fused step's batch rows.
 */
function stepModule(target: Target): Uint8Array {
  const { i32, f32 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, f32]);
  const [part, parts, , prev, next, n, scale] = [0, 1, 2, 3, 4, 5, 6];
  const s = f.local(i32), e = f.local(i32);
  emitPartRange(f, part, parts, n, 4, s, e);
  f.block().loop();
  f.get(s).get(e).i32LtS().i32Eqz().brIf(1);
  f.get(next).get(s).i32Const(4).i32Mul().i32Add()
    .get(prev).get(s).i32Const(4).i32Mul().i32Add().f32Load().get(scale).f32Mul().f32Const(0.25).f32Add()
    .f32Store();
  f.get(s).i32Const(1).i32Add().set(s).br(0);
  f.end().end();
  return new ModuleBuilder().importMemory('env', 'memory', 1, target.memory).addFunction('step', f).encode();
}

describe('WasmRuntime.runSteps', () => {
  const step = () => rt.load('test.steps', stepModule)('step');
  /** Runs `count` steps over rows of n floats from row 0 (filled with `seed`), as one job or one job per step. */
  function recurrence(count: number, n: number, parts: number, oneJob: boolean, reverse = false): Float32Array {
    const r = rt.alloc((count + 1) * n)!;
    const row = (i: number) => r.at + 4 * n * i;
    const at = (s: number) => (reverse ? count - s : s);
    rt.view(r).fill(0);
    rt.view(r).subarray(at(0) * n, at(0) * n + n).forEach((_, i, a) => { a[i] = (i % 7) - 3; });
    const calls = (s: number) => [{ kernel: step(), args: [row(at(s)), row(reverse ? at(s) - 1 : at(s) + 1), n, 1.5] }];
    if (oneJob) rt.runSteps(count, calls, parts);
    else for (let s = 0; s < count; s++) rt.run(calls(s), parts);
    const out = rt.view(r).slice(0, (count + 1) * n);
    rt.free(r);
    return out;
  }

  it('computes exactly what one job per step computes, each part carrying its own rows through every step', () => {
    setNumThreads(2);
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 5 }), fc.boolean(),
      (count, n, parts, reverse) => {
        expect(recurrence(count, n, parts, true, reverse)).toEqual(recurrence(count, n, parts, false, reverse));
      }), { numRuns: 40 });
  });

  it('gives the same values at 1 and 2 threads, and runs nothing for no steps', () => {
    setNumThreads(1);
    const one = recurrence(9, 33, 2, true);
    setNumThreads(2);
    expect(recurrence(9, 33, 2, true)).toEqual(one);
    expect(() => rt.runSteps(0, () => { throw new Error('not called'); })).not.toThrow();
  });

  it('refuses steps whose kernels differ or whose arguments are not affine in the step, naming them', () => {
    const k = step(), mark = rt.load('test.parts', partsModule)('mark');
    const r = rt.alloc(64)!;
    expect(() => rt.runSteps(3, (s) => [{ kernel: s === 2 ? mark : k, args: [r.at, r.at, 4, 1] }]))
      .toThrow('WasmRuntime.runSteps: step 2 queues other kernels than step 0 (step)');
    expect(() => rt.runSteps(4, (s) => [{ kernel: k, args: [r.at, r.at + 16 * s * s, 4, 1] }]))
      .toThrow(`WasmRuntime.runSteps: call 0 (step) argument 1 is not affine in the step: ${r.at}, ${r.at + 16}, … but ${r.at + 144} at step 3`);
    rt.free(r);
  });
});

describe('threadJobStats', () => {
  it('counts the jobs split over workers (each one either pooled or run alone by the guard), and resets', () => {
    setNumThreads(2);
    const mark = rt.load('test.parts', partsModule)('mark');
    const r = rt.alloc(16)!;
    threadJobStats(true);
    for (let i = 0; i < 5; i++) rt.run([{ kernel: mark, args: [r.at, 16] }], 2);
    rt.run([{ kernel: mark, args: [r.at, 16] }], 1); // one part: never split
    const s = threadJobStats(true);
    expect(s.jobs + s.solo).toBe(5);
    expect(s.workerAsleep).toBeLessThanOrEqual(s.jobs);
    expect(s.ownMs).toBeGreaterThanOrEqual(0);
    expect(s.waitMs).toBeGreaterThanOrEqual(0);
    expect(threadJobStats()).toEqual({ jobs: 0, workerAsleep: 0, solo: 0, soloStarts: 0, ownMs: 0, waitMs: 0 });
    rt.free(r);
  });
});

describe('waking and spinning workers', () => {
  it('runs every part exactly once whether the workers sleep at once, poll between jobs, or were woken ahead', () => {
    setNumThreads(2);
    const mark = rt.load('test.parts', partsModule)('mark');
    const n = 64, r = rt.alloc(n)!;
    try {
      for (const spin of [0, 50, 2000]) {
        setWorkerSpin(spin);
        for (let i = 0; i < 6; i++) {
          const ints = new Int32Array(rt.f32().buffer, r.at, n);
          ints.fill(0);
          if (i % 2 === 0) rt.wake();
          rt.run([{ kernel: mark, args: [r.at, n] }], 4);
          // Part p marks its 16 elements with p + 1.
          expect(Array.from(ints), `spin ${spin} µs, job ${i}`).toEqual(Array.from({ length: n }, (_, j) => Math.floor(j / 16) + 1));
        }
      }
    } finally {
      setWorkerSpin(100);
      rt.free(r);
    }
  });

  it('refuses a spin time that is not a number ≥ 0', () => {
    expect(() => setWorkerSpin(-1)).toThrow('setWorkerSpin: us must be a number ≥ 0; got -1');
    expect(() => setWorkerSpin(Number.NaN)).toThrow('got NaN');
  });
});

describe('changing the thread count between jobs', () => {
  it('keeps every part running exactly once as workers join and sit out (3 → 2 → 1 → 3 threads)', () => {
    const mark = rt.load('test.parts', partsModule)('mark');
    const n = 64, r = rt.alloc(n)!;
    const ints = () => new Int32Array(rt.f32().buffer, r.at, n);
    for (const threads of [3, 2, 1, 3, 2]) {
      setNumThreads(threads);
      for (let round = 0; round < 50; round++) {
        ints().fill(0);
        rt.run([{ kernel: mark, args: [r.at, n] }], 4);
        expect(Array.from(ints())).toEqual(Array.from({ length: n }, (_, i) => Math.floor(i / 16) + 1));
      }
    }
    rt.free(r);
  });
});

describe('setNumThreads', () => {
  it('sets the thread count kernels use, and refuses what is not a count', () => {
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(2);
    expect(getNumThreads()).toBe(rt.shared ? 2 : 1);
    expect(() => setNumThreads(0)).toThrow('setNumThreads: n must be a whole number ≥ 1; got 0');
    expect(() => setNumThreads(1.5)).toThrow('setNumThreads: n must be a whole number ≥ 1; got 1.5');
  });
});

describe('gemm at 1 and 2 threads', () => {
  // Each part computes whole rows or columns of C with the same k-order: the result is bit-identical.
  it.each([[300, 260, 270, false, false], [130, 1030, 257, true, false], [1024, 96, 64, false, true], [64, 64, 2000, true, true]] as const)(
    'gives the same bits at 1 and 2 threads for %i×%i×%i', (m, n, k, tA, tB) => {
      const next = uniform(m + n + k);
      const a = Float32Array.from({ length: m * k }, next), b = Float32Array.from({ length: k * n }, next);
      const c0 = Float32Array.from({ length: m * n }, next);
      const run = (threads: number) => {
        setNumThreads(threads);
        const c = c0.slice();
        gemm(tA, tB, m, n, k, 0.75, a, 0, tA ? m : k, b, 0, tB ? k : n, -0.5, c, 0, n);
        return c;
      };
      expect(run(2)).toEqual(run(1));
    });

  it('with a pre-packed B equals the plain call, for either transpose of B and any split', () => {
    const [m, n, k] = [45, 200, 300];
    const next = uniform(9);
    const r = rt.alloc(m * k + k * n + 2 * m * n)!;
    const A = r.at, B = A + 4 * m * k, C1 = B + 4 * k * n, C2 = C1 + 4 * m * n;
    rt.view(r).set(Float32Array.from({ length: m * k + k * n }, next));
    for (const transB of [false, true]) {
      const ldb = transB ? k : n;
      const packed = packMatrix(transB, k, n, B, ldb)!;
      for (const [splitRows, parts] of [[true, 1], [true, 3], [false, 2]] as const) {
        rt.run([gemmCall(splitRows, false, transB, m, n, k, 1, A, k, packed, ldb, 0, C1, n)!], parts);
        rt.run([gemmCall(false, false, transB, m, n, k, 1, A, k, B, ldb, 0, C2, n)!], 1);
        const heap = rt.f32();
        expect(heap.subarray(C1 / 4, C1 / 4 + m * n)).toEqual(heap.subarray(C2 / 4, C2 / 4 + m * n));
      }
      expect(() => gemmCall(true, false, transB, m, n + 1, k, 1, A, k, packed, ldb, 0, C1, n))
        .toThrow(`gemmCall: the packed B is [${k}, ${n}] but the product needs [${k}, ${n + 1}]`);
      freePacked(packed);
    }
    rt.free(r);
  });
});

const script = fileURLToPath(new URL('./scripts/threads-exit.ts', import.meta.url));
const spawn = (flags: string[], env: Record<string, string> = {}) => JSON.parse(execFileSync(process.execPath,
  [...flags, '--import', 'tsx', '--conditions=unroll-source', script],
  { env: { ...process.env, ...env }, timeout: 60_000, encoding: 'utf8' })) as { threads: number; relaxed: boolean; c: number[] };

describe('worker threads in a script', () => {
  it('never keep the process alive: a script that used 2 threads ends by itself', () => {
    // execFileSync would hit its 60 s timeout (and throw) if the process did not end.
    const out = spawn([]);
    expect(out.threads).toBe(2);
  });
});

describe('relaxed SIMD', () => {
  it('is used where the engine validates it and agrees with the plain kernels to rounding', () => {
    const relaxed = spawn([]);
    const plain = spawn([], { UNROLL_RELAXED_SIMD: '0' });
    // Node ≥ 22 validates it by default; on Node 20 the runtime switches on V8's flag itself.
    expect(relaxed.relaxed).toBe(true);
    expect(plain.relaxed).toBe(false);
    // |c| ≤ 256 terms of |a·b| ≤ 1: fused or not, each step rounds within 2⁻²⁴ of the running sum.
    relaxed.c.forEach((v, i) => expect(Math.abs(v - plain.c[i]!)).toBeLessThan(256 * 2 ** -24 * 16));
    expect(relaxed.c).not.toEqual(plain.c);
  });

  it('is the same with the engine flag given on the command line', () => {
    expect(spawn([RELAXED_SIMD_FLAG]).relaxed).toBe(true);
  });
});
