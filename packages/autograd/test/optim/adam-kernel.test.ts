// The Adam/AdamW step kernel (src/optim/adam-kernel.ts) and the JS fallback, bit for bit against the loop
// Adam ran before the kernel existed (written out below as the reference), over fast-check sizes, values,
// options and many steps, float32 and float64, at 1 and 2 threads; its state through state dicts and checkpoints.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as K from '@unroll/core';
import { wasmRuntime } from '@unroll/core/internal';
import { Adam, AdamW, Parameter, Tensor, checkpointBytes, readCheckpoint, type Optimizer } from '@unroll/autograd';
import {
  ADAM_KERNEL_MIN, ADAM_SPLIT_MIN, adamStepKernel, residentBuffer, setAdamKernelMode, type AdamKernelMode,
} from '../../src/optim/adam-kernel.js';

type Dtype = 'float32' | 'float64';
interface Options { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }
interface RefState { step: number; m: Float32Array | Float64Array; v: Float32Array | Float64Array; vMax: Float32Array | Float64Array | null }

const alloc = (dtype: Dtype, n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));

/**
 * Adam's update as src/optim/adam.ts wrote it before the kernel (PyTorch 1.13's `_single_tensor_adam(w)`
 * order), on typed arrays of the parameter's dtype, so each stored value rounds as it did.
 */
function referenceStep(p: Float32Array | Float64Array, g: ArrayLike<number>, s: RefState, o: Options, decoupled: boolean): void {
  const [beta1, beta2] = o.betas;
  const t = ++s.step;
  const stepSize = o.lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const decay = 1 - o.lr * o.weightDecay;
  const { m, v } = s;
  if (o.amsgrad) s.vMax ??= alloc(p instanceof Float32Array ? 'float32' : 'float64', p.length);
  const vMax = o.amsgrad ? s.vMax : null;
  for (let i = 0; i < p.length; i++) {
    let gi = o.maximize ? -g[i]! : g[i]!;
    if (decoupled) p[i] = p[i]! * decay;
    else if (o.weightDecay !== 0) gi += o.weightDecay * p[i]!;
    m[i] = m[i]! * beta1 + (1 - beta1) * gi;
    v[i] = v[i]! * beta2 + (1 - beta2) * gi * gi;
    let vHat = v[i]!;
    if (vMax !== null) vHat = vMax[i] = Math.max(vMax[i]!, vHat);
    const denom = Math.sqrt(vHat) / bc2Sqrt + o.eps;
    p[i] = p[i]! + -stepSize * (m[i]! / denom);
  }
}

/** Equal as float bits, except that any NaN equals any NaN (engines may differ in NaN payloads). */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    expect.fail(`${what}[${i}]: got ${a}, expected ${e} (bits differ)`);
  }
}

const stateOf = (opt: Optimizer, p: Parameter) => opt.stateDict().state[String(opt.paramGroups.flatMap((g) => g.params).indexOf(p))]!;
const values = (t: Tensor | number) => (t as Tensor).data.data;

/** Runs `grads` through the optimizer and the reference side by side, checking θ and the state after every step. */
function runAgainstReference(
  dtype: Dtype, init: number[], grads: number[][], o: Options, decoupled: boolean, amsgradFrom = 0,
): void {
  const n = init.length;
  const param = new Parameter(K.cast(K.fromData(Float64Array.from(init), [n]), dtype));
  const opts = { ...o, amsgrad: o.amsgrad && amsgradFrom === 0 };
  const opt = decoupled ? new AdamW([param], opts) : new Adam([param], opts);
  const refP = alloc(dtype, n);
  refP.set(init);
  const ref: RefState = { step: 0, m: alloc(dtype, n), v: alloc(dtype, n), vMax: null };
  grads.forEach((g, step) => {
    const on = { ...o, amsgrad: o.amsgrad && step >= amsgradFrom };
    opt.paramGroups[0]!.amsgrad = on.amsgrad; // switching amsgrad on later starts its buffer at zero
    const grad = alloc(dtype, n);
    grad.set(g);
    param.grad = new Tensor(K.fromData(grad, [n]));
    opt.step();
    referenceStep(refP, grad, ref, on, decoupled);
    expectSameBits(param.data.data, refP, `θ after step ${step + 1}`);
  });
  const s = stateOf(opt, param);
  expect(s['step']).toBe(ref.step);
  expectSameBits(values(s['exp_avg']!), ref.m, 'exp_avg');
  expectSameBits(values(s['exp_avg_sq']!), ref.v, 'exp_avg_sq');
  if (ref.vMax) expectSameBits(values(s['max_exp_avg_sq']!), ref.vMax, 'max_exp_avg_sq');
}

// Values Adam meets: ordinary ones, zeros, tiny (float32 subnormals) and huge ones, and a few non-finite.
const anyValue = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-42, -3e-39, 1e-20, 3e30, -1e38) },
  { weight: 1, arbitrary: fc.float() },
);
const optionsArb = fc.record({
  lr: fc.constantFrom(1e-3, 0.05, 0.5),
  betas: fc.constantFrom<[number, number]>([0.9, 0.999], [0.5, 0.9], [0, 0]),
  eps: fc.constantFrom(1e-8, 1e-3, 0),
  weightDecay: fc.constantFrom(0, 1e-2, 0.3),
  amsgrad: fc.boolean(),
  maximize: fc.boolean(),
});
/** Sizes around the kernel's lines of 16 and vectors of 4, and a few larger. */
const sizeArb = fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1000, max: 1100 }));

const caseArb = sizeArb.chain((n) => fc.record({
  init: fc.array(anyValue, { minLength: n, maxLength: n }),
  grads: fc.array(fc.array(anyValue, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 12 }),
  options: optionsArb,
  decoupled: fc.boolean(),
  amsgradFrom: fc.constantFrom(0, 0, 3),
}));

function withMode(mode: AdamKernelMode, threads: number, body: () => void): void {
  const before = K.getNumThreads();
  setAdamKernelMode(mode);
  K.setNumThreads(threads);
  try {
    body();
  } finally {
    K.setNumThreads(before);
  }
}

afterEach(() => setAdamKernelMode('auto'));

describe('Adam and AdamW step the same bits as the loop before the kernel', () => {
  const runs: [string, AdamKernelMode, number][] = [
    ['the kernel, 1 thread', 'always', 1], ['the kernel, 2 threads', 'always', 2], ['the JS fallback', 'never', 1],
  ];
  for (const [label, mode, threads] of runs) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${label}, ${dtype}: random sizes, values, options and steps`, () => {
        withMode(mode, threads, () => {
          fc.assert(fc.property(caseArb, (c) => {
            runAgainstReference(dtype, c.init, c.grads, c.options, c.decoupled, c.amsgradFrom);
          }), { seed: 18, numRuns: 40 });
        });
      });
    }
  }

  it('the kernel splits a large parameter over the threads with the same bits (many steps, every option)', () => {
    const n = ADAM_SPLIT_MIN + 37;
    const gen = new K.Generator(5);
    const init = Array.from(K.randNormal([n], 0, 1, { generator: gen }).data);
    const grads = Array.from({ length: 30 }, () => Array.from(K.randNormal([n], 0, 0.1, { generator: gen }).data));
    for (const threads of [1, 2]) {
      withMode('auto', threads, () => {
        runAgainstReference('float32', init, grads, { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, false);
        runAgainstReference('float32', init, grads, { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true, maximize: true }, true);
        runAgainstReference('float32', init, grads, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, amsgrad: false, maximize: false }, false, 10);
      });
    }
  });
});

describe('the kernel path', () => {
  it('runs where the runtime shares its memory, on resident moment buffers only', () => {
    const rt = wasmRuntime();
    if (!rt || !rt.shared) return expect(residentBuffer(ADAM_KERNEL_MIN)).toBeNull();
    const n = ADAM_KERNEL_MIN;
    const m = residentBuffer(n)!, v = residentBuffer(n)!;
    expect(rt.addressOf(m)).toBeGreaterThanOrEqual(0);
    expect(Array.from(m.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    const p = new Float32Array(n).fill(1), g = new Float32Array(n).fill(0.5);
    const variant = { decay: 'none', amsgrad: false, maximize: false } as const;
    const scalars = { beta1: 0.9, beta2: 0.999, negStep: -1e-3 / 0.1, bc2Sqrt: Math.sqrt(1 - 0.999), eps: 1e-8, decay: 0 };
    expect(adamStepKernel(p, g, m, v, null, variant, scalars)).toBe(true);
    expect(p[0]).not.toBe(1);
    // Moments in ordinary memory, or a size below the threshold: the caller's JS loop runs instead, nothing changed.
    const before = Float32Array.from(p);
    expect(adamStepKernel(p, g, new Float32Array(n), v, null, variant, scalars)).toBe(false);
    expect(adamStepKernel(p.subarray(0, 8), g.subarray(0, 8), m, v, null, variant, scalars)).toBe(false);
    // A view into the runtime's memory that this file did not make (its padding unknown) is refused too.
    const region = rt.alloc(n)!;
    expect(adamStepKernel(p, g, rt.view(region, n), v, null, variant, scalars)).toBe(false);
    rt.free(region);
    expectSameBits(p, before, 'θ after refused steps');
  });

  it('keeps working when the memory grows under the resident moments (their views stay valid)', () => {
    const rt = wasmRuntime();
    if (!rt || !rt.shared) return;
    setAdamKernelMode('always');
    const n = 100;
    const grads = Array.from({ length: 4 }, (_, t) => Array.from({ length: n }, (_, i) => Math.sin(i + 7 * t)));
    const init = Array.from({ length: n }, (_, i) => Math.cos(i));
    const param = new Parameter(K.fromData(Float32Array.from(init), [n]));
    const opt = new Adam([param], { lr: 0.1 });
    const ref = Float32Array.from(init);
    const refState: RefState = { step: 0, m: new Float32Array(n), v: new Float32Array(n), vMax: null };
    const o: Options = { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
    let big: ReturnType<typeof rt.alloc> = null;
    grads.forEach((g, t) => {
      if (t === 2) big = rt.alloc(rt.memory.buffer.byteLength / 4 + 1024 * 1024); // grows the memory
      param.grad = new Tensor(K.fromData(Float32Array.from(g), [n]));
      opt.step();
      referenceStep(ref, Float32Array.from(g), refState, o, false);
    });
    rt.free(big);
    expectSameBits(param.data.data, ref, 'θ');
    expectSameBits(values(stateOf(opt, param)['exp_avg_sq']!), refState.v, 'exp_avg_sq');
  });

  it('frees the replaced moments at once when a state dict is loaded (a synchronous restore loop stays resident)', () => {
    const rt = wasmRuntime();
    if (!rt || !rt.shared) return;
    const n = 1 << 20;
    const param = new Parameter(K.zeros([n]));
    param.grad = new Tensor(K.full([n], 0.5));
    const opt = new Adam([param]);
    opt.step();
    const sd = opt.stateDict();
    // 40 loads × 2 buffers × 1M floats is more than RESIDENT_MAX_FLOATS: only freeing the old ones keeps them resident.
    for (let i = 0; i < 40; i++) opt.loadStateDict(sd);
    const s = (opt as unknown as { state: Map<Parameter, { exp_avg: Float32Array }> }).state.get(param)!;
    expect(rt.addressOf(s.exp_avg)).toBeGreaterThanOrEqual(0);
    opt.step();
    expect(opt.stateDict().state['0']!['step']).toBe(2);
  });

  it("'never' makes ordinary buffers (the fallback where the runtime is unavailable); a bad mode is refused", () => {
    setAdamKernelMode('never');
    expect(residentBuffer(ADAM_KERNEL_MIN)).toBeNull();
    expect(() => setAdamKernelMode('fast' as AdamKernelMode)).toThrow("setAdamKernelMode: mode must be 'auto', 'always' or 'never'; got fast");
  });

  it('keeps the moments readable and writable: state dict and checkpoint round trips continue bit for bit', () => {
    const n = ADAM_KERNEL_MIN + 5;
    const gen = new K.Generator(9);
    const init = K.randNormal([n], 0, 1, { generator: gen });
    const grads = Array.from({ length: 8 }, () => new Tensor(K.randNormal([n], 0, 1, { generator: gen })));
    const options = { lr: 0.01, amsgrad: true, weightDecay: 0.02 };
    const copy = (a: K.NdArray) => new Parameter(K.fromData(Float32Array.from(a.data), [n]));
    const run = (steps: number[], p: Parameter, opt: Optimizer) => {
      for (const t of steps) {
        p.grad = grads[t]!;
        opt.step();
      }
    };
    const straight = copy(init);
    const straightOpt = new AdamW([straight], options);
    run([0, 1, 2, 3, 4, 5, 6, 7], straight, straightOpt);

    const first = copy(init);
    const firstOpt = new AdamW([first], options);
    run([0, 1, 2, 3], first, firstOpt);
    // Through a checkpoint's bytes, into a new optimizer (its buffers resident again) …
    const ckpt = readCheckpoint(checkpointBytes({ optimizer: firstOpt.stateDict() }));
    const resumed = copy(first.data);
    const resumedOpt = new AdamW([resumed], options);
    resumedOpt.loadStateDict(ckpt.optimizer!);
    run([4, 5], resumed, resumedOpt);
    // … and through a state dict edited by hand (writing into the buffers is seen by the next step).
    const sd = resumedOpt.stateDict();
    const again = copy(resumed.data);
    const againOpt = new AdamW([again], options);
    againOpt.loadStateDict(sd);
    run([6, 7], again, againOpt);
    expectSameBits(again.data.data, straight.data.data, 'θ after resuming twice');
    for (const key of ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) {
      expectSameBits(values(stateOf(againOpt, again)[key]!), values(stateOf(straightOpt, straight)[key]!), key);
    }
    // The state dict's buffers are copies: stepping on does not change a saved one.
    const saved = Float32Array.from(values(sd.state['0']!['exp_avg']!));
    run([0], again, againOpt);
    expectSameBits(values(sd.state['0']!['exp_avg']!), saved, 'saved exp_avg');
  });
});
