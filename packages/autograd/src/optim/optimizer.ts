// Optimizer: the base of every optimizer — param groups, per-parameter state, zeroGrad and state dicts.
import * as K from '@unroll/core';
import type { FloatArray, NdArray, Nested, TypedArray } from '@unroll/core';
import { Tensor } from '../tensor.js';
import { StateDictError, type StateValue } from '../nn/module.js';
import { checkKeys, checkOptionsObject, describe } from './options.js';

/** A param group as passed to an optimizer: its parameters plus options that override the optimizer's. */
export type ParamGroupInput<O> = O & { params: Tensor | Iterable<Tensor> };

/** What an optimizer takes: parameters (e.g. `model.parameters()`) or PyTorch-style param groups. */
export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A live param group: its parameters and every hyperparameter resolved. Schedulers (and you) may change `lr`. */
export type ParamGroup<H> = H & { params: Tensor[] };

/**
 * An optimizer's state dict: plain objects, numbers and Tensors (copies, so a saved state does
 * not change as training goes on). `state` is keyed by parameter index — the position of the
 * parameter when the param groups' lists are laid end to end — and holds that parameter's step
 * count, scalars and buffers under PyTorch's names (`exp_avg`, `mu_product`, …); parameters that never
 * had a gradient have no entry. `paramGroups` holds every group's hyperparameters and the indices
 * of its parameters.
 */
export interface OptimizerStateDict<H = Record<string, unknown>> {
  state: Record<string, Record<string, Tensor | number>>;
  paramGroups: (H & { params: number[] })[];
}

/** What `loadStateDict` accepts: an `OptimizerStateDict`, also after buffers became ndarrays or nested arrays (JSON). */
export interface OptimizerStateDictInput {
  state: Record<string, Record<string, StateValue>>;
  paramGroups: readonly ({ params: readonly number[] } & Record<string, unknown>)[];
}

/** Per-parameter state as an optimizer holds it: step counts, scalars (`scalarState`) and buffers the parameter's size. */
export type StateRecord = Record<string, number | FloatArray | undefined>;

/** What a subclass tells the base: its name, its defaults (undefined = required, like SGD's lr) and its checks. */
export interface OptimizerSpec<H> {
  name: string;
  defaults: { [Key in keyof H]: H[Key] | undefined };
  validate(hyper: H, where: string): void;
  /** Numeric state entries that are real numbers, not step counts (NAdam's `mu_product`); the rest are counts. */
  scalarState?: readonly string[];
}

/**
 * The base of every optimizer. It owns the param groups and the per-parameter state; a subclass
 * writes `initState` (the buffers one parameter needs) and `update` (its rule, one plain loop over
 * the parameter's storage, in place). Parameters whose `grad` is null are skipped by `step()`.
 */
export abstract class Optimizer<H extends { lr: number } = { lr: number }, S extends object = StateRecord> {
  /** The param groups, in order. Each holds its parameters and every hyperparameter; `lr` may be changed. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created at a parameter's first step with a gradient. */
  protected readonly state = new Map<Tensor, S>();
  private readonly spec: OptimizerSpec<H>;
  private readonly defaults: { [Key in keyof H]: H[Key] | undefined };

  protected constructor(spec: OptimizerSpec<H>, params: ParamsInput<Partial<H>>, options: Partial<H> | undefined) {
    this.spec = spec;
    const opts = checkOptionsObject(spec.name, options) as Record<string, unknown>;
    checkKeys(spec.name, opts, this.optionKeys());
    const defaults = { ...spec.defaults } as Record<string, unknown>;
    for (const key of this.optionKeys()) if (opts[key] !== undefined) defaults[key] = copyValue(opts[key]);
    this.defaults = defaults as { [Key in keyof H]: H[Key] | undefined };
    // Checked here too (as PyTorch does), so a bad option is refused even when every group overrides it.
    if (Object.values(defaults).every((v) => v !== undefined)) spec.validate(defaults as H, spec.name);

    const items = toArray(spec.name, params, 'params must be an iterable of Tensors (e.g. model.parameters()) or of param groups');
    if (items.length === 0) throw new Error(`${spec.name}: got an empty parameter list`);
    if (items.every((x) => x instanceof Tensor)) {
      this.addGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<Partial<H>>, spec.name);
    } else if (items.every(isGroupObject)) {
      for (const g of items) this.addParamGroup(g as ParamGroupInput<Partial<H>>);
    } else {
      const bad = items.find((x) => !(x instanceof Tensor) && !isGroupObject(x));
      throw new TypeError(`${spec.name}: params must be all Tensors or all param groups ({ params, ...options }); got ${bad === undefined ? 'a mix of both' : describe(bad)}`);
    }
  }

  /** The optimizer's class name, used in messages. */
  get name(): string {
    return this.spec.name;
  }

  /** Adds a param group (as in the constructor); options it leaves out take the optimizer's. */
  addParamGroup(group: ParamGroupInput<Partial<H>>): void {
    this.addGroup(group, `${this.name}: param group ${this.paramGroups.length}`);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const groups = this.paramGroups;
    let index = 0;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi]!;
      const params = group.params;
      for (let i = 0; i < params.length; i++, index++) {
        const p = params[i]!;
        const grad = p.grad;
        if (grad === null) continue;
        const data = this.paramStorage(p, index);
        const g = this.gradValues(p, grad, index);
        let s = this.state.get(p);
        const fresh = s === undefined;
        if (s === undefined) {
          s = this.initState(data, group);
          this.state.set(p, s);
        }
        this.update(data, g, s, group, fresh);
        p.bumpVersion(); // the values changed in place: a graph that saved them can no longer go backward
      }
    }
  }

  /**
   * Clears the gradients. By default sets them to null (as `Module.zeroGrad` and PyTorch ≥ 2.0 do),
   * so a parameter that gets no gradient next time is skipped; `setToNone: false` fills them with
   * zeros in place instead (PyTorch 1.13's default), and such a parameter is then updated.
   */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    checkKeys(`${this.name}.zeroGrad`, opts, ['setToNone']);
    const setToNone = opts.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else if (isDense(p.grad.data)) p.grad.data.data.fill(0);
        else p.grad = new Tensor(K.zeros(p.grad.shape, { dtype: p.grad.dtype }));
      }
    }
  }

  /** The state as plain objects, numbers and Tensor copies; see `OptimizerStateDict`. */
  stateDict(): OptimizerStateDict<H> {
    const state: Record<string, Record<string, Tensor | number>> = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p) as StateRecord | undefined;
        if (s) {
          const entry: Record<string, Tensor | number> = {};
          for (const [key, v] of Object.entries(s)) {
            if (v === undefined) continue;
            entry[key] = typeof v === 'number' ? v : new Tensor(K.fromData(v.slice(), [...p.shape]));
          }
          state[String(index)] = entry;
        }
        ids.push(index++);
      }
      const hyper: Record<string, unknown> = {};
      for (const key of this.optionKeys()) hyper[key] = copyValue((group as Record<string, unknown>)[key]);
      return { ...hyper, params: ids } as H & { params: number[] };
    });
    return { state, paramGroups };
  }

  /**
   * Restores hyperparameters and per-parameter state from `stateDict()`, copying every buffer
   * into the parameter's dtype. Parameters are matched by position, so the optimizer must be built
   * over the same parameters in the same order. Refuses, changing nothing, when the groups,
   * hyperparameters, state keys or buffer shapes do not fit.
   */
  loadStateDict(stateDict: OptimizerStateDict<H> | OptimizerStateDictInput): void {
    const where = `${this.name}.loadStateDict`;
    const fail = (msg: string): never => {
      throw new StateDictError(`${where} refused (nothing was changed): ${msg}`);
    };
    const sd = stateDict as OptimizerStateDictInput;
    if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object' || sd.state === null) {
      return fail(`expected { state, paramGroups }; got ${describe(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      fail(`the state dict has ${sd.paramGroups.length} param groups; this optimizer has ${this.paramGroups.length}`);
    }
    const keys = this.optionKeys();
    const hypers: H[] = [];
    const byId = new Map<string, { p: Tensor; group: number }>();
    sd.paramGroups.forEach((saved, gi) => {
      const own = this.paramGroups[gi]!;
      if (typeof saved !== 'object' || saved === null) fail(`param group ${gi} must be an object; got ${describe(saved)}`);
      if (!Array.isArray(saved.params) || saved.params.length !== own.params.length) {
        fail(`param group ${gi} lists ${Array.isArray(saved.params) ? saved.params.length : describe(saved.params)} parameters; this optimizer's lists ${own.params.length}`);
      }
      saved.params.forEach((id: number, j: number) => {
        if (!Number.isInteger(id) || byId.has(String(id))) fail(`param group ${gi}: parameter index ${describe(id)} is not a unique integer`);
        byId.set(String(id), { p: own.params[j]!, group: gi });
      });
      const missing = keys.filter((k) => !(k in saved));
      const unexpected = Object.keys(saved).filter((k) => k !== 'params' && !keys.includes(k));
      if (missing.length) fail(`param group ${gi} is missing ${missing.join(', ')}`);
      if (unexpected.length) fail(`param group ${gi} has unknown options ${unexpected.join(', ')}`);
      const hyper: Record<string, unknown> = {};
      for (const k of keys) hyper[k] = copyValue(saved[k]);
      try {
        this.spec.validate(hyper as H, `param group ${gi}`);
      } catch (e) {
        fail((e as Error).message);
      }
      hypers.push(hyper as H);
    });

    const state = new Map<Tensor, S>();
    for (const [id, entry] of Object.entries(sd.state)) {
      const target = byId.get(id);
      if (!target) return fail(`state for parameter ${id}, which no param group lists`);
      const { p, group } = target;
      if (typeof entry !== 'object' || entry === null) return fail(`state of parameter ${id} must be an object; got ${describe(entry)}`);
      // The template fixes which keys this optimizer, with these hyperparameters, keeps.
      const s = this.initState(p.data.data as FloatArray, hypers[group]!) as StateRecord;
      const expected = Object.keys(s).filter((k) => s[k] !== undefined);
      const unexpected = Object.keys(entry).filter((k) => !expected.includes(k));
      const missing = expected.filter((k) => !(k in entry));
      if (unexpected.length || missing.length) {
        fail(`state of parameter ${id} must hold ${expected.join(', ') || 'nothing'}; got ${Object.keys(entry).join(', ') || 'nothing'}`);
      }
      for (const key of expected) {
        const value = entry[key]!;
        const slot = s[key]!;
        if (typeof slot === 'number') {
          const n = value instanceof Tensor && value.size === 1 ? value.item() : value;
          if (this.spec.scalarState?.includes(key)) {
            if (typeof n !== 'number' || !Number.isFinite(n)) fail(`state of parameter ${id}: '${key}' must be a finite number; got ${describe(n)}`);
          } else if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
            fail(`state of parameter ${id}: '${key}' must be a count; got ${describe(n)}`);
          }
          s[key] = n as number;
        } else {
          const nd = toNdArray(value, p.dtype === 'float64' ? 'float64' : 'float32');
          if (!K.sameShape(nd.shape, p.shape)) fail(`state of parameter ${id}: '${key}' must be ${K.fmt(p.shape)}; got ${K.fmt(nd.shape)}`);
          slot.set(K.contiguous(nd));
        }
      }
      state.set(p, s as S);
    }

    hypers.forEach((h, gi) => Object.assign(this.paramGroups[gi]!, h));
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }

  /** Fresh state for one parameter (zeros, or the optimizer's initial values), sized like `param`. */
  protected abstract initState(param: FloatArray, group: H): S;

  /**
   * The update rule for one parameter: reads `grad`, updates `state` and writes `param` in place.
   * `fresh` is true at the parameter's first step (its state was just made by `initState`).
   */
  protected abstract update(param: FloatArray, grad: TypedArray, state: S, group: H, fresh: boolean): void;

  private optionKeys(): string[] {
    return Object.keys(this.spec.defaults);
  }

  private addGroup(input: ParamGroupInput<Partial<H>>, where: string): void {
    if (!isGroupObject(input)) throw new TypeError(`${where}: a param group must be { params, ...options }; got ${describe(input)}`);
    checkKeys(where, input, ['params', ...this.optionKeys()]);
    const list = input.params instanceof Tensor ? [input.params] : toArray(where, input.params, 'params must be a Tensor or an iterable of Tensors');
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    const params: Tensor[] = [];
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: params[${i}] must be a Tensor; got ${describe(p)}`);
      if (!p.isLeaf) throw new Error(`${where}: params[${i}] is not a leaf tensor (it was computed by '${p.node!.op}'); optimize the leaves (Parameters)`);
      if (p.dtype === 'int32') throw new K.DTypeError(`${where}: params[${i}] must be float32 or float64; got int32`);
      if (seen.has(p)) throw new Error(`${where}: params[${i}] appears more than once among the optimizer's parameters`);
      seen.add(p);
      params.push(p);
    });
    const hyper: Record<string, unknown> = {};
    for (const key of this.optionKeys()) {
      const own = (input as Record<string, unknown>)[key];
      hyper[key] = own !== undefined ? copyValue(own) : copyValue(this.defaults[key as keyof H]);
      if (hyper[key] === undefined) throw new TypeError(`${where}: ${key} is required (give it in the options or in every param group)`);
    }
    this.spec.validate(hyper as H, where);
    this.paramGroups.push({ ...(hyper as H), params });
  }

  private paramStorage(p: Tensor, index: number): FloatArray {
    const a = p.data;
    // NOTE: updates walk the storage in order, so it must be exactly the parameter's elements, row-major.
    if (!isDense(a) || a.data instanceof Int32Array) {
      throw new Error(`${this.name}.step: parameter ${index} ${K.fmt(p.shape)} must own dense float storage (a Parameter does); got a ${K.dtypeOf(a.data)} view`);
    }
    return a.data;
  }

  private gradValues(p: Tensor, grad: Tensor, index: number): TypedArray {
    if (!K.sameShape(grad.shape, p.shape)) {
      throw new K.ShapeError(`${this.name}.step: the gradient of parameter ${index} must be ${K.fmt(p.shape)}; got ${K.fmt(grad.shape)}`);
    }
    return isDense(grad.data) ? grad.data.data : K.contiguous(grad.data);
  }
}

/** A zero-filled buffer of `param`'s dtype and size. */
export function bufferLike(param: FloatArray): FloatArray {
  return param instanceof Float64Array ? new Float64Array(param.length) : new Float32Array(param.length);
}

/** True when `a` is exactly its storage, row-major (checked without allocating: this runs every step). */
function isDense(a: NdArray): boolean {
  if (a.offset !== 0 || a.data.length !== a.size) return false;
  let expected = 1;
  for (let d = a.shape.length - 1; d >= 0; d--) {
    const n = a.shape[d]!;
    if (n > 1 && a.stride[d] !== expected) return false;
    expected *= n;
  }
  return true;
}

function isGroupObject(x: unknown): x is { params: unknown } {
  return typeof x === 'object' && x !== null && !(x instanceof Tensor) && !Array.isArray(x) && 'params' in x;
}

function toArray(where: string, value: unknown, what: string): unknown[] {
  if (value instanceof Tensor) throw new TypeError(`${where}: ${what}; got a single Tensor (wrap it: [t])`);
  if (value === null || typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${where}: ${what}; got ${describe(value)}`);
  }
  return [...(value as Iterable<unknown>)];
}

function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}

function toNdArray(value: StateValue, dtype: 'float32' | 'float64'): NdArray {
  if (value instanceof Tensor) return value.data;
  if (typeof value === 'object' && value !== null && 'stride' in value) return value as NdArray;
  return K.fromNested(value as Nested, { dtype });
}
