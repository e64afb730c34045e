// exportOnnx: records a function on example inputs (as torch.onnx.export does) and writes the
// recorded graph as an ONNX model, parameters as initializers named by the module's state-dict keys.
import * as K from '@unroll/core';
import { Module, Tensor } from '@unroll/autograd';
import { ExportState, at } from './context.js';
import { probeInputs, recordingCount, fitPoly } from './dims.js';
import type { Sym } from './dims.js';
import { GraphBuilder } from './graph-builder.js';
import { primitiveConverters } from './convert/primitives.js';
import type { Converter } from './convert/primitives.js';
import { bidirectionalPairs, convertBidirectional, recurrentConverters } from './convert/recurrent.js';
import { elemTypeOf, encodeModel, valueInfo } from './proto.js';
import { record } from './record.js';
import type { Recording } from './record.js';

/** The opsets this exporter writes, and the IR version each needs. */
export const SUPPORTED_OPSETS: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9 };
/** The default opset: the newest with IR version 8, which every onnxruntime since 1.13 (web and mobile too) reads. */
export const DEFAULT_OPSET = 17;

export interface ExportOptions {
  /** Names of the graph inputs, one per example input (default input0, input1, … or 'input' for one). */
  inputNames?: readonly string[];
  /**
   * Names of the graph outputs in the order the function's result is flattened (default: the record's
   * keys joined by '.', e.g. 'state.h'; 'output0', … for an array; 'output' for a single tensor).
   */
  outputNames?: readonly string[];
  /**
   * Axes of the inputs whose size may change at run time, by input name: `{ x: { 0: 'batch', 1: 'time' } }`
   * or `{ x: [0, 1] }` (named `x_0`, `x_1`). Inputs sharing a name share the size. Every op must follow
   * them; the export is refused where the graph fixes one (see the README).
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>> | readonly number[]>>;
  /** ONNX opset, 17–20 (default 17). */
  opset?: number;
  /** The model's doc string. */
  docString?: string;
  /** String key/value pairs stored in the model's metadata_props (a vocabulary, a version). */
  metadata?: Readonly<Record<string, string>>;
  /**
   * The module whose parameters the function reads: initializers are named by its state-dict keys
   * (else `param_0`, …), and it runs in eval mode while exporting (restored afterwards).
   */
  module?: Module;
}

const OPTION_KEYS = ['inputNames', 'outputNames', 'dynamicAxes', 'opset', 'docString', 'metadata', 'module'];

const converters: Record<string, Converter> = { ...primitiveConverters, ...recurrentConverters };

/** What to do instead, for ops known to have no ONNX form. */
const HINTS: Record<string, string> = {
  compiledSequence: 'it is a compiled sequence run outside compileCell\'s cells (exportOnnx steps those as their ops), whose ' +
    'generated kernels ONNX cannot hold: export the cell itself (`compiled.uncompiled`), the same math as primitive ops; ',
};

/** The names of the ops exportOnnx converts (autograd primitives, the fused recurrent ops, the cells' sequences). */
export const exportableOps = (): string[] => Object.keys(converters).sort();

/**
 * Exports `fn` as an ONNX model (the bytes of a ModelProto), like `torch.onnx.export`: `fn` runs once
 * on `exampleInputs` while every op it applies is recorded; tensors it reads that are neither inputs
 * nor made by an op (parameters, constants) become initializers. `fn` returns a Tensor, an array of
 * Tensors or a record of them (nested records give dotted names). Standard LSTM/GRU/RNN layers become
 * ONNX LSTM/GRU/RNN nodes; other cells are exported as their ops, unrolled over the example's time steps.
 *
 * @example
 * const bytes = exportOnnx((x) => lstm.forward(x).output, [x], { module: lstm, dynamicAxes: { input: { 0: 'time', 1: 'batch' } } });
 */
export function exportOnnx(fn: (...inputs: Tensor[]) => unknown, exampleInputs: readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const who = 'exportOnnx';
  if (typeof fn !== 'function') throw new TypeError(`${who}: fn must be a function; got ${typeof fn}`);
  if (!Array.isArray(exampleInputs)) throw new TypeError(`${who}: exampleInputs must be an array of Tensors; got ${typeof exampleInputs}`);
  exampleInputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${who}: exampleInputs[${i}] must be a Tensor; got ${x === null ? 'null' : typeof x}`);
  });
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.includes(k)) throw new TypeError(`${who}: unknown option '${k}' (known: ${OPTION_KEYS.join(', ')})`);
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!(opset in SUPPORTED_OPSETS)) throw new RangeError(`${who}: opset must be one of ${Object.keys(SUPPORTED_OPSETS).join(', ')}; got ${opset}`);
  const inputNames = namesOf(who, 'inputNames', options.inputNames, exampleInputs.length, exampleInputs.length === 1 ? ['input'] : null, 'input');
  const { syms, axesOf } = parseDynamicAxes(who, options.dynamicAxes, inputNames, exampleInputs);
  const metadata = Object.entries(options.metadata ?? {});
  const badMeta = metadata.find(([, v]) => typeof v !== 'string');
  if (badMeta) throw new TypeError(`${who}: metadata values must be strings; '${badMeta[0]}' is ${typeof badMeta[1]}`);
  if (options.module !== undefined && !(options.module instanceof Module)) throw new TypeError(`${who}: module must be a Module; got ${typeof options.module}`);

  // Record (eval mode: dropout off, as torch.onnx.export does by default).
  const module = options.module, wasTraining = module?.training ?? false;
  module?.eval();
  const recordings: Recording[] = [];
  const inputsOf: Tensor[][] = [];
  try {
    for (let r = 0; r < recordingCount(syms.length); r++) {
      const inputs = r === 0 ? [...exampleInputs] : probeInputs(exampleInputs, syms, axesOf, r);
      try {
        recordings.push(record(fn, inputs));
      } catch (err) {
        if (r === 0) throw err;
        const sizes = inputs.map((x, i) => `${inputNames[i]} ${K.fmt(x.shape)}`).join(', ');
        throw new Error(`${who}: fn failed on inputs grown along the dynamic axes (${sizes}): ${(err as Error).message}; ` +
          'the function fixes an axis declared dynamic (declare it on every input that has it, or export with it fixed)', { cause: err });
      }
      inputsOf.push(inputs);
    }
  } finally {
    if (module && wasTraining) module.train();
  }

  const outputsOf = recordings.map((rec) => flattenOutputs(who, rec.result));
  const outputNames = namesOf(who, 'outputNames', options.outputNames, outputsOf[0]!.length, outputsOf[0]!.map(([n]) => n), 'output');
  const clash = outputNames.find((n) => inputNames.includes(n));
  if (clash !== undefined) throw new TypeError(`${who}: '${clash}' names both an input and an output; give outputNames (or inputNames) that differ`);
  const paramNames = new Map<Tensor, string>();
  if (module) for (const [name, t] of [...module.namedParameters(), ...module.namedBuffers()]) if (!paramNames.has(t)) paramNames.set(t, name);

  const b = new GraphBuilder();
  inputNames.forEach((n) => b.reserve(n));
  outputNames.forEach((n) => b.reserve(n));
  // Parameter names are taken up front, so no generated name can take one first.
  for (const name of new Set(paramNames.values())) {
    if (inputNames.includes(name) || outputNames.includes(name)) {
      throw new TypeError(`${who}: '${name}' names an input or output and a parameter of the module; choose other input/output names`);
    }
    b.reserve(name);
  }
  const state = new ExportState(b, opset, syms, recordings, inputsOf, inputNames, paramNames);
  const pairs = bidirectionalPairs(recordings[0]!.ops), partners = new Set(pairs.values());
  recordings[0]!.ops.forEach((op, i) => {
    if (partners.has(i)) return; // converted with its forward direction
    const j = pairs.get(i);
    if (j !== undefined) return state.convertPair(i, j, convertBidirectional);
    // compileCell applies primitives under names of their own ('matmul (hoisted by compileCell)').
    const convert = converters[op.op] ?? converters[op.op.replace(/ \(hoisted by [^)]*\)$/, '')];
    if (!convert) {
      throw new Error(`${who}: op '${op.op}' has no ONNX form ${at(op)}; ${HINTS[op.op] ?? ''}` +
        `exportable ops: ${exportableOps().join(', ')}`);
    }
    state.convertOp(i, convert);
  });

  // Outputs: an Identity from each recorded tensor to its output name.
  outputsOf[0]!.forEach(([path, t], k) => {
    const all = outputsOf.map((o) => o[k]![1]);
    const value = state.nameOf(t) ?? state.valueOf(t, all, (m) => { throw new Error(`${who}: output '${path}': ${m}`); });
    b.node('Identity', [value], {}, [outputNames[k]!]);
  });
  const read = new Set(b.nodes.flatMap((n) => n.input ?? []));
  inputNames.forEach((name, i) => {
    if (!read.has(name)) {
      throw new Error(`${who}: input '${name}' ${K.fmt(exampleInputs[i]!.shape)} is never read by the graph: fn does not use it through ` +
        'ops (values read in JavaScript, e.g. lengths of a cell exported as primitive ops, are baked in as constants); drop it from the inputs');
    }
  });

  const dimsOf = (x: Tensor, i: number) => x.shape.map((d, a) => {
    const s = axesOf[i]!.find(([axis]) => axis === a);
    return s ? syms[s[1]]!.name : d;
  });
  const outputDims = outputsOf[0]!.map(([, t], k) => t.shape.map((_, d) => {
    const poly = fitPoly(syms, outputsOf.map((o) => o[k]![1].shape[d]!));
    if (poly === null) return null;
    if (poly.every((term) => term.syms.length === 0)) return t.shape[d]!;
    return poly.length === 1 && poly[0]!.coef === 1 && poly[0]!.syms.length === 1 ? syms[poly[0]!.syms[0]!]!.name : null;
  }));
  return encodeModel({
    irVersion: SUPPORTED_OPSETS[opset]!,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'unroll',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
    graph: {
      name: 'unroll',
      node: b.nodes,
      initializer: b.initializers,
      input: exampleInputs.map((x, i) => valueInfo(inputNames[i]!, elemTypeOf(x.dtype), dimsOf(x, i))),
      output: outputsOf[0]!.map(([, t], k) => valueInfo(outputNames[k]!, elemTypeOf(t.dtype), outputDims[k]!)),
    },
  });
}

/** The function's result as [path, Tensor] pairs in order; anything else is refused, naming where. */
function flattenOutputs(who: string, result: unknown): [string, Tensor][] {
  if (result instanceof Tensor) return [['output', result]];
  const out: [string, Tensor][] = [];
  const walk = (v: unknown, path: string) => {
    if (v instanceof Tensor) return void out.push([path, v]);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, path ? `${path}.${i}` : `output${i}`));
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.entries(v).forEach(([k, x]) => walk(x, path ? `${path}.${k}` : k));
    }
    throw new TypeError(`${who}: fn must return a Tensor, an array or a record of Tensors; ${path ? `'${path}'` : 'its result'} is ` +
      `${v === null ? 'null' : v === undefined ? 'undefined' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v}`);
  };
  walk(result, '');
  if (out.length === 0) throw new TypeError(`${who}: fn returned no tensors`);
  return out;
}

function namesOf(who: string, option: string, given: readonly string[] | undefined, n: number, defaults: readonly string[] | null,
  prefix: string): string[] {
  const names = given ? [...given] : defaults ? [...defaults] : Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  if (given !== undefined && (!Array.isArray(given) || given.length !== n || given.some((s) => typeof s !== 'string' || s === ''))) {
    throw new TypeError(`${who}: ${option} must be ${n} non-empty strings (one per ${prefix}); got ${JSON.stringify(given)}`);
  }
  const dup = names.find((s, i) => names.indexOf(s) !== i);
  if (dup !== undefined) throw new TypeError(`${who}: ${option}: '${dup}' appears twice`);
  return names;
}

function parseDynamicAxes(who: string, spec: ExportOptions['dynamicAxes'], inputNames: readonly string[], inputs: readonly Tensor[]) {
  const syms: Sym[] = [];
  const axesOf: [number, number][][] = inputs.map(() => []);
  for (const [name, axes] of Object.entries(spec ?? {})) {
    const i = inputNames.indexOf(name);
    if (i < 0) throw new TypeError(`${who}: dynamicAxes names '${name}', which is not an input (inputs: ${inputNames.join(', ')})`);
    const x = inputs[i]!;
    const entries: [number, string][] = Array.isArray(axes)
      ? (axes as readonly number[]).map((a) => [a, `${name}_${a}`])
      : Object.entries(axes as Record<string, string>).map(([a, s]) => [Number(a), s]);
    for (const [axis, symName] of entries) {
      if (!Number.isInteger(axis) || axis < 0 || axis >= x.rank) {
        throw new RangeError(`${who}: dynamicAxes.${name}: axis ${axis} is not an axis of ${name} ${K.fmt(x.shape)}`);
      }
      if (typeof symName !== 'string' || symName === '') throw new TypeError(`${who}: dynamicAxes.${name}[${axis}] must be a non-empty name`);
      let j = syms.findIndex((s) => s.name === symName);
      if (j < 0) {
        j = syms.push({ name: symName, size: x.shape[axis]!, input: i, axis }) - 1;
      } else if (syms[j]!.size !== x.shape[axis]) {
        throw new RangeError(`${who}: dynamicAxes: '${symName}' is ${syms[j]!.size} on ${inputNames[syms[j]!.input]} but ${x.shape[axis]} on ${name}`);
      }
      axesOf[i]!.push([axis, j]);
    }
  }
  if (syms.length > 3) throw new RangeError(`${who}: dynamicAxes: at most 3 distinct dynamic sizes (each doubles the recordings); got ${syms.length}`);
  return { syms, axesOf };
}
