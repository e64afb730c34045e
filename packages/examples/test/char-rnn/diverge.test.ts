// A diverging run (issue 16 item 2): `train --lr 1e30 --clip 0` must fail with a clear error and a
// non-zero exit, keeping the checkpoint already on disk; `sample` and `--resume` refuse a checkpoint
// with non-finite weights.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '@unroll/autograd/node';
import { tensor } from '@unroll/autograd';
import { main } from '../../src/char-rnn/main.js';
import { parseCommandLine } from '../../src/char-rnn/options.js';
import type { TrainArgs } from '../../src/char-rnn/options.js';
import { runSample } from '../../src/char-rnn/sample-command.js';
import { runTrain } from '../../src/char-rnn/train-command.js';
import { saveRun } from '../../src/char-rnn/checkpoint.js';
import { Trainer } from '../../src/char-rnn/trainer.js';
import { defaultConfig } from '../../src/char-rnn/options.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-diverge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = join(dir, 'tiny.txt');
writeFileSync(text, 'to be or not to be, that is the question.\n'.repeat(20));
const out = join(dir, 'out');
const ckpt = join(out, 'char-rnn.safetensors');
const flags = ['--text', text, '--out', out, '--hidden', '8', '--embed', '4', '--seq-len', '8', '--batch', '2', '--eval-every', '2', '--sample-length', '5'];
const quiet = { print: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream };
const trainArgs = (extra: string[]): TrainArgs => {
  const cmd = parseCommandLine(['train', ...flags, ...extra]);
  if (cmd.command !== 'train') throw new Error('expected train');
  return cmd.args;
};

/** Runs main with stderr captured; returns the exit code and what was written. */
async function mainCaptured(argv: string[]): Promise<{ code: number; stderr: string }> {
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(argv);
    return { code, stderr: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    err.mockRestore();
    outSpy.mockRestore();
  }
}

describe('a diverging char-rnn run', () => {
  it('stops with a clear error naming the step, exits 1, and leaves the good checkpoint byte for byte', async () => {
    await runTrain(trainArgs(['--steps', '4']), quiet);
    const good = readFileSync(ckpt);
    await expect(runTrain(trainArgs(['--steps', '20', '--lr', '1e30', '--clip', '0']), quiet))
      .rejects.toThrow(/^training diverged: fit: the (loss|gradient norm) at step \d+ is (NaN|-?Infinity).*; the checkpoint '.*' was left as it was$/);
    expect(readFileSync(ckpt).equals(good)).toBe(true);
    const { code, stderr } = await mainCaptured(['train', ...flags, '--steps', '20', '--lr', '1e30', '--clip', '0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: training diverged: fit: the .* at step \d+ is/);
    expect(readFileSync(ckpt).equals(good)).toBe(true);
    // The good checkpoint still samples.
    expect((await runSample({ ...parseSample(['--checkpoint', ckpt, '--seed-text', 'to', '--length', '5']) }, () => {})).length).toBe(7);
  });

  it('as a process (the unroll-char-rnn bin): exit code 1, one clear error line, the checkpoint unchanged', async () => {
    await runTrain(trainArgs(['--steps', '2']), quiet);
    const good = readFileSync(ckpt);
    const bin = fileURLToPath(new URL('../../bin/char-rnn.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'train', ...flags, '--steps', '20', '--lr', '1e30', '--clip', '0'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\nerror: training diverged: fit: the .* at step \d+ is .*; the checkpoint '.*' was left as it was\n/);
    expect(readFileSync(ckpt).equals(good)).toBe(true);
  });

  it('sample and --resume refuse a checkpoint with non-finite weights, naming the tensor', async () => {
    await runTrain(trainArgs(['--steps', '2']), quiet);
    const saved = await loadCheckpoint(ckpt);
    const poisoned = join(dir, 'nan.safetensors');
    const [name, weight] = Object.entries(saved.model)[0]!;
    const values = [...weight.values()];
    values[3] = NaN;
    const model = { ...saved.model, [name]: tensor(values).reshape(weight.shape) };
    await saveCheckpoint(poisoned, { model, optimizer: saved.optimizer, extra: saved.extra, metadata: saved.metadata });
    const message = `checkpoint '${poisoned}' holds non-finite weights (${name}[3] is NaN): the run that wrote it diverged`;
    await expect(runSample(parseSample(['--checkpoint', poisoned]), () => {})).rejects.toThrow(message);
    await expect(runTrain(trainArgs(['--checkpoint', poisoned, '--resume', '--steps', '4']), quiet)).rejects.toThrow(message);
    const sample = await mainCaptured(['sample', '--checkpoint', poisoned]);
    expect(sample.code).toBe(1);
    expect(sample.stderr).toContain(message);
  });

  it('saveRun refuses to write a model with a non-finite weight, naming it, and leaves the file alone', async () => {
    const trainer = new Trainer('abcabcabc '.repeat(50), defaultConfig({ hidden: 4, embed: 2, batch: 2, seqLen: 4, steps: 2 }));
    const path = join(dir, 'never.safetensors');
    trainer.model.head.weight.data.set(1, 0, NaN);
    await expect(saveRun(path, trainer, { textPath: null, textSource: 'x', defaultSeed: 'a' }))
      .rejects.toThrow('saveRun: the model at step 0 has a non-finite weight: head.weight[');
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
  });

});

function parseSample(argv: string[]) {
  const cmd = parseCommandLine(['sample', ...argv]);
  if (cmd.command !== 'sample') throw new Error('expected sample');
  return cmd.args;
}
