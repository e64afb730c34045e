// The CLI under hostile use (issue 16 item 7): a binary --text file is refused with the byte offset,
// sample lengths are bounded and streamed, --out/--checkpoint are checked before the first step,
// and weights that do not fit their config give one line naming the tensor and both shapes.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/flags.js';
import { loadRun, modelOf } from '../../src/char-rnn/checkpoint.js';
import { readTextFile } from '../../src/char-rnn/corpus.js';
import { parseCommandLine } from '../../src/char-rnn/options.js';
import type { SampleArgs, TrainArgs } from '../../src/char-rnn/options.js';
import { MAX_SAMPLE_LENGTH, sampleText } from '../../src/char-rnn/sample.js';
import { runSample } from '../../src/char-rnn/sample-command.js';
import { runTrain } from '../../src/char-rnn/train-command.js';
import { readSeriesCsv } from '../../src/uses/time-series/files.js';
import { RandomGenerator } from '@unroll/autograd';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = ['--hidden', '4', '--embed', '2', '--seq-len', '4', '--batch', '2', '--eval-every', '1', '--sample-length', '5', '--steps', '1'];
const trainArgs = (argv: string[]): TrainArgs => {
  const cmd = parseCommandLine(['train', ...argv]);
  if (cmd.command !== 'train') throw new Error('expected train');
  return cmd.args;
};
const quietIO = () => {
  const lines: string[] = [];
  return { lines, io: { print: (l: string) => { lines.push(l); }, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream } };
};

describe('--text must be UTF-8', () => {
  it('a binary file is refused with the byte offset of the first bad sequence, not read as U+FFFD', () => {
    const bin = join(dir, 'data.bin');
    writeFileSync(bin, Buffer.from([0x61, 0x62, 0x0a, 0x63, 0xff, 0xfe, 0x00, 0x80]));
    expect(() => readTextFile(bin)).toThrow(`--text: '${bin}' is not UTF-8 text: invalid byte sequence at byte offset 4 (line 2, byte 0xff)`);
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from('café crème', 'latin1'));
    expect(() => readTextFile(latin1)).toThrow('invalid byte sequence at byte offset 3 (line 1, byte 0xe9)');
    const utf8 = join(dir, 'utf8.txt');
    writeFileSync(utf8, '\ufeffcafé crème 🎉\n');
    expect(readTextFile(utf8).text).toBe('café crème 🎉\n'); // a BOM is dropped, everything else kept
  });

  it('so is a CSV for the time-series example (the same reader)', () => {
    const csv = join(dir, 'prices.csv');
    writeFileSync(csv, Buffer.concat([Buffer.from('date,close\n2020-01-01,'), Buffer.from([0xc3, 0x28])]));
    expect(() => readSeriesCsv('close', csv)).toThrow(`the CSV file ${csv} is not UTF-8 text: invalid byte sequence at byte offset 22 (line 2, byte 0xc3)`);
  });
});

describe('train checks where it writes before the first step', () => {
  const text = join(dir, 'tiny.txt');
  writeFileSync(text, 'abcabcabd\n'.repeat(20));

  it('--out naming a file is one clear line, not a raw EEXIST from mkdir, and nothing is trained', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const { lines, io } = quietIO();
    await expect(runTrain(trainArgs(['--text', text, '--out', file, ...tiny]), io)).rejects.toThrow(
      `--out: '${file}' is a file, but --out (the folder for the checkpoint and the loss curve) must be a folder`);
    expect(lines).toEqual([]); // refused before loading the text or training
    await expect(runTrain(trainArgs(['--text', text, '--out', join(file, 'sub'), ...tiny]), io)).rejects.toThrow(
      `--out: cannot create or write the folder '${join(file, 'sub')}' (a parent of it is a file)`);
  });

  it('--checkpoint naming a folder is refused up front', async () => {
    const folder = join(dir, 'ckpt-folder');
    mkdirSync(folder);
    const { lines, io } = quietIO();
    await expect(runTrain(trainArgs(['--text', text, '--out', join(dir, 'o1'), '--checkpoint', folder, ...tiny]), io)).rejects.toThrow(
      `--checkpoint: '${folder}' is a folder; give a file path (e.g. ${join(folder, 'char-rnn.safetensors')})`);
    expect(lines).toEqual([]);
    const file = join(dir, 'blocker');
    writeFileSync(file, 'x');
    await expect(runTrain(trainArgs(['--text', text, '--out', join(dir, 'o2'), '--checkpoint', join(file, 'c.safetensors'), ...tiny]), io))
      .rejects.toThrow(`--checkpoint: '${file}' is a file, but the folder holding the checkpoint must be a folder`);
  });
});

describe('sample', () => {
  const text = join(dir, 'tiny2.txt');
  writeFileSync(text, 'to be or not to be\n'.repeat(20));
  const out = join(dir, 'run');
  const ckpt = join(out, 'char-rnn.safetensors');
  const trained = (async () => runTrain(trainArgs(['--text', text, '--out', out, ...tiny]), quietIO().io))();

  it('--length is bounded (1e15 is refused at once) and checked by sampleText too', async () => {
    expect(() => parseCommandLine(['sample', '--length', '1e15'])).toThrow(UsageError);
    expect(() => parseCommandLine(['sample', '--length', String(MAX_SAMPLE_LENGTH + 1)])).toThrow(`--length expects an integer in [0, ${MAX_SAMPLE_LENGTH}]`);
    expect(() => parseCommandLine(['train', '--sample-length', '1e9'])).toThrow(UsageError);
    await trained;
    const model = modelOf(await loadRun(ckpt));
    const run = await loadRun(ckpt);
    expect(() => sampleText(model, run.vocab, { seedText: 't', length: 1e15, generator: new RandomGenerator(1) }))
      .toThrow(`sample: --length must be an integer in [0, ${MAX_SAMPLE_LENGTH}]; got 1000000000000000`);
  });

  it('streams the text as it is generated: the seed first, then pieces, then a newline', async () => {
    await trained;
    const pieces: string[] = [];
    const args: SampleArgs = { checkpoint: ckpt, seedText: 'to ', length: 200, temperature: 1, topK: 0, seed: 2 };
    const text = await runSample(args, (p) => { pieces.push(p); });
    expect(pieces[0]).toBe('to ');
    expect(pieces.length).toBeGreaterThanOrEqual(5); // 200 characters in pieces of at most 64
    expect(pieces.at(-1)).toBe('\n');
    expect(pieces.join('')).toBe(`${text}\n`);
    expect(text).toHaveLength(203);
    // An unknown seed character is refused before anything is written.
    const none: string[] = [];
    await expect(runSample({ ...args, seedText: 'to?' }, (p) => { none.push(p); })).rejects.toThrow('the seed text has "?"');
    expect(none).toEqual([]);
  });

  it('weights that do not fit the config: one line naming the tensor and both shapes', async () => {
    await trained;
    const run = await loadRun(ckpt);
    run.config = { ...run.config, hidden: 5 };
    let message = '';
    try { modelOf(run); } catch (err) { message = (err as Error).message; }
    expect(message).not.toContain('\n');
    expect(message).toMatch(new RegExp(`^checkpoint '.*': its weights do not fit its own config and \\d+-symbol vocabulary: tensor '[\\w.]+' is \\[\\d+(, \\d+)*\\] but the model expects \\[\\d+(, \\d+)*\\] \\(and \\d+ more\\)$`));
    expect(readdirSync(out)).toContain('char-rnn.safetensors');
  });
});
