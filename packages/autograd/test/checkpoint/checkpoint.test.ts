// checkpointBytes / readCheckpoint / loadCheckpointInto: model, optimizer-like state and extra data in one file.
import * as K from '@unroll/core';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_METADATA_KEY, CHECKPOINT_VERSION, checkpointBytes, loadCheckpointInto, readCheckpoint,
} from '../../src/checkpoint/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { Module, StateDictError } from '../../src/nn/module.js';
import { Parameter } from '../../src/nn/parameter.js';
import { Adam } from '../../src/optim/adam.js';
import { Tensor } from '../../src/tensor.js';
import { expectCheckpointError, expectSameTensor, makeTensor } from './helpers.js';

/** A two-level model with float parameters and an int32 buffer. */
class Cell extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(dtype: K.FloatDType, values: number[]) {
    super();
    this.weight = this.registerParameter('weight', new Parameter(K.fromData(K.allocate(dtype, 4).map((_, i) => values[i]!), [2, 2])));
    this.bias = this.registerParameter('bias', new Parameter(K.fromData(K.allocate(dtype, 2).map((_, i) => values[4 + i]!), [2])));
    this.registerBuffer('steps', makeTensor('int32', [], [values.length]));
  }
}
class Net extends Module {
  readonly cell: Cell;
  constructor(dtype: K.FloatDType, values = [0.1, 0.2, 0.3, 1 / 3, -5e-8, 7]) {
    super();
    this.cell = this.registerModule('cell', new Cell(dtype, values));
  }
}

/** The shape of an optimizer's stateDict(): per-parameter state keyed by index, groups with hyperparameters. */
const fakeOptimizerState = () => ({
  state: {
    0: { step: 3, exp_avg: makeTensor('float32', [2, 2], [1, 2, 3, 4]), exp_avg_sq: makeTensor('float32', [2, 2], [0.5, 0, 0, 1e-9]) },
    1: { step: 3, exp_avg: makeTensor('float32', [2], [-1, 1]), exp_avg_sq: makeTensor('float32', [2], [2, 2]) },
  },
  paramGroups: [{ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1] }],
});

/** Deep equality where Tensors compare by dtype, shape and bits. */
function expectSameValue(actual: unknown, expected: unknown, path = 'value'): void {
  if (expected instanceof Tensor) return expectSameTensor(actual, expected, path);
  if (typeof expected !== 'object' || expected === null) return void expect(Object.is(actual, expected) || actual === expected, `${path}: ${String(actual)} vs ${String(expected)}`).toBe(true);
  expect(Array.isArray(actual), `${path} array-ness`).toBe(Array.isArray(expected));
  expect(Object.keys(actual as object), `${path} keys`).toEqual(Object.keys(expected));
  for (const [k, v] of Object.entries(expected)) expectSameValue((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
}

describe('round trip', () => {
  it('model, optimizer-like state and extra data come back as written', () => {
    const model = new Net('float32');
    const optimizer = fakeOptimizerState();
    const extra = { epoch: 12, bestLoss: Infinity, history: [1.5, NaN, -Infinity], note: 'warm restart', sample: makeTensor('int32', [3], [5, 6, 7]), done: null };
    const read = readCheckpoint(checkpointBytes({ model, optimizer, extra, metadata: { run: 'a1' } }));
    expect(Object.keys(read.model).sort()).toEqual(['cell.bias', 'cell.steps', 'cell.weight']);
    for (const [name, t] of Object.entries(model.stateDict())) expectSameTensor(read.model[name], t, name);
    expectSameValue(read.optimizer, optimizer, 'optimizer');
    expectSameValue(read.extra, extra, 'extra');
    expect(read.metadata).toEqual({ run: 'a1' });
  });

  it('is a plain safetensors file: every tensor visible by path, unroll\'s record in __metadata__', () => {
    const bytes = checkpointBytes({ model: new Net('float32'), optimizer: fakeOptimizerState(), extra: { epoch: 1 } });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors).sort()).toEqual([
      'model.cell.bias', 'model.cell.steps', 'model.cell.weight',
      'optimizer.state.0.exp_avg', 'optimizer.state.0.exp_avg_sq', 'optimizer.state.1.exp_avg', 'optimizer.state.1.exp_avg_sq',
    ]);
    const record = JSON.parse(metadata[CHECKPOINT_METADATA_KEY]!);
    expect(record.version).toBe(CHECKPOINT_VERSION);
    expect(record.optimizer.state['0']).toEqual({ step: 3, exp_avg: { __tensor__: 'optimizer.state.0.exp_avg' }, exp_avg_sq: { __tensor__: 'optimizer.state.0.exp_avg_sq' } });
    expect(record.extra).toEqual({ epoch: 1 });
  });

  it('takes a state dict record, and asks an object with stateDict() for its state', () => {
    const optimizerLike = { stateDict: () => fakeOptimizerState() };
    const read = readCheckpoint(checkpointBytes({ model: { w: makeTensor('float64', [1], [2]) }, optimizer: optimizerLike }));
    expect(Object.keys(read.model)).toEqual(['w']);
    expectSameValue(read.optimizer, fakeOptimizerState(), 'optimizer');
  });

  it('leaves out what was not given, and undefined object properties', () => {
    const read = readCheckpoint(checkpointBytes({ extra: { a: 1, b: undefined } }));
    expect(read.model).toEqual({});
    expect(read.optimizer).toBeUndefined();
    expect(read.extra).toEqual({ a: 1 });
    expect(Object.keys(read.extra as object)).toEqual(['a']);
    expect(readCheckpoint(checkpointBytes({})).extra).toBeUndefined();
  });

  it('a top-level Tensor, null and scalars are fine as extra; optimizer must be a state dict', () => {
    const read = readCheckpoint(checkpointBytes({ extra: makeTensor('float32', [2], [1, 2]) }));
    expectSameTensor(read.extra, makeTensor('float32', [2], [1, 2]));
    expect(readCheckpoint(checkpointBytes({ extra: null })).extra).toBeNull();
    expectCheckpointError(() => checkpointBytes({ optimizer: makeTensor('float32', [2], [1, 2]) }),
      "checkpointBytes: optimizer must be an optimizer's state dict { state, paramGroups }; got a Tensor (store other data under extra)");
    expectCheckpointError(() => checkpointBytes({ optimizer: { state: {}, paramGroups: [{ lr: 1 }] } }),
      'paramGroups.0 must be an object whose params is a list of parameter indices');
    expect(readCheckpoint(checkpointBytes({ extra: 'note' })).extra).toBe('note');
  });
});

describe('with a real optimizer', () => {
  it('Adam (amsgrad) resumed from a checkpoint takes the same next step as the uninterrupted one', () => {
    const grads = (k: number) => [[0.5 - k, 1, -2, 0.25 * k], [k, -k]];
    const setGrads = (m: Net, k: number) => {
      const [gw, gb] = grads(k);
      m.cell.weight.grad = makeTensor(m.cell.weight.dtype, [2, 2], gw!);
      m.cell.bias.grad = makeTensor(m.cell.bias.dtype, [2], gb!);
    };
    const model = new Net('float32');
    const opt = new Adam(model.parameters(), { lr: 0.01, amsgrad: true, betas: [0.8, 0.99] });
    for (let k = 0; k < 3; k++) { setGrads(model, k); opt.step(); }
    const bytes = checkpointBytes({ model, optimizer: opt, extra: { epoch: 3 } });

    const resumed = new Net('float32', [0, 0, 0, 0, 0, 0]);
    const resumedOpt = new Adam(resumed.parameters(), { lr: 1 });
    const read = loadCheckpointInto(resumed, bytes);
    resumedOpt.loadStateDict(read.optimizer!); // typed for loadStateDict: no cast
    expect(resumedOpt.paramGroups[0]!.lr).toBe(0.01);

    setGrads(model, 3); opt.step();
    setGrads(resumed, 3); resumedOpt.step();
    expectSameTensor(resumed.cell.weight, model.cell.weight, 'weight');
    expectSameTensor(resumed.cell.bias, model.cell.bias, 'bias');
  });
});

describe('loading into a model', () => {
  it('a float64 checkpoint into a float32 model, and the float32 one back into a float64 model', () => {
    const values = [0.1, 0.2, 0.3, 1 / 3, -5e-8, 7];
    const source = new Net('float64', values);
    const f32 = new Net('float32', [0, 0, 0, 0, 0, 0]);
    const r = loadCheckpointInto(f32, checkpointBytes({ model: source, extra: { epoch: 2 } }));
    expect(r.missingKeys).toEqual([]);
    expect(r.unexpectedKeys).toEqual([]);
    expect(r.extra).toEqual({ epoch: 2 });
    expect(f32.cell.weight.dtype).toBe('float32');
    expect([...f32.cell.weight.values(), ...f32.cell.bias.values()]).toEqual(values.map(Math.fround));

    const f64 = new Net('float64', [9, 9, 9, 9, 9, 9]);
    loadCheckpointInto(f64, checkpointBytes({ model: f32 }));
    expect(f64.cell.weight.dtype).toBe('float64');
    // float32 → float64 is exact, so the values are the rounded ones, not the originals.
    expect([...f64.cell.weight.values(), ...f64.cell.bias.values()]).toEqual(values.map(Math.fround));
  });

  it('a plain safetensors file (another tool\'s names, no unroll record) loads as a state dict', () => {
    const bytes = encodeSafetensors({
      'cell.weight': makeTensor('float64', [2, 2], [1, 2, 3, 4]),
      'cell.bias': makeTensor('float64', [2], [5, 6]),
      'cell.steps': makeTensor('int32', [], [9]),
    }, { format: 'pt' });
    const model = new Net('float32');
    const r = loadCheckpointInto(model, bytes);
    expect(r.optimizer).toBeUndefined();
    expect(r.metadata).toEqual({ format: 'pt' });
    expect(Array.from(model.cell.weight.values())).toEqual([1, 2, 3, 4]);
    expect(model.namedBuffers()[0]![1].item()).toBe(9);
  });

  it('strict refuses missing keys and changes nothing; strict: false reports them', () => {
    const bytes = checkpointBytes({ model: { 'cell.weight': makeTensor('float32', [2, 2], [1, 1, 1, 1]) } });
    const model = new Net('float32');
    const before = Array.from(model.cell.weight.values());
    expect(() => loadCheckpointInto(model, bytes)).toThrow(StateDictError);
    expect(Array.from(model.cell.weight.values())).toEqual(before);
    const r = loadCheckpointInto(model, bytes, { strict: false });
    expect(r.missingKeys).toEqual(['cell.bias', 'cell.steps']);
    expect(Array.from(model.cell.weight.values())).toEqual([1, 1, 1, 1]);
  });

  it('a shape mismatch is refused even when not strict', () => {
    const bytes = checkpointBytes({ model: { 'cell.weight': makeTensor('float32', [4], [1, 1, 1, 1]) } });
    expect(() => loadCheckpointInto(new Net('float32'), bytes, { strict: false })).toThrow(/shape mismatch: cell.weight: expected \[2, 2\], got \[4\]/);
  });
});

describe('writing refuses', () => {
  it('values JSON cannot hold, naming their path', () => {
    expectCheckpointError(() => checkpointBytes({ optimizer: { state: { 0: { buf: new Float32Array(2) } } } }),
      'checkpointBytes: optimizer.state.0.buf is a Float32Array; a checkpoint holds Tensors, numbers, strings, booleans, null, arrays and plain objects');
    expectCheckpointError(() => checkpointBytes({ extra: { m: new Map() } }), 'extra.m is a Map');
    expectCheckpointError(() => checkpointBytes({ extra: { f: () => 1 } }), 'extra.f is a function');
    expectCheckpointError(() => checkpointBytes({ extra: { n: 10n } }), 'extra.n is bigint 10');
    expectCheckpointError(() => checkpointBytes({ extra: [1, undefined] }), 'extra.1 is undefined; an array in a checkpoint cannot hold undefined');
  });
  it('a cycle', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    expectCheckpointError(() => checkpointBytes({ extra: a }), 'extra.self.back refers back to one of its own containers (a cycle)');
  });
  it('the same object twice is not a cycle', () => {
    const shared = { lr: 0.1 };
    expect(readCheckpoint(checkpointBytes({ extra: [shared, shared] })).extra).toEqual([{ lr: 0.1 }, { lr: 0.1 }]);
  });
  it('two tensors whose paths meet', () => {
    expectCheckpointError(() => checkpointBytes({ extra: { 'a.b': makeTensor('float32', [1], [1]), a: { b: makeTensor('float32', [1], [2]) } } }),
      "two tensors would both be stored as 'extra.a.b'");
  });
  it('the reserved keys', () => {
    expectCheckpointError(() => checkpointBytes({ extra: { x: { __tensor__: 'model.w' } } }), "extra.x uses the key '__tensor__', which the checkpoint format reserves");
    expectCheckpointError(() => checkpointBytes({ metadata: { unroll: '{}' } }), "metadata key 'unroll' is reserved");
  });
  it('a model that is neither a Module nor a record of Tensors', () => {
    expectCheckpointError(() => checkpointBytes({ model: { w: [1, 2] } as never }), "model state 'w' must be a Tensor; got an array");
  });
});

describe('reading refuses', () => {
  const withRecord = (record: string, tensors: Record<string, Tensor> = {}) => encodeSafetensors(tensors, { unroll: record });
  it('a record that is not JSON or has no valid version', () => {
    expectCheckpointError(() => readCheckpoint(withRecord('{version')), "readCheckpoint: __metadata__ 'unroll' is not valid JSON");
    expectCheckpointError(() => readCheckpoint(withRecord('[1]')), "__metadata__ 'unroll' must be a JSON object; got an array");
    expectCheckpointError(() => readCheckpoint(withRecord('{"version":"1"}')), 'has no valid version (got the string "1")');
  });
  it('a newer version', () => {
    expectCheckpointError(() => readCheckpoint(withRecord('{"version":2}')),
      'readCheckpoint: the file is checkpoint version 2, written by a newer unroll; this one reads up to version 1');
  });
  it('a reference to a tensor the file lacks', () => {
    expectCheckpointError(() => readCheckpoint(withRecord('{"version":1,"optimizer":{"m":{"__tensor__":"optimizer.m"}}}')),
      'readCheckpoint: optimizer.m refers to tensor "optimizer.m", which the file does not contain');
  });
  it('a tensor nothing refers to', () => {
    expectCheckpointError(() => readCheckpoint(withRecord('{"version":1}', { 'optimizer.m': makeTensor('float32', [1], [1]) })),
      "tensor 'optimizer.m' is neither a model tensor (model.*) nor referenced by the optimizer or extra data");
  });
  it('an unknown non-finite number', () => {
    expectCheckpointError(() => readCheckpoint(withRecord('{"version":1,"extra":{"__number__":"Inf"}}')),
      'extra holds the number "Inf"; expected "NaN", "Infinity" or "-Infinity"');
  });
});
