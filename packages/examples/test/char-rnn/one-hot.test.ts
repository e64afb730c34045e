// `--input one-hot` (PyTorch's char-rnn recipe: no embedding, the characters as one-hot vectors) and
// `--time-limit`: parsing and refusals, the model, checkpoints, resume, sample and ONNX export.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as K from '@unroll/core';
import { Tensor, noGrad, tensor, zeros } from '@unroll/autograd';
import { saveCheckpoint } from '@unroll/autograd/node';
import { UsageError } from '../../src/flags.js';
import { loadRun, modelOf, resumeInto, runContents, saveRun } from '../../src/char-rnn/checkpoint.js';
import type { RunInfo } from '../../src/char-rnn/checkpoint.js';
import { runExport } from '../../src/char-rnn/export-command.js';
import { main } from '../../src/char-rnn/main.js';
import { describeModel } from '../../src/char-rnn/model.js';
import { checkConfig, defaultConfig, parseCommandLine } from '../../src/char-rnn/options.js';
import type { TrainArgs, TrainConfig } from '../../src/char-rnn/options.js';
import { runTrain } from '../../src/char-rnn/train-command.js';
import { Trainer } from '../../src/char-rnn/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-one-hot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = 'the cat sat on the mat. '.repeat(40);
const tiny = (over: Partial<TrainConfig> = {}): TrainConfig =>
  defaultConfig({ input: 'one-hot', hidden: 16, seqLen: 8, batch: 4, steps: 40, lr: 0.02, warmup: 0, valFraction: 0.1, seed: 3, ...over });
const info: RunInfo = { textPath: null, textSource: 'a test text', defaultSeed: 'the ' };
const params = (t: Trainer) => t.model.parameters().map((p) => Array.from(p.values()));
const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean));
const trainConfig = (line: string) => {
  const cmd = parse(line);
  if (cmd.command !== 'train') throw new Error('expected train');
  return cmd.args;
};
const quiet = { print: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream };

describe('--input', () => {
  it('parses: embedding (default, --embed 32 unless given) or one-hot (no embedding size)', () => {
    expect(trainConfig('').config).toMatchObject({ input: 'embedding', embed: 32 });
    expect(trainConfig('--embed 12').config).toMatchObject({ input: 'embedding', embed: 12 });
    expect(trainConfig('--input embedding --embed 12').config).toMatchObject({ input: 'embedding', embed: 12 });
    const oneHot = trainConfig('--input one-hot --hidden 256');
    expect(oneHot.config).toMatchObject({ input: 'one-hot', embed: null, hidden: 256 });
    expect([...oneHot.givenConfig].sort()).toEqual(['hidden', 'input']);
    expect(defaultConfig()).toMatchObject({ input: 'embedding', embed: 32 });
    expect(defaultConfig({ input: 'one-hot' })).toMatchObject({ input: 'one-hot', embed: null });
  });

  it('refuses --embed with one-hot inputs and an unknown input kind, naming the flag', () => {
    for (const line of ['--input one-hot --embed 16', '--embed 16 --input=one-hot']) {
      expect(() => parse(line)).toThrow(UsageError);
      expect(() => parse(line)).toThrow('--embed applies to --input embedding only: one-hot inputs have the size of the vocabulary');
    }
    expect(() => parse('--input onehot')).toThrow("--input must be one of embedding, one-hot; got 'onehot'");
    expect(() => parse('--input')).toThrow('--input needs a value (one of embedding, one-hot)');
    expect(() => parse('--input one-hot --input embedding')).toThrow('train: --input is given twice');
  });

  it('a config from elsewhere (a checkpoint, a test) is checked by the same rules', () => {
    expect(() => defaultConfig({ input: 'one-hot', embed: 16 })).toThrow(
      'defaultConfig: --embed applies to --input embedding only (one-hot inputs have the size of the vocabulary); got --embed 16 with --input one-hot');
    expect(() => checkConfig({ ...defaultConfig(), embed: null }, 'here')).toThrow('here: --input embedding needs --embed (the embedding size); got none');
    expect(() => checkConfig({ ...defaultConfig(), input: 'bytes' }, 'here')).toThrow("here: config 'input' (--input): expected one of embedding, one-hot; got \"bytes\"");
  });

  it('the model has no embedding: the LSTM reads V one-hot inputs, and its logits are those of explicit one-hot vectors', () => {
    const t = new Trainer(TEXT, tiny({ layers: 2 }));
    const V = t.vocab.size;
    const names = t.model.namedParameters().map(([n]) => n);
    expect(names.some((n) => n.startsWith('embedding'))).toBe(false);
    expect(t.model.rnn.stateDict()['weight_ih_l0']!.shape).toEqual([4 * 16, V]);
    expect(describeModel(t.model)).toBe(`LSTM 2×16, one-hot ${V}, dropout 0, vocab ${V}, ${t.model.numParameters().toLocaleString('en-US')} parameters`);
    // 4 · 16 · (V + 16 + 2) + 4 · 16 · (16 + 16 + 2) + 16 · V + V: no V × E table.
    expect(t.model.numParameters()).toBe(64 * (V + 18) + 64 * 34 + 17 * V);
    t.model.eval();
    const ids = [[1, 2, 0], [V - 1, 3, 3]];
    const oneHot = new Tensor(K.fromData(Float32Array.from(ids.flat().flatMap((id) => Array.from({ length: V }, (_, k) => (k === id ? 1 : 0)))), [2, 3, V]));
    noGrad(() => {
      const got = t.model.forward(tensor(ids, { dtype: 'int32' }));
      const r = t.model.rnn.forward(oneHot);
      expect(Array.from(got.logits.values())).toEqual(Array.from(t.model.head.forward(r.output).values()));
    });
    expect(() => t.model.forward(tensor([[V]], { dtype: 'int32' }))).toThrow(/indexSelect/);
  });

  it('learns a tiny text as the embedding model does', () => {
    const t = new Trainer(TEXT, tiny({ steps: 60 }));
    const before = t.evaluate();
    for (let i = 0; i < 60; i++) t.trainStep();
    expect(t.evaluate()).toBeLessThan(0.4 * before);
  });
});

describe('one-hot checkpoints', () => {
  it('round-trip: the config, the weights and the next steps of a resumed run are exactly those of an uninterrupted one', async () => {
    const config = tiny({ layers: 2, dropout: 0.3, batch: 8, steps: 30, schedule: 'cosine', warmup: 3 });
    const a = new Trainer(TEXT, config);
    for (let i = 0; i < 7; i++) a.trainStep();
    const path = join(dir, 'resume.safetensors');
    await saveRun(path, a, info);
    const ahead = Array.from({ length: 9 }, () => a.trainStep());

    const run = await loadRun(path);
    expect(run.config).toMatchObject({ input: 'one-hot', embed: null, layers: 2 });
    expect(Object.keys(run.model).some((k) => k.startsWith('embedding'))).toBe(false);
    const model = modelOf(run);
    const ids = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    const b = new Trainer(TEXT, config);
    resumeInto(b, run);
    model.eval();
    b.model.eval();
    noGrad(() => expect(Array.from(model.forward(ids).logits.values())).toEqual(Array.from(b.model.forward(ids).logits.values())));
    b.model.train();
    expect(Array.from({ length: 9 }, () => b.trainStep())).toEqual(ahead);
    expect(params(b)).toEqual(params(a));

    // An embedding run cannot take a one-hot checkpoint.
    const embedded = new Trainer(TEXT, tiny({ input: 'embedding', embed: 8, layers: 2, dropout: 0.3, batch: 8, steps: 30, schedule: 'cosine', warmup: 3 }));
    expect(() => resumeInto(embedded, run)).toThrow('the checkpoint has input = "one-hot", this run "embedding"');
  });

  it('a checkpoint written before --input existed reads as an embedding model', async () => {
    const t = new Trainer(TEXT, tiny({ input: 'embedding', embed: 8 }));
    t.trainStep();
    const contents = runContents(t, info);
    const extra = contents.extra as { config: Record<string, unknown> };
    delete extra.config.input;
    const path = join(dir, 'old.safetensors');
    await saveCheckpoint(path, contents);
    const run = await loadRun(path);
    expect(run.config).toMatchObject({ input: 'embedding', embed: 8 });
    expect(() => modelOf(run)).not.toThrow();
  });
});

describe('the CLI with --input one-hot', () => {
  const text = join(dir, 'tiny.txt');
  writeFileSync(text, 'export function to be or not to be, that is the question.\n'.repeat(20));
  const out = join(dir, 'cli');
  const ckpt = join(out, 'char-rnn.safetensors');
  const flags = ['--text', text, '--out', out, '--input', 'one-hot', '--layers', '2', '--hidden', '8', '--seq-len', '8', '--batch', '2',
    '--eval-every', '3', '--sample-length', '5'];
  const args = (extra: string[]): TrainArgs => {
    const cmd = parseCommandLine(['train', ...flags, ...extra]);
    if (cmd.command !== 'train') throw new Error('expected train');
    return cmd.args;
  };

  it('trains, resumes (refusing contradicting --input / --embed), samples and exports a model onnxruntime agrees with', async () => {
    const first = await runTrain(args(['--steps', '3']), quiet);
    expect(first.steps).toBe(3);
    const resumed = await runTrain({ ...args(['--steps', '5']), resume: true }, quiet);
    expect(resumed.steps).toBe(5);
    await expect(runTrain(parseResume(['--input', 'embedding']), quiet)).rejects.toThrow(
      '--resume: --input "embedding" contradicts the checkpoint, which was trained with "one-hot"');
    await expect(runTrain(parseResume(['--embed', '8']), quiet)).rejects.toThrow('--resume: --embed 8 contradicts the checkpoint, which was trained with null');

    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { printed.push(String(s)); return true; });
    try {
      expect(await main(['sample', '--checkpoint', ckpt, '--seed-text', 'to be', '--length', '20', '--seed', '2'])).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(printed.join('').startsWith('to be')).toBe(true);
    expect([...printed.join('').trimEnd()].length).toBeGreaterThanOrEqual(5 + 15);

    const { onnx } = await runExport(['--checkpoint', ckpt, '--out', join(out, 'model.onnx')], () => {});
    const model = modelOf(await loadRun(ckpt));
    model.eval();
    const session = await ort.InferenceSession.create(onnx);
    const ids = tensor([[1, 2], [3, 4], [5, 0]], { dtype: 'int32' });
    const h = zeros([2, 2, 8]), c = zeros([2, 2, 8]);
    const want = noGrad(() => model.forward(ids, { h, c }));
    const toOrt = (x: Tensor) => new ort.Tensor(x.dtype === 'int32' ? 'int32' : 'float32', x.values() as Float32Array, x.shape);
    const got = await session.run({ ids: toOrt(ids), h: toOrt(h), c: toOrt(c) });
    const w = want.logits.values();
    const g = got.logits!.data as Float32Array;
    expect(g.length).toBe(w.length);
    for (let i = 0; i < w.length; i++) expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w[i]!));
    await session.release();
  });

  function parseResume(extra: string[]): TrainArgs {
    const cmd = parseCommandLine(['train', '--resume', '--out', out, ...extra]);
    if (cmd.command !== 'train') throw new Error('expected train');
    return cmd.args;
  }
});

describe('--time-limit', () => {
  it('parses minutes and refuses a limit that is not a positive number', () => {
    expect(trainConfig('').timeLimit).toBeNull();
    expect(trainConfig('--time-limit 29.5').timeLimit).toBe(29.5);
    expect(() => parse('--time-limit 0')).toThrow("--time-limit expects a number > 0; got '0'");
    expect(() => parse('--time-limit soon')).toThrow("--time-limit expects a number > 0; got 'soon'");
  });

  it('stops after the budget with a validation and a checkpoint; --resume continues to --steps', async () => {
    const text = join(dir, 'limit.txt');
    writeFileSync(text, 'to be or not to be, that is the question.\n'.repeat(20));
    const out = join(dir, 'limit');
    const cmd = parseCommandLine(['train', '--text', text, '--out', out, '--hidden', '8', '--seq-len', '8', '--batch', '2', '--steps', '50',
      '--eval-every', '100', '--sample-length', '0', '--time-limit', '0.000001']);
    if (cmd.command !== 'train') throw new Error('expected train');
    const lines: string[] = [];
    const stopped = await runTrain(cmd.args, { ...quiet, print: (l) => lines.push(l) });
    expect(stopped.timedOut).toBe(true);
    expect(stopped.steps).toBe(1);
    expect(stopped.valLoss).not.toBeNull();
    expect(lines).toContain('stopped by --time-limit 0.000001 (minutes) at step 1 of 50');
    expect(lines.some((l) => l.startsWith('resume with: ') && l.includes('train --resume'))).toBe(true);
    const run = await loadRun(join(out, 'char-rnn.safetensors'));
    expect(run.state.step).toBe(1);
    expect(run.state.history.val.at(-1)![0]).toBe(1);
    const more = await runTrain({ ...cmd.args, resume: true, timeLimit: null }, quiet);
    expect(more).toMatchObject({ steps: 50, timedOut: false });
  });
});
