// Calls that used to do nothing, or crash, instead of saying what is wrong (issue 16 item 9):
// unknown options are refused everywhere an options object is taken, backward takes its options
// first, and a checkpoint call with its arguments mixed up is refused instead of writing nothing.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointError, Linear, SGD, binaryCrossEntropyWithLogits, checkpointBytes, crossEntropy, gradcheck, loadCheckpointInto,
  matmul, mseLoss, nllLoss, randn, sum, tensor, zeros,
} from '@unroll/autograd';
import { saveCheckpoint } from '@unroll/autograd/node';

describe('backward options', () => {
  it('loss.backward({ retainGraph: true }) works (options first), as does backward(seed, opts)', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.mul(w).sum();
    loss.backward({ retainGraph: true });
    loss.backward({ retainGraph: true });
    expect(w.grad!.toArray()).toEqual([4, 8]);
    loss.backward(tensor(1), { retainGraph: false });
    expect(w.grad!.toArray()).toEqual([6, 12]);
    expect(() => loss.backward()).toThrow(); // the graph was released by the last call
  });

  it('unknown backward options and non-tensor seeds are refused', () => {
    const w = tensor([1], { requiresGrad: true });
    expect(() => w.sum().backward({ retain_graph: true } as never)).toThrow("backward: unknown option 'retain_graph' (did you mean 'retainGraph'?); options are retainGraph");
    expect(() => w.sum().backward(undefined, { retainGraf: true } as never)).toThrow("backward: unknown option 'retainGraf'");
    expect(() => w.sum().backward(1 as never)).toThrow('backward: the first argument must be a seed Tensor or an options object; got number');
    expect(() => w.sum().backward([1] as never, {})).toThrow('backward: seed must be a Tensor or an ndarray; got object');
  });
});

describe('unknown options are refused, not ignored', () => {
  const x = zeros([2, 3]);
  it.each([
    ['tensor', () => tensor([1], { dtpye: 'float64' } as never), "tensor: unknown option 'dtpye'; options are dtype, requiresGrad"],
    ['zeros', () => zeros([2], { requires_grad: true } as never), "zeros: unknown option 'requires_grad' (did you mean 'requiresGrad'?)"],
    ['randn', () => randn([2], { seed: 1 } as never), "randNormal: unknown option 'seed'; options are dtype, requiresGrad, generator"],
    ['matmul', () => matmul(x, x, { transb: true } as never), "matmul: unknown option 'transb'; options are transA, transB"],
    ['sum', () => sum(x, { axis: 1 } as never), "sum: unknown option 'axis'; options are axes, keepdims"],
    ['crossEntropy', () => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { ignore_index: 0 } as never), "crossEntropy: unknown option 'ignore_index' (did you mean 'ignoreIndex'?)"],
    ['nllLoss', () => nllLoss(x, tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: 0.1 } as never), "nllLoss: unknown option 'labelSmoothing'"],
    ['mseLoss', () => mseLoss(x, x, { reduce: 'sum' } as never), "mseLoss: unknown option 'reduce'"],
    ['bce', () => binaryCrossEntropyWithLogits(x, x, { weight: x } as never), "binaryCrossEntropyWithLogits: unknown option 'weight'"],
    ['gradcheck', () => gradcheck((a) => a, [tensor([1], { dtype: 'float64', requiresGrad: true })], { tol: 1 } as never), "gradcheck: unknown option 'tol'"],
    ['loadStateDict', () => new Linear(2, 2).loadStateDict({}, { strict: false, assign: true } as never), "Linear.loadStateDict: unknown option 'assign'"],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('checkpoint arguments are checked at run time', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'unroll-args-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saveCheckpoint(path, model) instead of (path, { model }) is refused and writes nothing', async () => {
    const model = new Linear(2, 1);
    await expect(saveCheckpoint(join(dir, 'a.safetensors'), model as never)).rejects.toThrow(
      new CheckpointError('saveCheckpoint: expected { model?, optimizer?, extra?, metadata? }; got a Linear (wrap it: { model } or { optimizer })'));
    await expect(saveCheckpoint(join(dir, 'a.safetensors'), new SGD(model.parameters(), { lr: 1 }) as never)).rejects.toThrow('got a SGD (wrap it');
    await expect(saveCheckpoint(join(dir, 'a.safetensors'), { modle: model } as never)).rejects.toThrow(
      "saveCheckpoint: unknown part(s) 'modle'; a checkpoint holds model, optimizer, extra, metadata (put anything else under extra)");
    await expect(saveCheckpoint(model as never, join(dir, 'a.safetensors') as never)).rejects.toThrow(
      'saveCheckpoint: path must be a non-empty string; got a Linear (the path comes first: saveCheckpoint(path, …))');
    expect(readdirSync(dir)).toEqual([]);
    expect(() => checkpointBytes(model as never)).toThrow('checkpointBytes: expected { model?, optimizer?, extra?, metadata? }; got a Linear');
    expect(() => loadCheckpointInto(checkpointBytes({ model }) as never, model as never)).toThrow('loadCheckpointInto: model must be a Module; got a Uint8Array');
  });
});
