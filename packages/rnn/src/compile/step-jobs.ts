// A float32 compiled pass's steps as runtime jobs with almost no JavaScript between them. Every address
// a step uses is an affine function of the loop step k (slots are laid out in one region; step t's base
// is t·size or (t ± 1)·size), so a step's calls — its gemms, its generated kernels, and the row copies
// and adds between them (new state into its slot, the output out, gradients carried in) — are built
// for k = 0 and k = 1 only; step k's are those plus k times the difference
// (checked against a step built in full); each step has its own argument block, so every argument is
// affine in k and the whole pass runs as ONE runtime job (`WasmRuntime.runSteps`), each part carrying its
// own batch rows through all steps (or, when a step does not fit one job, one job per step). The
// step-by-step loop of sequence.ts instead looks up every slot, builds every call and copies rows from
// JavaScript — time a spinning worker thread doubles in CPU. Same calls, same order, same row split as
// that loop, so results are bit-identical to it.
import type { Call, PackedMatrix, Region } from '@unroll/core/internal';
import { readSlot, writeSlot } from '../fused/common.js';
import type { ItemKernels } from './codegen.js';
import type { Access, Plan } from './plan.js';
import { MAX_STEP_CALLS } from './runtime.js';

/** The most arguments a whole-pass job may move per step (core's runSteps limit). */
const MAX_MOVING = 20;
import type { Resident } from './runtime.js';
import type { WasmKernels } from './wasm-kernels.js';
import { rowKernels } from './wasm-rows.js';

/** Sets each slot's base for step t (value slots, or gradient slots). */
export function setBases(specs: Plan['slots'], O: Int32Array, t: number, reverse: boolean): void {
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    O[k] = s.base === 'step' ? t * s.size : s.base === 'stateRead' ? readSlot(t, reverse) * s.size : 0;
  }
}

/** A pass's steps: `runAll()` runs every loop step's jobs in order; `free` frees the memory they read. */
export interface StepJobs {
  runAll(): void;
  free(): void;
}

let sequenceOn = true;
const sequencePasses = { passes: 0, split: 0 };
/**
 * Switches whole-pass jobs on (default: a pass whose steps are affine runs as ONE `WasmRuntime.runSteps`
 * job) or off (one job per step), for tests and benchmarks comparing the two; the results are the same.
 * Returns the previous setting.
 */
export function setSequenceStepJobs(on: boolean): boolean {
  const before = sequenceOn;
  sequenceOn = on;
  return before;
}
/** How many passes ran as one whole-pass job so far, and how many of those in more than one part: for tests. */
export function sequenceJobPassCount(): { passes: number; split: number } {
  return { ...sequencePasses };
}

/**
 * Step k's calls from `make(k)` (whose kernels read step k's argument block, at `block.at + 4·nArgs·k`,
 * filled by `fill(k, view)`). When every call argument is affine in k (step T − 1 built in full agrees),
 * steps are derived from steps 0 and 1 and, if the step fits one job (MAX_STEP_CALLS calls, at most
 * MAX_MOVING arguments moving), all T steps run as ONE job of `seqParts` parts: each part carries its own
 * batch rows through every step. That is sound because every call here — the row-split gemms, the row
 * copies / adds / zeroes and the generated kernels — splits rows alike (blocks of GEMM_MR, see
 * wasm-rows.ts), so a part only ever reads rows its own calls wrote, in this step or an earlier one.
 * Else each step is its own job(s) of `parts` parts, built in full when not affine.
 */
function affineSteps(res: Resident, parts: number, seqParts: number, T: number, block: Region, nArgs: number,
  make: (k: number) => Call[], fill: (k: number, view: Int32Array) => void): StepJobs {
  const rt = res.rt;
  const view = () => new Int32Array(rt.memory.buffer, block.at, T * nArgs);
  const runCalls = (calls: readonly Call[]) => {
    for (let i = 0; i < calls.length; i += MAX_STEP_CALLS) rt.run(i === 0 && calls.length <= MAX_STEP_CALLS ? calls : calls.slice(i, i + MAX_STEP_CALLS), parts);
  };
  // Every step's argument block, filled when the pass runs (the memory may grow while calls are built:
  // viewed then). Each entry is affine in k as the calls' arguments are (step T − 1 filled in full agrees),
  // so steps 0 and 1 give them all by typed-array arithmetic; else every step is filled in full.
  const fillAll = () => {
    const out = view().fill(0); // entries a fill leaves alone (the forward's gradient slots) stay 0
    const first = out.subarray(0, nArgs);
    fill(0, first);
    if (T < 3) { for (let k = 1; k < T; k++) fill(k, out.subarray(k * nArgs, (k + 1) * nArgs)); return; }
    const second = out.subarray(nArgs, 2 * nArgs), last = out.subarray((T - 1) * nArgs);
    fill(1, second);
    fill(T - 1, last);
    const d = new Int32Array(nArgs);
    let affine = true;
    for (let j = 0; j < nArgs; j++) {
      d[j] = second[j]! - first[j]!;
      if (first[j]! + (T - 1) * d[j]! !== last[j]) affine = false;
    }
    for (let k = 2; k < T - 1; k++) {
      const row = out.subarray(k * nArgs, (k + 1) * nArgs);
      if (!affine) { fill(k, row); continue; }
      for (let j = 0; j < nArgs; j++) row[j] = first[j]! + k * d[j]!;
    }
  };
  const full: StepJobs = {
    runAll: () => { fillAll(); for (let k = 0; k < T; k++) runCalls(make(k)); },
    free: () => rt.free(block),
  };
  if (T < 3) return full;
  const c0 = make(0), c1 = make(1), cL = make(T - 1);
  // The moving arguments: (call, argument, per-step change).
  const moves: { q: number; j: number; a: number; d: number }[] = [];
  if (c1.length !== c0.length || cL.length !== c0.length) return full;
  for (let q = 0; q < c0.length; q++) {
    const x0 = c0[q]!, x1 = c1[q]!, xL = cL[q]!;
    if (x1.kernel !== x0.kernel || xL.kernel !== x0.kernel || x1.args.length !== x0.args.length) return full;
    for (let j = 0; j < x0.args.length; j++) {
      const a = x0.args[j]!, d = x1.args[j]! - a;
      if (a + (T - 1) * d !== xL.args[j]) return full;
      if (d !== 0) moves.push({ q, j, a, d });
    }
  }
  const calls = c0.map((c) => ({ kernel: c.kernel, args: c.args.slice() }));
  const step = (k: number) => {
    for (const m of moves) calls[m.q]!.args[m.j] = m.a + k * m.d;
    return calls;
  };
  const whole = sequenceOn && c0.length <= MAX_STEP_CALLS && moves.length <= MAX_MOVING;
  return {
    runAll: () => {
      fillAll();
      if (whole) {
        sequencePasses.passes++;
        if (seqParts > 1) sequencePasses.split++;
        // runSteps reads steps 0, 1 and T − 1 before it returns: copies, as `step` reuses one array.
        rt.runSteps(T, (k) => step(k).map((c) => ({ kernel: c.kernel, args: c.args.slice() })), seqParts);
        return;
      }
      for (let k = 0; k < T; k++) runCalls(step(k));
    },
    free: full.free,
  };
}

/**
 * Whether every elementwise item that runs code has its WebAssembly kernel in `dir`, loaded into the
 * runtime (so worker threads run it too) unless the steps run in one part, on this thread.
 */
const allWasm = (plan: Plan, kernels: readonly (ItemKernels | null)[], wk: WasmKernels, dir: 'forward' | 'backward', parts: number) =>
  (wk.threaded || parts === 1) && plan.items.every((it, i) => it.kind === 'gemm' || wk[dir][i] !== null || kernels[i] === null);

/**
 * The forward's steps as jobs; `outputs(ys)` then writes every step's output into ys [T, B, outW] (time
 * order): read once from its slot when that slot keeps every step's, else copied per step (in the job)
 * to a region of its own. null when some step would need JavaScript (a JS kernel, a strided or
 * non-resident state or output; lengths are the caller's to refuse), which the step loop then runs.
 */
export function forwardJobs(plan: Plan, kernels: readonly (ItemKernels | null)[], wk: WasmKernels, res: Resident,
  packed: readonly (PackedMatrix | null)[], parts: number, seqParts: number, T: number, reverse: boolean): (StepJobs & { outputs(ys: Float32Array): void }) | null {
  const rows = rowKernels(res.rt);
  if (!rows || !allWasm(plan, kernels, wk, 'forward', parts)) return null;
  const { program: p, B } = plan;
  const outW = p.output.shape[1]!;
  const plain = (a: Access, n: number) => a.cs === 1 && a.rs === n && res.has(a.slot);
  const outStates = p.stateOut.map((v) => plan.access.get(v.id)!);
  const outA = plan.access.get(p.output.id)!;
  if (!plain(outA, outW) || !p.stateIn.every((v, f) => plain(outStates[f]!, v.shape[1]!) && res.has(plan.stateSlots[f]!))) return null;
  const nV = plan.slots.length, nArgs = nV + plan.gradSlots.length + 1;
  const O = new Int32Array(nV);
  // The output's slot keeps every step's block (a stored value): read it at the end; else copy per step.
  const outSpec = plan.slots[outA.slot]!;
  const kept = outSpec.base === 'step' && outSpec.size === B * outA.rs;
  const ys = kept ? null : res.rt.alloc(T * B * outW), block = res.rt.alloc(T * nArgs);
  if ((!kept && !ys) || !block) { res.rt.free(ys); res.rt.free(block); return null; }
  const time = (k: number) => (reverse ? T - 1 - k : k);
  const fill = (k: number, args: Int32Array) => {
    setBases(plan.slots, O, time(k), reverse);
    for (let s = 0; s < nV; s++) args[s] = res.has(s) ? res.address(s, O[s]!) : 0;
  };
  const make = (k: number) => {
    const t = time(k);
    setBases(plan.slots, O, t, reverse);
    const calls: Call[] = [];
    plan.items.forEach((item, i) => {
      if (item.kind !== 'gemm') {
        if (wk.forward[i]) calls.push({ kernel: wk.forward[i]!, args: [block.at + 4 * nArgs * k] });
        return;
      }
      const A = plan.access.get(item.a.id)!, C = plan.access.get(item.c.id)!;
      calls.push(res.gemmCall(B, item.N, item.K, res.address(A.slot, O[A.slot]! + A.off), A.rs, packed[i]!, false, res.address(C.slot, O[C.slot]!), C.rs));
    });
    // The new state into the slot the next step reads; the output out.
    p.stateIn.forEach((v, f) => {
      const n = v.shape[1]!, a = outStates[f]!;
      calls.push({ kernel: rows.copy, args: [res.address(plan.stateSlots[f]!, writeSlot(t, reverse) * B * n), res.address(a.slot, O[a.slot]! + a.off), B, n] });
    });
    if (ys) calls.push({ kernel: rows.copy, args: [ys.at + 4 * t * B * outW, res.address(outA.slot, O[outA.slot]! + outA.off), B, outW] });
    return calls;
  };
  // Kernels not loaded into the runtime run on this thread only: then the whole pass is one part too.
  const steps = affineSteps(res, parts, wk.threaded ? seqParts : 1, T, block, nArgs, make, fill);
  const outputs = (out: Float32Array) => {
    const heap = res.rt.f32();
    if (ys) { out.set(heap.subarray(ys.at / 4, ys.at / 4 + T * B * outW)); return; }
    // Step t's output is the slot's block t (rows of outW: `plain` checked rs).
    const at = res.address(outA.slot, outA.off) / 4;
    out.set(heap.subarray(at, at + T * B * outW));
  };
  return { runAll: steps.runAll, outputs, free: () => { steps.free(); res.rt.free(ys); } };
}

/** What the backward's step loop knows that its jobs need. */
export interface BackwardLayout {
  /** The value slots: where they are (the forward's region, or this pass's). */
  readonly vHas: (k: number) => boolean;
  readonly vAddress: (k: number, offset: number) => number;
  /** Region slots of the carried state gradients (carryAt + f) and of the outputs' gradient. */
  readonly carryAt: number;
  readonly dyAt: number;
  /** Gradient slots holding one row of sums per step (base t·accRows·size), and scratch gradient slots (zeroed per step). */
  readonly perStepAcc: readonly number[];
  readonly accRows: number;
  readonly scratchGrads: readonly number[];
}

/**
 * The backward's steps as jobs (loop step k undoes step T−1−k, or k when reverse): zero the scratch
 * gradients, add the carried state gradients and the output's gradient in, the kernels and dA gemms in
 * reverse item order, then copy the state gradients out to carry. null when a step would need JavaScript.
 */
export function backwardJobs(plan: Plan, kernels: readonly (ItemKernels | null)[], wk: WasmKernels, res: Resident,
  packed: readonly (PackedMatrix | null)[], parts: number, seqParts: number, T: number, reverse: boolean, L: BackwardLayout): StepJobs | null {
  const rows = rowKernels(res.rt);
  if (!rows || !allWasm(plan, kernels, wk, 'backward', parts)) return null;
  const { program: p, B } = plan;
  const nV = plan.slots.length, nG = plan.gradSlots.length, nArgs = nV + nG + 1;
  const outW = p.output.shape[1]!;
  const plain = (g: Access | undefined, n: number) => !g || (g.cs === 1 && g.rs === n && res.has(nV + g.slot));
  const outG = plan.gradAccess.get(p.output.id);
  const stateOutG = p.stateOut.map((v) => plan.gradAccess.get(v.id));
  if (!plain(outG, outW) || !p.stateIn.every((v, f) => plain(stateOutG[f], v.shape[1]!) && res.has(nV + plan.stateGradSlots[f]!))) return null;
  if (!L.scratchGrads.every((s) => res.has(nV + s) && plan.gradSlots[s]!.size % B === 0)) return null;
  const O = new Int32Array(nV), GO = new Int32Array(nG);
  const time = (k: number) => (reverse ? k : T - 1 - k);
  const bases = (t: number) => {
    setBases(plan.slots, O, t, reverse);
    setBases(plan.gradSlots, GO, t, reverse);
    for (const s of L.perStepAcc) GO[s] = t * L.accRows * plan.gradSlots[s]!.size;
  };
  const block = res.rt.alloc(T * nArgs);
  if (!block) return null;
  const fill = (k: number, args: Int32Array) => {
    bases(time(k));
    for (let s = 0; s < nV; s++) args[s] = L.vHas(s) ? L.vAddress(s, O[s]!) : 0;
    for (let s = 0; s < nG; s++) args[nV + s] = res.has(nV + s) ? res.address(nV + s, GO[s]!) : 0;
    args[nV + nG] = 0; // no padded rows
  };
  const make = (k: number) => {
    const t = time(k);
    bases(t);
    const calls: Call[] = [];
    for (const s of L.scratchGrads) calls.push({ kernel: rows.zero, args: [res.address(nV + s, 0), 0, B, plan.gradSlots[s]!.size / B] });
    const addIn = (g: Access | undefined, src: number, n: number) => {
      if (g) calls.push({ kernel: rows.add, args: [res.address(nV + g.slot, GO[g.slot]! + g.off), src, B, n] });
    };
    p.stateIn.forEach((v, f) => addIn(stateOutG[f], res.address(L.carryAt + f, 0), v.shape[1]!));
    addIn(outG, res.address(L.dyAt, t * B * outW), outW);
    for (let i = plan.items.length - 1; i >= 0; i--) {
      const item = plan.items[i]!;
      if (item.kind !== 'gemm') {
        if (wk.backward[i]) calls.push({ kernel: wk.backward[i]!, args: [block.at + 4 * nArgs * k] });
        continue;
      }
      if (!plan.needs[item.a.id]) continue;
      // dA += dC·op(W)ᵀ for this step.
      const Ga = plan.gradAccess.get(item.a.id)!, Gc = plan.gradAccess.get(item.c.id)!;
      calls.push(res.gemmCall(B, item.K, item.N, res.address(nV + Gc.slot, GO[Gc.slot]!), Gc.rs, packed[i]!, true,
        res.address(nV + Ga.slot, GO[Ga.slot]! + Ga.off), Ga.rs));
    }
    p.stateIn.forEach((v, f) => {
      calls.push({ kernel: rows.copy, args: [res.address(L.carryAt + f, 0), res.address(nV + plan.stateGradSlots[f]!, 0), B, v.shape[1]!] });
    });
    return calls;
  };
  return affineSteps(res, parts, wk.threaded ? seqParts : 1, T, block, nArgs, make, fill);
}
