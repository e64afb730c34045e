// @unroll/autograd/node: checkpoint and safetensors files, atomic writes, errors that name the path.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '@unroll/autograd/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointBytes } from '../../src/checkpoint/checkpoint.js';
import { CheckpointError } from '../../src/checkpoint/errors.js';
import { encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import type { Tensor } from '../../src/tensor.js';
import { expectSameTensor, makeTensor } from './helpers.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'unroll-ckpt-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tempFiles = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));
const contents = () => ({
  model: { 'cell.weight': makeTensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]), 'cell.steps': makeTensor('int32', [], [4]) },
  optimizer: { state: { 0: { step: 3, exp_avg: makeTensor('float32', [2, 3], [0, 0, 1, 1, 2, 2]) } }, paramGroups: [{ lr: 0.001, params: [0] }] },
  extra: { epoch: 5 },
});

/** A tensor whose values cannot be read: encoding it fails after the header has been written. */
function poisoned(onRead: () => void): Tensor {
  const t = makeTensor('float32', [1000], new Array(1000).fill(1));
  Object.defineProperty(t, 'values', { value: () => { onRead(); throw new Error('boom: device lost'); } });
  return t;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round trip; the file holds exactly checkpointBytes (streamed writing changes nothing)', async () => {
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, contents());
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(checkpointBytes(contents())))).toBe(true);
    const read = await loadCheckpoint(path);
    expectSameTensor(read.model['cell.weight'], contents().model['cell.weight']);
    expect(read.extra).toEqual({ epoch: 5 });
    const state = (read.optimizer as { state: Record<string, { step: number; exp_avg: Tensor }> }).state['0']!;
    expect(state.step).toBe(3);
    expectSameTensor(state.exp_avg, contents().optimizer.state[0].exp_avg);
    expect(tempFiles()).toEqual([]);
  });

  it('replaces an existing checkpoint', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, { extra: { epoch: 1 } });
    await saveCheckpoint(path, { extra: { epoch: 2 } });
    expect((await loadCheckpoint(path)).extra).toEqual({ epoch: 2 });
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('a failure mid-write leaves the previous checkpoint intact and removes the temp file', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, contents());
    const before = readFileSync(path);
    let seenDuringWrite: string[] = [];
    const err = await rejection(saveCheckpoint(path, { ...contents(), extra: { big: poisoned(() => { seenDuringWrite = tempFiles(); }) } }));
    // The temp file existed (header already written) when encoding failed.
    expect(seenDuringWrite).toHaveLength(1);
    expect(seenDuringWrite[0]).toMatch(new RegExp(`^${basename(path).replace('.', '\\.')}\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toBe(`saveCheckpoint: could not write '${path}' (any previous file there is unchanged): boom: device lost`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(tempFiles()).toEqual([]);
  });

  it('a failure after the data is written (rename onto a directory) also cleans up', async () => {
    const path = join(dir, 'occupied');
    mkdirSync(path);
    writeFileSync(join(path, 'keep.txt'), 'x');
    const err = await rejection(saveCheckpoint(path, contents()));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(new RegExp(`^saveCheckpoint: could not write '${path}' \\(any previous file there is unchanged\\): `));
    expect(readFileSync(join(path, 'keep.txt'), 'utf8')).toBe('x');
    expect(tempFiles()).toEqual([]);
  });

  it('a directory that does not exist: the error names the path, nothing is created', async () => {
    const path = join(dir, 'missing', 'ckpt.safetensors');
    const err = await rejection(saveCheckpoint(path, contents()));
    expect(err.message).toBe(`saveCheckpoint: could not write '${path}' (any previous file there is unchanged): no such file or directory (ENOENT)`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('invalid contents are refused before anything is written', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const err = await rejection(saveCheckpoint(path, { extra: { m: new Map() } }));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/^saveCheckpoint: extra\.m is a Map;/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('loadCheckpoint on a missing path names it', async () => {
    const path = join(dir, 'nope.safetensors');
    const err = await rejection(loadCheckpoint(path));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toBe(`loadCheckpoint: cannot read '${path}': no such file or directory (ENOENT)`);
  });

  it('loadCheckpoint on a corrupt file names the path and the defect', async () => {
    const path = join(dir, 'cut.safetensors');
    writeFileSync(path, checkpointBytes(contents()).subarray(0, 300));
    const err = await rejection(loadCheckpoint(path));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(new RegExp(`^loadCheckpoint: '${path}' is not a readable checkpoint: decodeSafetensors: truncated: `));
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  it('round trip with metadata', async () => {
    const path = join(dir, 'w.safetensors');
    const tensors = { a: makeTensor('float64', [2], [1, 2]), b: makeTensor('int32', [0], []) };
    await saveSafetensors(path, tensors, { format: 'pt' });
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeSafetensors(tensors, { format: 'pt' })))).toBe(true);
    const read = await loadSafetensors(path);
    expectSameTensor(read.tensors.a, tensors.a);
    expectSameTensor(read.tensors.b, tensors.b);
    expect(read.metadata).toEqual({ format: 'pt' });
  });

  it('is atomic too', async () => {
    const path = join(dir, 'w.safetensors');
    await saveSafetensors(path, { a: makeTensor('float32', [1], [1]) });
    const before = readFileSync(path);
    const err = await rejection(saveSafetensors(path, { a: makeTensor('float32', [1], [2]), z: poisoned(() => undefined) }));
    expect(err.message).toMatch(/^saveSafetensors: could not write .*boom: device lost$/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(tempFiles()).toEqual([]);
  });

  it('loadSafetensors names the path of a missing or malformed file', async () => {
    const missing = join(dir, 'missing.safetensors');
    expect((await rejection(loadSafetensors(missing))).message).toBe(`loadSafetensors: cannot read '${missing}': no such file or directory (ENOENT)`);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, 'abc');
    expect((await rejection(loadSafetensors(bad))).message)
      .toBe(`loadSafetensors: '${bad}' is not a readable safetensors file: decodeSafetensors: file is 3 bytes; a safetensors file starts with an 8-byte header length`);
  });
});
