// Checkpoints: a model's state dict, an optimizer's state and the caller's own data in one safetensors file.
// Tensors become entries (`model.<name>`, `optimizer.<path>`, `extra.<path>`); the rest is JSON in `__metadata__`.
import type { LoadStateDictOptions, LoadStateDictResult, Module } from '../nn/module.js';
import type { OptimizerStateDictInput } from '../optim/optimizer.js';
import { optionKeys } from '@unroll/core';
import { Tensor } from '../tensor.js';
import { CheckpointError, describe } from './errors.js';
import { decodeSafetensors, defineEntry, encodeSafetensors } from './safetensors.js';

/** The checkpoint layout version written here; a file with a newer version is refused, not misread. */
export const CHECKPOINT_VERSION = 1;
/** The `__metadata__` key holding unroll's JSON: `{ version, optimizer?, extra? }` with tensors replaced by references. */
export const CHECKPOINT_METADATA_KEY = 'unroll';

/** A value read back from a checkpoint's optimizer state or extra data: JSON values and Tensors. */
export type CheckpointValue =
  | Tensor | number | string | boolean | null | CheckpointValue[] | { [key: string]: CheckpointValue };

/** What a checkpoint holds. Every part is optional. */
export interface CheckpointContents {
  /** A module (its `stateDict()` is stored) or a state dict. Stored as `model.<name>`. */
  model?: Module | Record<string, Tensor>;
  /**
   * An optimizer's `stateDict()` (or the optimizer: an object with a `stateDict()` method is asked for it):
   * `{ state, paramGroups }`, checked on write and on read so the read value goes straight into
   * `optimizer.loadStateDict`. Anything else belongs in `extra`.
   * Plain objects, arrays, strings, numbers (NaN and ±Infinity too), booleans, null and Tensors; the
   * Tensors are stored as `optimizer.<path>` (`optimizer.state.0.exp_avg`), the rest as JSON.
   * Object properties that are `undefined` are left out, as JSON does.
   */
  optimizer?: unknown;
  /** Anything else worth keeping (epoch, seed, loss history), with the same rules; tensors go to `extra.<path>`. */
  extra?: unknown;
  /** More `__metadata__` strings, visible to every safetensors reader. The key `unroll` is reserved. */
  metadata?: Record<string, string>;
}

/** A checkpoint read back. `optimizer` and `extra` are undefined when the file has none. */
export interface Checkpoint {
  /** The model state dict, by the names `Module.stateDict()` gave (without the `model.` prefix). */
  model: Record<string, Tensor>;
  /** The optimizer's state dict, ready for `optimizer.loadStateDict(checkpoint.optimizer)`. */
  optimizer: OptimizerStateDictInput | undefined;
  extra: CheckpointValue | undefined;
  /** The file's other `__metadata__` strings (without unroll's own key). */
  metadata: Record<string, string>;
}

/** `readCheckpoint`'s result plus what `Module.loadStateDict` reported. */
export interface LoadCheckpointResult extends Checkpoint, LoadStateDictResult {}

/**
 * How deeply optimizer state and extra data may nest (an optimizer's state is 4 levels). Deeper data
 * is refused on write and on read: a crafted file must not overflow the stack of the recursive walk.
 */
export const MAX_CHECKPOINT_NESTING = 100;

const CONTENTS_KEYS = optionKeys<CheckpointContents>({ model: true, optimizer: true, extra: true, metadata: true });

// Placeholders inside the JSON for what JSON cannot hold; objects using these keys are refused on write.
const TENSOR_REF = '__tensor__';
const NUMBER_REF = '__number__';

/**
 * A checkpoint as safetensors bytes: model tensors as `model.<name>`, optimizer and extra tensors by
 * their path, and `{ version, optimizer, extra }` (tensors replaced by references) as JSON in the
 * `__metadata__` key `unroll`. Any safetensors reader sees the tensors.
 */
export function checkpointBytes(contents: CheckpointContents): Uint8Array {
  const { tensors, metadata } = checkpointEntries(contents, 'checkpointBytes');
  return encodeSafetensors(tensors, metadata);
}

/**
 * The safetensors entries and `__metadata__` of a checkpoint, before encoding (what `checkpointBytes`
 * encodes; file writers stream them instead). `where` starts error messages.
 */
export function checkpointEntries(contents: CheckpointContents, where: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (typeof contents !== 'object' || contents === null || Array.isArray(contents)) {
    throw new CheckpointError(`${where}: expected { model?, optimizer?, extra?, metadata? }; got ${describe(contents)}`);
  }
  // saveCheckpoint(path, model) instead of (path, { model }) would otherwise write an empty checkpoint.
  if (contents instanceof Tensor || typeof (contents as { stateDict?: unknown }).stateDict === 'function') {
    throw new CheckpointError(`${where}: expected { model?, optimizer?, extra?, metadata? }; got ${describe(contents)} (wrap it: { model } or { optimizer })`);
  }
  const unknown = Object.keys(contents).filter((k) => !CONTENTS_KEYS.includes(k));
  if (unknown.length) {
    throw new CheckpointError(`${where}: unknown part(s) ${unknown.map((k) => `'${k}'`).join(', ')}; a checkpoint holds ${CONTENTS_KEYS.join(', ')} (put anything else under extra)`);
  }
  const tensors = new Map<string, Tensor>();
  if (contents.model !== undefined) {
    const state = stateOf(contents.model);
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new CheckpointError(`${where}: model must be a Module or a record of name → Tensor; got ${describe(state)}`);
    }
    for (const [name, t] of Object.entries(state)) {
      if (!(t instanceof Tensor)) throw new CheckpointError(`${where}: model state '${name}' must be a Tensor; got ${describe(t)}`);
      tensors.set(`model.${name}`, t);
    }
  }
  const info: Record<string, unknown> = { version: CHECKPOINT_VERSION };
  for (const part of ['optimizer', 'extra'] as const) {
    const value = part === 'optimizer' ? stateOf(contents.optimizer) : contents[part];
    if (value !== undefined) info[part] = lower(value, part, { where, tensors, ancestors: new Set() });
    if (part === 'optimizer' && value !== undefined) checkOptimizerState(value, where);
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(contents.metadata ?? {})) {
    if (key === CHECKPOINT_METADATA_KEY) throw new CheckpointError(`${where}: metadata key '${key}' is reserved for unroll's own record`);
    defineEntry(metadata, key, value);
  }
  metadata[CHECKPOINT_METADATA_KEY] = JSON.stringify(info);
  const record: Record<string, Tensor> = {};
  for (const [name, t] of tensors) defineEntry(record, name, t);
  return { tensors: record, metadata };
}

/**
 * Reads checkpoint bytes. A safetensors file written by another tool (no `unroll` metadata) reads as a
 * model state dict under its own names, so PyTorch weights load with `loadCheckpointInto`.
 */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  const where = 'readCheckpoint';
  const decoded = decodeSafetensors(bytes);
  const raw = decoded.metadata[CHECKPOINT_METADATA_KEY];
  if (raw === undefined) return { model: decoded.tensors, optimizer: undefined, extra: undefined, metadata: decoded.metadata };

  let info: unknown;
  try {
    info = JSON.parse(raw);
  } catch (err) {
    throw new CheckpointError(`${where}: __metadata__ '${CHECKPOINT_METADATA_KEY}' is not valid JSON (${(err as Error).message})`);
  }
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new CheckpointError(`${where}: __metadata__ '${CHECKPOINT_METADATA_KEY}' must be a JSON object; got ${describe(info)}`);
  }
  const { version } = info as { version?: unknown };
  if (!Number.isInteger(version) || (version as number) < 1) {
    throw new CheckpointError(`${where}: __metadata__ '${CHECKPOINT_METADATA_KEY}' has no valid version (got ${describe(version)})`);
  }
  if ((version as number) > CHECKPOINT_VERSION) {
    throw new CheckpointError(`${where}: the file is checkpoint version ${version}, written by a newer unroll; this one reads up to version ${CHECKPOINT_VERSION}`);
  }

  const model: Record<string, Tensor> = {};
  const others = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(decoded.tensors)) {
    if (name.startsWith('model.')) defineEntry(model, name.slice('model.'.length), t);
    else others.set(name, t);
  }
  const used = new Set<string>();
  const ctx = { where, tensors: others, used };
  const parts = info as { optimizer?: unknown; extra?: unknown };
  const optimizer = parts.optimizer === undefined ? undefined : checkOptimizerState(raise(parts.optimizer, 'optimizer', ctx), where);
  const extra = parts.extra === undefined ? undefined : raise(parts.extra, 'extra', ctx);
  for (const name of others.keys()) {
    if (!used.has(name)) {
      throw new CheckpointError(`${where}: tensor '${name}' is neither a model tensor (model.*) nor referenced by the optimizer or extra data`);
    }
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(decoded.metadata)) if (key !== CHECKPOINT_METADATA_KEY) defineEntry(metadata, key, value);
  return { model, optimizer, extra, metadata };
}

/**
 * Reads a checkpoint and loads its model state into `model` with `Module.loadStateDict` (which converts
 * float64 ↔ float32 and refuses, changing nothing, on a shape mismatch or, when strict, on missing or
 * unexpected keys). Returns the checkpoint too, so the caller can restore the optimizer from it.
 */
export function loadCheckpointInto(model: Module, bytes: Uint8Array, opts: LoadStateDictOptions = {}): LoadCheckpointResult {
  if (typeof (model as { loadStateDict?: unknown } | null)?.loadStateDict !== 'function') {
    throw new CheckpointError(`loadCheckpointInto: model must be a Module; got ${describe(model)} (the arguments are (model, bytes, opts?))`);
  }
  const checkpoint = readCheckpoint(bytes);
  const result = model.loadStateDict(checkpoint.model, { strict: opts.strict ?? true });
  return { ...checkpoint, ...result };
}

interface LowerContext {
  where: string;
  tensors: Map<string, Tensor>;
  ancestors: Set<object>;
}

/** A module's or optimizer's state when it has a `stateDict()` method, else the value itself. */
function stateOf(value: unknown): unknown {
  const candidate = value as { stateDict?: unknown } | null | undefined;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.stateDict === 'function'
    ? (candidate.stateDict as () => unknown)()
    : value;
}

/** Value → JSON, moving each Tensor into `ctx.tensors` under its path and leaving a reference. */
function lower(value: unknown, path: string, ctx: LowerContext): unknown {
  if (ctx.ancestors.size > MAX_CHECKPOINT_NESTING) throw tooDeep(ctx.where, path);
  if (value instanceof Tensor) {
    if (ctx.tensors.has(path)) {
      throw new CheckpointError(`${ctx.where}: two tensors would both be stored as '${path}' (a key containing '.' reads like nesting); rename one`);
    }
    ctx.tensors.set(path, value);
    return { [TENSOR_REF]: path };
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    // NOTE: JSON.stringify would turn NaN and ±Infinity into null; keep them (e.g. a best loss of Infinity).
    case 'number':
      return Number.isFinite(value) ? value : { [NUMBER_REF]: String(value) };
    case 'object':
      break;
    default:
      throw unsupported(value, path, ctx.where);
  }
  if (value === null) return null;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) throw unsupported(value, path, ctx.where);
  if (ctx.ancestors.has(value)) throw new CheckpointError(`${ctx.where}: ${path} refers back to one of its own containers (a cycle)`);
  ctx.ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item, i) => {
      if (item === undefined) throw new CheckpointError(`${ctx.where}: ${path}.${i} is undefined; an array in a checkpoint cannot hold undefined`);
      return lower(item, `${path}.${i}`, ctx);
    });
  } else {
    const obj: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === TENSOR_REF || key === NUMBER_REF) throw new CheckpointError(`${ctx.where}: ${path} uses the key '${key}', which the checkpoint format reserves`);
      if (item !== undefined) defineEntry(obj, key, lower(item, `${path}.${key}`, ctx));
    }
    out = obj;
  }
  ctx.ancestors.delete(value);
  return out;
}

/**
 * The optimizer part's outline: `{ state: { [index]: { ...buffers } }, paramGroups: [{ params: [ints], ... }] }`.
 * The values themselves are checked by the optimizer's loadStateDict (dtype, shape, which parameter).
 */
function checkOptimizerState(value: unknown, where: string): OptimizerStateDictInput {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
  const fail = (what: string): never => {
    throw new CheckpointError(`${where}: optimizer must be an optimizer's state dict { state, paramGroups }; ${what} (store other data under extra)`);
  };
  if (!isObject(value)) return fail(`got ${describe(value)}`);
  const { state, paramGroups } = value;
  if (!isObject(state)) fail(`its state is ${describe(state)}`);
  for (const [key, entry] of Object.entries(state as object)) if (!isObject(entry)) fail(`state.${key} is ${describe(entry)}`);
  if (!Array.isArray(paramGroups)) return fail(`its paramGroups is ${describe(paramGroups)}`);
  paramGroups.forEach((group, i) => {
    if (!isObject(group) || !Array.isArray(group.params) || !group.params.every((p) => Number.isInteger(p))) {
      fail(`paramGroups.${i} must be an object whose params is a list of parameter indices`);
    }
  });
  return value as unknown as OptimizerStateDictInput;
}

function unsupported(value: unknown, path: string, where: string): CheckpointError {
  return new CheckpointError(
    `${where}: ${path} is ${describe(value)}; a checkpoint holds Tensors, numbers, strings, booleans, null, arrays and plain objects`);
}

/** JSON → value, replacing references with the file's tensors (each must exist) and non-finite numbers. */
function raise(value: unknown, path: string, ctx: { where: string; tensors: Map<string, Tensor>; used: Set<string> }, depth = 0): CheckpointValue {
  if (typeof value !== 'object' || value === null) return value as CheckpointValue;
  if (depth >= MAX_CHECKPOINT_NESTING) throw tooDeep(ctx.where, path);
  if (Array.isArray(value)) return value.map((item, i) => raise(item, `${path}.${i}`, ctx, depth + 1));
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === TENSOR_REF) {
    const name = record[TENSOR_REF];
    const t = typeof name === 'string' ? ctx.tensors.get(name) : undefined;
    if (!t) throw new CheckpointError(`${ctx.where}: ${path} refers to tensor ${typeof name === 'string' ? JSON.stringify(name) : describe(name)}, which the file does not contain`);
    ctx.used.add(name as string);
    return t;
  }
  if (keys.length === 1 && keys[0] === NUMBER_REF) {
    const text = record[NUMBER_REF];
    if (text === 'NaN') return NaN;
    if (text === 'Infinity') return Infinity;
    if (text === '-Infinity') return -Infinity;
    throw new CheckpointError(`${ctx.where}: ${path} holds the number ${typeof text === 'string' ? JSON.stringify(text) : describe(text)}; expected "NaN", "Infinity" or "-Infinity"`);
  }
  const out: { [key: string]: CheckpointValue } = {};
  for (const key of keys) defineEntry(out, key, raise(record[key], `${path}.${key}`, ctx, depth + 1));
  return out;
}

function tooDeep(where: string, path: string): CheckpointError {
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  return new CheckpointError(`${where}: ${shown} nests more than ${MAX_CHECKPOINT_NESTING} levels deep (the limit for optimizer and extra data)`);
}
