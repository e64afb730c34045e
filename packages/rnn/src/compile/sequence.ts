// The compiled sequence: one recorded op running a plan over every time step — per step the gemms
// that read the state and the generated kernels; backward through time the same way in reverse,
// with each recurrent weight's gradient one gemm over all steps.
import * as K from '@unroll/core';
import { paddingBounds } from '../padding.js';
import { defineOp } from '@unroll/autograd';
import { GEMM_MR } from '@unroll/core/internal';
import type { Tensor } from '@unroll/autograd';
import type { FloatArray, NdArray } from '@unroll/core';
import { copyOf, readSlot, writeSlot } from '../fused/common.js';
import type { ItemKernels } from './codegen.js';
import type { Access, Plan, Projection, ProjectionGroup } from './plan.js';
import { ArgumentBlock, MAX_STEP_CALLS, Resident, StepQueue, countWasmPass, fresh, stepParts, gemm, release, residentRuntime, scratchSlot, countStepJobPass, stepJobsEnabled, take, wasmKernelsEnabled } from './runtime.js';
import { wasmKernels } from './wasm-kernels.js';
import { oneHotRows, projectOneHot, projectionGradOneHot } from './one-hot-input.js';
import { scatterAddRows } from '../fused/wasm/row-ops.js';
import { pointwiseWasm } from '../fused/wasm/runtime.js';
import { rowHelpers, rowKernels } from './wasm-rows.js';
import type { Call } from '@unroll/core/internal';
import { backwardJobs, forwardJobs, setBases } from './step-jobs.js';
import type { WasmKernels } from './wasm-kernels.js';
import type { FloatDType } from './runtime.js';

/** A plan with its generated kernels: what the op runs. */
export interface Compiled { readonly plan: Plan; readonly kernels: readonly (ItemKernels | null)[] }

interface Attrs {
  readonly compiled: Compiled;
  readonly T: number;
  readonly reverse: boolean;
  readonly lengths: Int32Array | null;
  readonly record: boolean;
}

interface Saved {
  V: FloatArray[]; pooled: FloatArray[]; dtype: FloatDType; x2d: FloatArray | null;
  /** Each row's hot column when x is one-hot (see one-hot-input.ts), else null. */
  hot: Int32Array | null;
  /** The forward's region of the kernel memory, kept for backward (freed on release, or when collected). */
  res: Resident | null;
}

/**
 * A recorded forward keeps its slots in the kernel memory for backward (no copy out and back in) while
 * recorded graphs hold at most HELD_BYTES there; they are freed when the node is released (after
 * backward) or, for a graph never backwarded (never released), when its saved state is collected. Past
 * that budget a forward copies what backward reads out to collectable arrays: that memory never shrinks,
 * so graphs kept alive and never backwarded must not grow it without bound.
 */
const HELD_BYTES = 64 * 2 ** 20;
let held = 0;
const unreleased = new FinalizationRegistry<Resident>((res) => letGo(res));
function letGo(res: Resident): void {
  held -= res.bytes;
  res.close();
}

type GemmItem = Extract<Plan['items'][number], { kind: 'gemm' }>;
const gemmItems = (plan: Plan) => plan.items.filter((i): i is GemmItem => i.kind === 'gemm');

/**
 * float32: the forward's per-step slots (projections, state, saved values, scratch) in one region of
 * core's kernel memory, so the recurrent gemms run there in place on the worker threads; null when
 * the runtime cannot hold them (the JS gemm then runs on pooled arrays).
 */
function residentValues(plan: Plan, T: number, wk: WasmKernels | null): Resident | null {
  // With WebAssembly kernels the hoisted inputs and constants they read live there too (copied in once).
  const sizes = plan.slots.map((s) => (s.role === 'state' ? (T + 1) * s.size
    : s.role === 'projection' || s.role === 'saved' ? T * s.size : s.role === 'scratch' ? s.size
      : wk && (s.role === 'input' || s.role === 'constant') ? (s.base === 'step' ? T * s.size : s.size) : 0));
  const ok = gemmItems(plan).every((it) => sizes[plan.access.get(it.a.id)!.slot]! > 0 && sizes[plan.access.get(it.c.id)!.slot]! > 0);
  return ok && (gemmItems(plan).length > 0 || wk) ? Resident.open(plan.program.dtype, sizes) : null;
}

/**
 * The same for backward: its gradient slots (all but the returned input gradients and the accumulators,
 * which WebAssembly kernels also want there), and with WebAssembly kernels the value slots they read
 * (copied back in) and the padded-rows flags. Slot k of the region is value slot k, gradient slot k is
 * nV + k, the flags nV + nG.
 */
function residentBackward(plan: Plan, T: number, wk: WasmKernels | null, padded: boolean, copyValues: boolean): Resident | null {
  const values = plan.slots.map((s, k) => (!copyValues || !wk?.backwardValues.has(k) ? 0 : s.role === 'state' ? (T + 1) * s.size
    : s.base === 'step' ? T * s.size : s.size));
  const grads = plan.gradSlots.map((s) => (s.role === 'gradAll' || s.role === 'gradProjection' ? T * s.size
    : s.role === 'gradScratch' ? s.size : wk && s.role === 'gradInput' ? T * s.size : wk && s.role === 'gradAcc' && s.accumulates ? T * accRows(plan.B) * s.size : 0));
  const items = gemmItems(plan).filter((it) => plan.needs[it.a.id]);
  const ok = items.every((it) => grads[plan.gradAccess.get(it.a.id)!.slot]! > 0 && grads[plan.gradAccess.get(it.c.id)!.slot]! > 0);
  // Then the gradient carried to each state field, and the outputs' gradient (added in per step).
  const p = plan.program;
  const carried = p.stateIn.map((v) => plan.B * v.shape[1]!);
  return ok && (items.length > 0 || wk)
    ? Resident.open(p.dtype, [...values, ...grads, wk && padded ? plan.B : 0, ...carried, T * plan.B * p.output.shape[1]!]) : null;
}

const NONE = new Float64Array(0);
/** Rows per step of a WebAssembly kernel's parameter-gradient accumulator: one per block of GEMM_MR batch rows. */
const accRows = (B: number) => Math.ceil(B / GEMM_MR);
const flat = (a: NdArray) => K.contiguous(a) as FloatArray;
const wrap = (a: FloatArray, shape: readonly number[]) => K.fromData(a, [...shape]);

/**
 * dst[to + b·ld + j] (+)= src[from + b·rs + j·cs] for rows b < B not padded at t (all rows when
 * lengths is null), j < n: the step's results in and out of their slots, in plain loops.
 */
function rows(add: boolean, src: FloatArray, from: number, rs: number, cs: number, dst: FloatArray, to: number, ld: number,
  B: number, n: number, lengths: Int32Array | null, t: number): void {
  if (lengths === null && cs === 1 && rs === n && ld === n) {
    if (add) for (let i = 0, m = B * n; i < m; i++) dst[to + i] += src[from + i]!;
    else dst.set(src.subarray(from, from + B * n), to);
    return;
  }
  for (let b = 0; b < B; b++) {
    if (lengths !== null && t >= lengths[b]!) continue;
    const s = from + b * rs, d = to + b * ld;
    if (add) for (let j = 0; j < n; j++) dst[d + j] += src[s + j * cs]!;
    else for (let j = 0; j < n; j++) dst[d + j] = src[s + j * cs]!;
  }
}

// The row loops below are small functions of their own: inside the large forward and backward closures,
// which run once per pass, V8 left them unoptimized (a 131k-element sum took ~5 ms instead of ~0.1 ms).

/** Σ_r src[from + r·ld + j] for r < rows, j < n, in float64, rows in order (the same order whatever the thread count). */
function sumRows(src: FloatArray, rows: number, n: number, from = 0, ld = n): Float64Array {
  const total = new Float64Array(n);
  for (let r = 0, at = from; r < rows; r++, at += ld) for (let j = 0; j < n; j++) total[j] += src[at + j]!;
  return total;
}

/**
 * Zeroes the region slots `slots` before a backward's steps: one runtime job of `parts` parts (a
 * WebAssembly SIMD loop; a JS fill of a view of the shared memory runs several times slower), or
 * `fill(k)` per slot where the row kernels cannot load.
 */
function zeroSlots(res: Resident, slots: readonly number[], parts: number, fill: (k: number) => void): void {
  const kernels = rowKernels(res.rt);
  if (!kernels) { slots.forEach(fill); return; }
  // Rows of 16 floats over each slot's 64-byte-aligned span (the padding is the slot's own).
  const calls: Call[] = slots.map((k) => ({ kernel: kernels.zero, args: [res.address(k, 0), 0, res.span(k) / 16, 16] }));
  for (let i = 0; i < calls.length; i += MAX_STEP_CALLS) res.rt.run(calls.slice(i, i + MAX_STEP_CALLS), parts);
}

/** c[from + r·ld + j] += v[j] for r < rows, j < n. */
function addToRows(c: FloatArray, v: FloatArray, rows: number, n: number, from = 0, ld = n): void {
  for (let r = 0, at = from; r < rows; r++, at += ld) for (let j = 0; j < n; j++) c[at + j] += v[j]!;
}

/**
 * A projection group's weights as one op(W) operand: side by side, [N, I] rows stacked (transB) or
 * [I, N] columns joined; a group of one is its weight itself.
 */
function joinWeights(g: ProjectionGroup, prs: readonly Projection[], weight: (pr: Projection) => FloatArray): FloatArray {
  if (g.members.length === 1) return weight(prs[g.members[0]!]!);
  const first = weight(prs[g.members[0]!]!);
  const out = first instanceof Float32Array ? new Float32Array(g.N * g.I) : new Float64Array(g.N * g.I);
  g.members.forEach((m, k) => {
    const pr = prs[m]!, W = weight(pr), col = g.cols[k]!;
    if (g.transB) out.set(W.subarray(0, pr.N * g.I), col * g.I);
    else for (let i = 0; i < g.I; i++) out.set(W.subarray(i * pr.N, (i + 1) * pr.N), i * g.N + col);
  });
  return out;
}

/** Member k's part of a group's weight gradient dW [N, I] (transB) or [I, N]: its rows or its columns. */
function memberGradient(g: ProjectionGroup, pr: Projection, k: number, dw: FloatArray): FloatArray {
  const col = g.cols[k]!;
  if (g.transB) return dw.slice(col * g.I, (col + pr.N) * g.I);
  const out = dw instanceof Float32Array ? new Float32Array(g.I * pr.N) : new Float64Array(g.I * pr.N);
  for (let i = 0; i < g.I; i++) out.set(dw.subarray(i * g.N + col, i * g.N + col + pr.N), i * pr.N);
  return out;
}

const compiledSequenceOp = defineOp<Attrs, string, never, Saved>({
  name: 'compiledSequence',
  inputs: 'variadic',
  forward: function sequenceForward(inputs, a) {
    const { plan, kernels } = a.compiled;
    const { program: p, B } = plan;
    const { T, reverse, lengths, record } = a;
    const dtype = p.dtype;
    const nX = plan.xInputs.length, nP = plan.pInputs.length;
    const V: FloatArray[] = [];
    const pooled: FloatArray[] = [];
    const x2d = plan.projections.length ? flat(inputs[nX + nP + p.stateIn.length]!) : null;
    // One pass over x: its rows' hot columns when it is one-hot (the projections are then gathers).
    const hot = x2d ? oneHotRows(x2d, T * B, inputs[nX + nP + p.stateIn.length]!.shape[1]!) : null;
    const rt = residentRuntime(dtype);
    const wk = rt && wasmKernelsEnabled() ? wasmKernels(plan, rt) : null;
    const res = residentValues(plan, T, wk);
    res?.bind(V);
    // A projection group: x·[op(W₁) … op(W_k)] for every step at once, [T·B, I] → [T·B, N], one gemm (or
    // a gather of the weights' columns when x is one-hot).
    const weightIn = (pr: Projection) => flat(inputs[nX + plan.pInputs.indexOf(pr.w)]!);
    const project = (C: FloatArray, g: ProjectionGroup, resident: boolean) => {
      if (hot) { projectOneHot(g, T, B, dtype, x2d!, hot, joinWeights(g, plan.projections, weightIn), C, resident); return; }
      gemm(false, g.transB, T * B, g.N, g.I, 1, x2d!, 0, g.I, joinWeights(g, plan.projections, weightIn), 0, g.transB ? g.I : g.N, 0, C, 0, g.N);
    };
    // Each member's bias (if any) added to each of its T·B rows at its columns.
    const addBias = (C: FloatArray, g: ProjectionGroup) => g.members.forEach((m, k) => {
      const pr = plan.projections[m]!;
      if (pr.bias) addToRows(C, flat(inputs[nX + plan.pInputs.indexOf(pr.bias)]!), T * B, pr.N, g.cols[k]!, g.N);
    });
    const original = (s: Plan['slots'][number]) => (s.role === 'constant' ? p.values[s.index]!.constant! : flat(inputs[s.base === 'step' ? s.index : nX + s.index]!));
    plan.slots.forEach((s, k) => {
      if (res?.has(k)) {
        if (s.role === 'input' || s.role === 'constant') V[k]!.set(original(s));
        if (s.role === 'projection') {
          const g = plan.projectionGroups[s.index]!;
          project(V[k]!, g, true);
          res.bind(V);
          addBias(V[k]!, g);
        }
        return;
      }
      if (s.role === 'input') V[k] = flat(inputs[s.base === 'step' ? s.index : nX + s.index]!);
      else if (s.role === 'projection') {
        const g = plan.projectionGroups[s.index]!;
        pooled.push((V[k] = take(dtype, T * s.size)));
        project(V[k]!, g, false);
        addBias(V[k]!, g);
      }
      else if (s.role === 'constant') V[k] = p.values[s.index]!.constant!;
      else if (s.role === 'scratch') V[k] = scratchSlot(`v${k}`, dtype, s.size);
      else pooled.push((V[k] = take(dtype, (s.role === 'state' ? T + 1 : T) * s.size)));
    });
    res?.bind(V);
    // Each recurrent weight packed once for the whole sequence (op(W) as the step's B operand).
    const packed = res ? plan.items.map((it) => (it.kind === 'gemm'
      ? res.pack(it.transB, it.K, it.N, V[plan.access.get(it.w.id)!.slot]!, it.transB ? it.K : it.N) : null)) : null;
    res?.bind(V);
    const O = new Int32Array(plan.slots.length);
    // Initial state in the slot the first step reads.
    p.stateIn.forEach((v, f) => {
      V[plan.stateSlots[f]!]!.set(flat(inputs[nX + nP + f]!), readSlot(reverse ? T - 1 : 0, reverse) * plan.slots[plan.stateSlots[f]!]!.size);
    });
    const outW = p.output.shape[1]!;
    const ys = fresh(dtype, T * B * outW);
    const outA = plan.access.get(p.output.id)!;
    const outStates = p.stateOut.map((v) => plan.access.get(v.id)!);
    // The WebAssembly kernels' argument block: every value slot's address this step (gradient slots, pad: 0).
    const useWasm = res !== null && wk !== null && [...wk.forwardValues].every((k) => res.has(k));
    const args = useWasm ? ArgumentBlock.open(res.rt, plan.slots.length + plan.gradSlots.length + 1) : null;
    const stepWork = Math.max(0, ...gemmItems(plan).map((it) => B * it.N * it.K));
    const parts = res ? res.parts(B, stepWork) : 1;
    const queue = res ? new StepQueue(res.rt, parts) : null;
    if (args) countWasmPass();
    const copier = res ? rowHelpers(res.rt) : null;
    // The steps as runtime jobs with almost no JavaScript between them (step-jobs.ts) where no step needs
    // JavaScript; else step by step below.
    const jobs = args && lengths === null && stepJobsEnabled() ? forwardJobs(plan, kernels, wk!, res!, packed!, parts, res!.parts(B, T * stepWork), T, reverse) : null;
    if (jobs) {
      countStepJobPass();
      jobs.runAll();
      jobs.outputs(ys as Float32Array);
      jobs.free();
      res!.bind(V);
    }
    for (let k = 0; k < T && !jobs; k++) {
      const t = reverse ? T - 1 - k : k;
      setBases(plan.slots, O, t, reverse);
      if (args) {
        const block = args.view();
        for (let s = 0; s < plan.slots.length; s++) block[s] = res!.has(s) ? res!.address(s, O[s]!) : 0;
      }
      for (let i = 0; i < plan.items.length; i++) {
        const item = plan.items[i]!;
        if (item.kind !== 'gemm') {
          const w = args ? wk!.forward[i] : null;
          if (w) queue!.kernel(w, wk!.threaded, args!.at);
          else if (kernels[i]) {
            queue?.flush();
            res?.bind(V);
            kernels[i]!.forward(V, O, null, null, null);
          }
          continue;
        }
        const A = plan.access.get(item.a.id)!, C = plan.access.get(item.c.id)!, W = plan.access.get(item.w.id)!;
        if (res) {
          queue!.push(res.gemmCall(B, item.N, item.K, res.address(A.slot, O[A.slot]! + A.off), A.rs, packed![i]!, false, res.address(C.slot, O[C.slot]!), C.rs));
          continue;
        }
        gemm(false, item.transB, B, item.N, item.K, 1, V[A.slot]!, O[A.slot]! + A.off, A.rs, V[W.slot]!, 0,
          item.transB ? item.K : item.N, 0, V[C.slot]!, O[C.slot]!, C.rs);
      }
      queue?.flush();
      res?.bind(V);
      // The step's results: the new state into its slot (padded rows keep the old), the output into ys.
      p.stateIn.forEach((v, f) => {
        const s = plan.stateSlots[f]!, n = v.shape[1]!, dst = V[s]!, a = outStates[f]!;
        const prev = readSlot(t, reverse) * B * n, next = writeSlot(t, reverse) * B * n;
        if (lengths !== null) dst.copyWithin(next, prev, prev + B * n); // padded rows keep their state
        if (lengths === null && a.cs === 1 && a.rs === n && copier && res!.has(s) && res!.has(a.slot)) {
          copier.copy(res!.address(s, next), res!.address(a.slot, O[a.slot]! + a.off), B * n);
        } else rows(false, V[a.slot]!, O[a.slot]! + a.off, a.rs, a.cs, dst, next, n, B, n, lengths, t);
      });
      rows(false, V[outA.slot]!, O[outA.slot]! + outA.off, outA.rs, outA.cs, ys, t * B * outW, outW, B, outW, lengths, t);
    }
    const last = reverse ? 0 : T;
    const finals = p.stateIn.map((v, f) => {
      const size = plan.slots[plan.stateSlots[f]!]!.size;
      return wrap(copyOf(V[plan.stateSlots[f]!]!, last * size, size), v.shape);
    });
    // Kept for backward within the budget; else what backward reads leaves the kernel memory now.
    const keep = res !== null && record && held + res.bytes <= HELD_BYTES;
    if (res && !keep) {
      if (record) {
        res.bind(V);
        plan.slots.forEach((s, k) => {
          if (!res.has(k)) return;
          if (s.role === 'input' || s.role === 'constant') { V[k] = original(s); return; }
          const kept = s.role === 'scratch' ? scratchSlot(`v${k}`, dtype, s.size) : take(dtype, V[k]!.length);
          if (s.role !== 'scratch') pooled.push(kept);
          kept.set(V[k]!);
          V[k] = kept;
        });
      }
      res.close();
    }
    args?.free();
    if (!record) release(...pooled);
    let saved: Saved | undefined;
    if (record) {
      saved = { V, pooled, dtype, x2d, hot, res: keep ? res : null };
      if (keep) {
        held += res!.bytes;
        unreleased.register(saved, res!, saved);
      }
    }
    return { outputs: [wrap(ys, [T, B, outW]), ...finals], saved };
  },

  release: (saved) => {
    release(...saved.pooled);
    if (saved.res) {
      unreleased.unregister(saved);
      letGo(saved.res);
      saved.res = null;
    }
  },

  backward: function sequenceBackward({ dys, saved, attrs: a, needs, shapes }) {
    const G: FloatArray[] = [];
    const { plan, kernels } = a.compiled;
    const { program: p, B } = plan;
    const { T, reverse, lengths } = a;
    const { dtype, x2d, hot } = saved;
    const nVs = plan.slots.length, nGs = plan.gradSlots.length;
    const rt = residentRuntime(dtype);
    const wk = rt && wasmKernelsEnabled() ? wasmKernels(plan, rt) : null;
    const needed = gemmItems(plan).filter((it) => plan.needs[it.a.id]);
    const stepWork = Math.max(0, ...needed.map((it) => B * it.N * it.K));
    const parts = rt ? stepParts(rt, B, stepWork) : 1;
    // The values: in the forward's region when it kept one, else (copied) in this pass's.
    const vres = saved.res;
    const res = residentBackward(plan, T, wk, lengths !== null, vres === null);
    const V = saved.V.slice();
    const VG: FloatArray[] = [];
    let carry: FloatArray[] = [];
    let DY: FloatArray | null = null;
    const vHas = (k: number) => (vres ? vres.has(k) : res !== null && res.has(k));
    const vAddress = (k: number, offset: number) => (vres ? vres.address(k, offset) : res!.address(k, offset));
    // The regions' views into V and G (again after the memory grew).
    const bindAll = () => {
      vres?.bind(V);
      if (!res) return;
      res.bind(VG);
      if (!vres) for (let k = 0; k < nVs; k++) if (res.has(k)) V[k] = VG[k]!;
      for (let k = 0; k < nGs; k++) if (res.has(nVs + k)) G[k] = VG[nVs + k]!;
      carry.forEach((_, f) => { carry[f] = VG[nVs + nGs + 1 + f]!; });
      if (DY && res.has(nVs + nGs + 1 + p.stateIn.length)) DY = VG[nVs + nGs + 1 + p.stateIn.length]!;
    };
    bindAll();
    if (!vres) for (let k = 0; k < nVs; k++) if (res?.has(k)) V[k]!.set(saved.V[k]!);
    const nX = plan.xInputs.length, nP = plan.pInputs.length;
    const TB = T * B;
    const pooled: FloatArray[] = [];
    // The region's gradient slots start at zero (scratch ones are zeroed per step), in one job.
    const zeroed: number[] = [];
    plan.gradSlots.forEach((s, k) => {
      if (res?.has(nVs + k)) { if (s.role !== 'gradScratch') zeroed.push(nVs + k); return; }
      if (s.role === 'gradInput') G[k] = fresh(dtype, T * s.size);
      else if (s.role === 'gradAcc') G[k] = s.accumulates ? new Float64Array(s.size) : NONE;
      else if (s.role === 'gradAll' || s.role === 'gradProjection') { pooled.push((G[k] = take(dtype, T * s.size))); G[k]!.fill(0); }
      else G[k] = scratchSlot(`g${k}`, dtype, s.size);
    });
    if (res) zeroSlots(res, zeroed, res.rt.threads(), (k) => G[k - nVs]!.fill(0));
    // Each recurrent weight packed once for the whole pass, as op(W)ᵀ [N, K] (the step's dA += dC·op(W)ᵀ).
    const packed = res ? plan.items.map((it) => (it.kind === 'gemm' && plan.needs[it.a.id]
      ? res.pack(!it.transB, it.N, it.K, V[plan.access.get(it.w.id)!.slot]!, it.transB ? it.K : it.N) : null)) : null;
    bindAll();
    const O = new Int32Array(plan.slots.length), GO = new Int32Array(plan.gradSlots.length);
    // WebAssembly kernels: accumulators in the region hold one row of sums per step (added up in float64
    // at the end); arguments are every slot's address this step and the padded-rows flags.
    const useWasm = res !== null && wk !== null && [...wk.backwardValues].every(vHas)
      && [...wk.backwardGrads].every((k) => res.has(nVs + k));
    const perStepAcc = plan.gradSlots.map((s, k) => (s.role === 'gradAcc' && res?.has(nVs + k) ? k : -1)).filter((k) => k >= 0);
    const args = useWasm ? ArgumentBlock.open(res.rt, nVs + nGs + 1) : null;
    const padAt = res?.has(nVs + nGs) ? res.address(nVs + nGs, 0) : 0;
    const queue = res ? new StepQueue(res.rt, parts) : null;
    if (args) countWasmPass();
    // carry[f]: the gradient reaching state field f after the step being undone. On the runtime it and
    // the outputs' gradient DY live in the region (slots nV + nG + 1 + f, then the next), so the per-step
    // adds and copies run as WebAssembly (rowHelpers).
    const carryAt = nVs + nGs + 1, dyAt = carryAt + p.stateIn.length;
    const scratchGrads = plan.gradSlots.map((s, k) => (s.role === 'gradScratch' ? k : -1)).filter((k) => k >= 0);
    const helpers = res ? rowHelpers(res.rt) : null;
    carry = p.stateIn.map((v, f) => (res ? VG[carryAt + f]! : scratchSlot(`carry${f}`, dtype, B * v.shape[1]!)));
    carry.forEach((c, f) => c.set(flat(dys[1 + f]!)));
    DY = flat(dys[0]!);
    if (res) { VG[dyAt]!.set(DY); DY = VG[dyAt]!; }
    const outW = p.output.shape[1]!;
    const outG = plan.gradAccess.get(p.output.id);
    const stateOutG = p.stateOut.map((v) => plan.gradAccess.get(v.id));
    const { minLen, maxLen } = paddingBounds(lengths, T);
    const pad = lengths === null ? null : new Uint8Array(B);
    // Adds rows of src (row stride n) into the gradient at access g (a broadcast one sums over j).
    const addInto = (g: Access | undefined, src: FloatArray, srcSlot: number, from: number, n: number, t: number) => {
      if (!g) return;
      const dst = G[g.slot]!, to = GO[g.slot]! + g.off;
      if (lengths === null && g.cs === 1 && g.rs === n && helpers && res!.has(nVs + g.slot)) {
        helpers.add(res!.address(nVs + g.slot, to), res!.address(srcSlot, from), B * n);
        return;
      }
      if (lengths === null && g.cs === 1 && g.rs === n) {
        for (let i = 0, m = B * n; i < m; i++) dst[to + i] += src[from + i]!;
        return;
      }
      for (let b = 0; b < B; b++) {
        if (lengths !== null && t >= lengths[b]!) continue;
        const s = from + b * n, d = to + b * g.rs;
        for (let j = 0; j < n; j++) dst[d + j * g.cs] += src[s + j]!;
      }
    };
    // The steps as runtime jobs with almost no JavaScript between them (step-jobs.ts) where no step needs
    // JavaScript; else step by step below.
    const jobs = args && lengths === null && stepJobsEnabled() ? backwardJobs(plan, kernels, wk!, res!, packed!, parts, stepParts(res!.rt, B, T * stepWork), T, reverse,
      { vHas, vAddress, carryAt, dyAt, perStepAcc, accRows: accRows(B), scratchGrads }) : null;
    if (jobs) {
      countStepJobPass();
      jobs.runAll();
      jobs.free();
      bindAll();
    }
    for (let k = 0; k < T && !jobs; k++) {
      const t = reverse ? k : T - 1 - k;
      if (t >= maxLen) continue; // every row padded: the state passed through, so does its gradient
      setBases(plan.slots, O, t, reverse);
      setBases(plan.gradSlots, GO, t, reverse);
      for (const s of perStepAcc) GO[s] = t * accRows(B) * plan.gradSlots[s]!.size;
      for (const s of scratchGrads) G[s]!.fill(0);
      if (pad) for (let b = 0; b < B; b++) pad[b] = t >= lengths![b]! ? 1 : 0;
      if (args) {
        const block = args.view();
        for (let s = 0; s < nVs; s++) block[s] = vHas(s) ? vAddress(s, O[s]!) : 0;
        for (let s = 0; s < nGs; s++) block[nVs + s] = res!.has(nVs + s) ? res!.address(nVs + s, GO[s]!) : 0;
        block[nVs + nGs] = 0;
        if (padAt && lengths !== null && t >= minLen) {
          const flags = res!.int32(nVs + nGs);
          for (let b = 0; b < B; b++) flags[b] = pad![b]!;
          block[nVs + nGs] = padAt;
        }
      }
      p.stateIn.forEach((v, f) => addInto(stateOutG[f], carry[f]!, carryAt + f, 0, v.shape[1]!, t));
      addInto(outG, DY!, dyAt, t * B * outW, outW, t);
      for (let i = plan.items.length - 1; i >= 0; i--) {
        const item = plan.items[i]!;
        if (item.kind !== 'gemm') {
          const w = args ? wk!.backward[i] : null;
          if (w) queue!.kernel(w, wk!.threaded, args!.at);
          else if (kernels[i]) {
            queue?.flush();
            bindAll();
            kernels[i]!.backward(V, O, G, GO, pad);
          }
          continue;
        }
        if (!plan.needs[item.a.id]) continue;
        // dA += dC·op(W)ᵀ for this step (padded rows have dC = 0).
        const Ga = plan.gradAccess.get(item.a.id)!, Gc = plan.gradAccess.get(item.c.id)!, W = plan.access.get(item.w.id)!;
        if (res) {
          queue!.push(res.gemmCall(B, item.K, item.N, res.address(nVs + Gc.slot, GO[Gc.slot]!), Gc.rs, packed![i]!, true,
            res.address(nVs + Ga.slot, GO[Ga.slot]! + Ga.off), Ga.rs));
          continue;
        }
        gemm(false, !item.transB, B, item.K, item.N, 1, G[Gc.slot]!, GO[Gc.slot]!, Gc.rs, V[W.slot]!, 0,
          item.transB ? item.K : item.N, 1, G[Ga.slot]!, GO[Ga.slot]! + Ga.off, Ga.rs);
      }
      queue?.flush();
      bindAll();
      p.stateIn.forEach((v, f) => {
        const n = v.shape[1]!;
        const from = plan.stateGradSlots[f]!;
        if (lengths === null && helpers && res!.has(nVs + from)) helpers.copy(res!.address(carryAt + f, 0), res!.address(nVs + from, 0), B * n);
        else rows(false, G[from]!, 0, n, 1, carry[f]!, 0, n, B, n, lengths, t);
      });
    }
    res?.unpack();
    const rebind = bindAll;
    // Weight gradients computed by gemms, per gradient slot (summed when a weight has several).
    const direct = new Map<number, FloatArray>();
    const addDirect = (slot: number, dw: FloatArray) => {
      const d = direct.get(slot);
      if (!d) direct.set(slot, dw);
      else for (let i = 0; i < dw.length; i++) d[i] += dw[i]!;
    };
    // Each recurrent weight's gradient: one gemm over all steps, Σ_t dC_tᵀ·A_t.
    for (const item of plan.items) {
      if (item.kind !== 'gemm' || !plan.needs[item.w.id]) continue;
      const A = plan.access.get(item.a.id)!, Gc = plan.gradAccess.get(item.c.id)!;
      const spec = plan.slots[A.slot]!;
      const a0 = (spec.base === 'step' ? 0 : spec.base === 'stateRead' ? readSlot(0, reverse) * spec.size : 0) + A.off;
      const dw = fresh(dtype, item.N * item.K);
      rebind();
      if (item.transB) gemm(true, false, item.N, item.K, TB, 1, G[Gc.slot]!, 0, Gc.rs, V[A.slot]!, a0, A.rs, 0, dw, 0, item.K);
      else gemm(true, false, item.K, item.N, TB, 1, V[A.slot]!, a0, A.rs, G[Gc.slot]!, 0, Gc.rs, 0, dw, 0, item.N);
      addDirect(plan.gradAccess.get(item.w.id)!.slot, dw);
    }
    // Each projection group: dW = dXᵀ·x (or xᵀ·dX) and dx += dX·op(W)ᵀ, one gemm each over all steps
    // (a member's weight gradient is its rows or columns of the group's; when only some members need one,
    // a gemm each, reading dX at their columns).
    const nS = p.stateIn.length;
    const dx = plan.projections.length && needs[nX + nP + nS] ? fresh(dtype, shapes[nX + nP + nS]!.reduce((a, d) => a * d, 1)) : null;
    plan.gradSlots.forEach((s, k) => {
      if (s.role !== 'gradProjection') return;
      const g = plan.projectionGroups[s.index]!, I = g.I, N = g.N;
      // dX (the slot) and the weights fetched again after each gemm (the memory may have grown).
      const dX = () => { rebind(); return G[k]!; };
      const prs = g.members.map((m) => plan.projections[m]!);
      const wanted = prs.map((pr) => (plan.needs[pr.w.id] ? plan.gradAccess.get(pr.w.id) : undefined));
      if (hot && wanted.some((acc) => acc)) {
        // x one-hot: the whole group's dW as one scatter-add of dX's rows, each member its part.
        const dw = projectionGradOneHot(g, T, B, dtype, x2d!, hot, dX(), res?.has(nVs + k) ?? false);
        prs.forEach((pr, m) => { if (wanted[m]) addDirect(wanted[m]!.slot, g.members.length > 1 ? memberGradient(g, pr, m, dw) : dw); });
      } else if (g.members.length > 1 && wanted.every((acc) => acc)) {
        const dw = fresh(dtype, N * I);
        if (g.transB) gemm(true, false, N, I, TB, 1, dX(), 0, N, x2d!, 0, I, 0, dw, 0, I);
        else gemm(true, false, I, N, TB, 1, x2d!, 0, I, dX(), 0, N, 0, dw, 0, N);
        prs.forEach((pr, m) => addDirect(wanted[m]!.slot, memberGradient(g, pr, m, dw)));
      } else {
        prs.forEach((pr, m) => {
          const acc = wanted[m], col = g.cols[m]!;
          if (!acc) return;
          const dw = fresh(dtype, pr.N * I);
          if (g.transB) gemm(true, false, pr.N, I, TB, 1, dX(), col, N, x2d!, 0, I, 0, dw, 0, I);
          else gemm(true, false, I, pr.N, TB, 1, x2d!, 0, I, dX(), col, N, 0, dw, 0, pr.N);
          addDirect(acc.slot, dw);
        });
      }
      if (dx) {
        rebind();
        const W = joinWeights(g, plan.projections, (pr) => V[plan.access.get(pr.w.id)!.slot]!);
        gemm(false, !g.transB, TB, I, N, 1, dX(), 0, N, W, 0, g.transB ? I : N, 1, dx, 0, I);
      }
      // Each member's bias gradient: its columns of dX summed over all T·B rows (in float64): when dX lives
      // in the kernel memory, every column's sum at once by the fused ops' row kernel, else in JS.
      const biases = prs.map((pr) => (pr.bias && plan.needs[pr.bias.id] ? plan.gradAccess.get(pr.bias.id) : undefined));
      const sums = biases.some((bg) => bg) && res?.has(nVs + k)
        ? scatterAddRows(pointwiseWasm(), null, TB, N, dX(), 0, 1, (all) => Float64Array.from(all)) : null;
      prs.forEach((pr, m) => {
        const bg = biases[m];
        if (!bg) return;
        const db = fresh(dtype, pr.N);
        db.set(sums ? sums.subarray(g.cols[m]!, g.cols[m]! + pr.N) : sumRows(dX(), TB, pr.N, g.cols[m]!, N));
        addDirect(bg.slot, db);
      });
    });
    const grads: (NdArray | undefined)[] = new Array(nX + nP + nS + (plan.projections.length ? 1 : 0));
    if (dx) grads[nX + nP + nS] = wrap(dx, shapes[nX + nP + nS]!);
    plan.gradSlots.forEach((s, k) => {
      if (s.role === 'gradInput') grads[s.index] = wrap(res?.has(nVs + k) ? copyOf(G[k]!) : G[k]!, shapes[s.index]!);
      if (s.role === 'gradAcc') {
        const d = direct.get(k);
        let out = d;
        if (s.accumulates) {
          out = fresh(dtype, s.size);
          if (perStepAcc.includes(k)) {
            // The same float64 sums in row order, by the fused ops' row kernel when it can run here.
            const rowsAt = T * accRows(B);
            rebind();
            out.set(scatterAddRows(pointwiseWasm(), null, rowsAt, s.size, G[k]!, 0, 1, (all) => Float64Array.from(all)) ?? sumRows(G[k]!, rowsAt, s.size));
          } else out.set(G[k]!);
          if (d) for (let i = 0; i < d.length; i++) out[i] += d[i]!;
        }
        grads[nX + s.index] = wrap(out ?? fresh(dtype, s.size), shapes[nX + s.index]!);
      }
    });
    p.stateIn.forEach((_, f) => { grads[nX + nP + f] = wrap(copyOf(carry[f]!), shapes[nX + nP + f]!); });
    release(...pooled);
    res?.close();
    args?.free();
    return grads.map((g, i) => (g === undefined || !needs[i] ? undefined : () => g));
  },
});

/**
 * Runs a compiled step over a sequence. inputs: the hoisted per-step values [T·B, n] (time-major
 * rows), the parameter-only values, the initial state tensors, then (when the plan has input
 * projections) x as [T·B, I]. Returns the outputs [T, B, outputSize] (time order) and the final state.
 */
export function runCompiled(compiled: Compiled, T: number, inputs: readonly Tensor[], reverse: boolean, lengths: Int32Array | null,
  record: boolean): Tensor[] {
  return compiledSequenceOp.applyMulti(inputs, { compiled, T, reverse, lengths, record });
}
