// Module: the container of parameters, buffers and child modules, with state dicts.
import * as K from '@unroll/core';
import type { DType, NdArray, Nested } from '@unroll/core';
import { Tensor } from '../tensor.js';
import { checkKeys, checkOptionsObject, optionKeys } from '../optim/options.js';
import { Parameter } from './parameter.js';
import { defaultExtraRepr, formatModule } from './print.js';

/** A state-dict value: a Tensor, an ndarray or nested number arrays. */
export type StateValue = Tensor | NdArray | Nested;

export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true). Shape mismatches are always refused. */
  strict?: boolean;
}
// Every key of LoadStateDictOptions (the compiler checks the list is complete); others are refused.
const LOAD_STATE_DICT_OPTIONS = optionKeys<LoadStateDictOptions>({ strict: true });
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** One tensor whose shape disagrees with the module's. */
export interface ShapeMismatch {
  key: string;
  expected: number[];
  got: number[];
}

/**
 * Thrown when a state dict does not fit a module; nothing was changed. Besides the message, the
 * problems are kept as data (empty when the error is about something else), so a program can
 * report them its own way.
 */
export class StateDictError extends Error {
  override name = 'StateDictError';
  missingKeys: string[] = [];
  unexpectedKeys: string[] = [];
  mismatched: ShapeMismatch[] = [];
}

/**
 * The base of every layer and model. A subclass registers what it owns in its constructor:
 * `this.weight = this.registerParameter('weight', new Parameter(...))`, child modules with
 * `registerModule`, non-trainable state with `registerBuffer`. Names join with dots
 * (`encoder.cell.weight_ih`), in registration order, as in PyTorch.
 */
export class Module {
  /** True in training mode (dropout active); see train() / eval(). */
  training = true;
  private readonly ownParameters = new Map<string, Parameter | null>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  registerParameter<P extends Parameter | null>(name: string, p: P): P {
    this.checkName(name);
    this.ownParameters.set(name, p);
    return p;
  }
  registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    this.ownBuffers.set(name, t);
    return t;
  }
  registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children.set(name, m);
    return m;
  }

  /** Every parameter as `[dottedName, Parameter]` pairs (an array, registration order, each once). */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    this.walk('', (prefix, m) => {
      for (const [name, p] of m.ownParameters) {
        if (p && !seen.has(p)) {
          seen.add(p);
          out.push([prefix + name, p]);
        }
      }
    });
    return out;
  }
  /** The live parameters (what an optimizer takes). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }
  /** Every buffer as `[dottedName, Tensor]` pairs. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    this.walk('', (prefix, m) => { for (const [name, t] of m.ownBuffers) out.push([prefix + name, t]); });
    return out;
  }
  /** Direct and indirect children as `[dottedName, Module]` pairs (this module first, as ''). */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    this.walk('', (prefix, m) => out.push([prefix.replace(/\.$/, ''), m]));
    return out;
  }
  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Training mode (dropout on); returns this. */
  train(mode = true): this {
    this.walk('', (_, m) => { m.training = mode; });
    return this;
  }
  /** Evaluation mode (dropout off); returns this. */
  eval(): this {
    return this.train(false);
  }
  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Converts every parameter and float buffer to `dtype` in place; returns this. */
  to(dtype: DType): this {
    if (dtype === 'int32') throw new K.DTypeError('Module.to: parameters must be float32 or float64');
    this.walk('', (_, m) => {
      for (const p of m.ownParameters.values()) if (p && p.dtype !== dtype) { p.data = K.cast(p.data, dtype); p.grad = null; }
      for (const t of m.ownBuffers.values()) if (t.dtype !== 'int32' && t.dtype !== dtype) t.data = K.cast(t.data, dtype);
    });
    return this;
  }

  /**
   * name → a copy of the current value of every parameter and buffer (copies, so a saved
   * state dict does not change as training goes on).
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) out[name] = new Tensor(K.clone(t.data));
    return out;
  }

  /**
   * Copies values into the parameters and buffers by name, converting dtype. Refuses, changing
   * nothing, when a shape disagrees or (strict, the default) a key is missing or unexpected;
   * the error lists all of them.
   */
  loadStateDict(stateDict: Record<string, StateValue> | Map<string, StateValue>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const where = `${this.constructor.name}.loadStateDict`;
    if (!(stateDict instanceof Map) && (typeof stateDict !== 'object' || stateDict === null || Array.isArray(stateDict) || stateDict instanceof Tensor)) {
      throw new StateDictError(`${where}: stateDict must be a record or a Map of name → value; got ${describeValue(stateDict)}`);
    }
    checkKeys(where, checkOptionsObject(where, opts), LOAD_STATE_DICT_OPTIONS);
    const strict = opts.strict ?? true;
    const entries = stateDict instanceof Map ? new Map(stateDict) : new Map(Object.entries(stateDict));
    const targets = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    const missingKeys = [...targets.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !targets.has(k));
    const mismatched: ShapeMismatch[] = [];
    const values = new Map<string, NdArray>();
    for (const [name, target] of targets) {
      if (!entries.has(name)) continue;
      const value = toNdArray(entries.get(name)!, target.dtype, where, name);
      if (!K.sameShape(value.shape, target.shape)) {
        mismatched.push({ key: name, expected: [...target.shape], got: [...value.shape] });
      }
      values.set(name, value);
    }
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (mismatched.length) problems.push(`shape mismatch: ${mismatched.map((m) => `${m.key}: expected ${K.fmt(m.expected)}, got ${K.fmt(m.got)}`).join('; ')}`);
    const hint = this.stateDictHint(entries, targets);
    if (problems.length) {
      const err = new StateDictError(`${this.constructor.name}.loadStateDict refused (nothing was changed):\n  ${problems.join('\n  ')}${hint ? `\n  ${hint}` : ''}`);
      if (strict) Object.assign(err, { missingKeys, unexpectedKeys });
      err.mismatched = mismatched;
      throw err;
    }
    for (const [name, value] of values) {
      const target = targets.get(name)!;
      (target.data.data as K.TypedArray).set(K.contiguous(value));
      target.bumpVersion(); // changed in place: a graph that saved it can no longer go backward
    }
    return { missingKeys, unexpectedKeys };
  }

  /** A subclass may explain a refused state dict (e.g. a known layout difference); shown in the error. */
  protected stateDictHint(_entries: Map<string, StateValue>, _targets: Map<string, Tensor>): string | null {
    return null;
  }

  /**
   * The settings shown in the module's printed header, `Linear(inFeatures=4, outFeatures=2)`
   * (PyTorch's `extra_repr`). By default every own number, boolean, string or number-array field;
   * override it to show something else.
   */
  extraRepr(): string {
    return defaultExtraRepr(this);
  }
  /** A PyTorch-like tree: each module with its settings, parameter shapes and parameter count. */
  toString(): string {
    return formatModule(this);
  }
  /** What `console.log` and `util.inspect` show in Node (a symbol, so no Node import is needed). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatModule(this);
  }

  private walk(prefix: string, visit: (prefix: string, m: Module) => void): void {
    // Iterative, children in registration order (depth-first preorder).
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length) {
      const [p, m] = stack.pop()!;
      visit(p, m);
      const kids = [...m.children].reverse();
      for (const [name, child] of kids) stack.push([`${p}${name}.`, child]);
    }
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`${this.constructor.name}: name '${name}' must be non-empty and contain no '.'`);
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }
}

/**
 * One state-dict value as an ndarray of `dtype`. Any problem (not numbers, ragged, a value int32
 * cannot hold) is reported with the key, before anything is copied.
 */
function toNdArray(value: StateValue, dtype: DType, where: string, name: string): NdArray {
  const isNdArray = typeof value === 'object' && value !== null && 'stride' in value && 'data' in value;
  if (!(value instanceof Tensor) && !isNdArray && typeof value !== 'number' && !Array.isArray(value)) {
    throw new StateDictError(`${where}: '${name}' must be a Tensor, an ndarray or nested arrays of numbers; got ${describeValue(value)}`);
  }
  try {
    const nd = value instanceof Tensor ? value.data : isNdArray ? (value as NdArray) : K.fromNested(value as Nested, { dtype });
    return K.dtypeOf(nd.data) === dtype ? nd : K.cast(nd, dtype);
  } catch (err) {
    throw new StateDictError(`${where}: '${name}' cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
}

const describeValue = (v: unknown): string =>
  typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
    : v === null || v === undefined ? String(v)
    : typeof v === 'object' ? (v.constructor === Object || !v.constructor ? 'an object' : `a ${v.constructor.name}`) : `${typeof v} ${String(v)}`;
