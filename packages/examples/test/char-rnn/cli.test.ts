import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/flags.js';
import { main } from '../../src/char-rnn/main.js';
import { parseCommandLine } from '../../src/char-rnn/options.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = fileURLToPath(new URL('../../bin/char-rnn.mjs', import.meta.url));

const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean));
const usage = (line: string, message: string) => {
  expect(() => parse(line)).toThrow(UsageError);
  expect(() => parse(line)).toThrow(message);
};

describe('command line', () => {
  it('defaults to train, fills in defaults and reads --flag value, --flag=value and switches', () => {
    const cmd = parse('--hidden 64 --lr=1e-3 --peephole --optim rmsprop');
    expect(cmd.command).toBe('train');
    if (cmd.command !== 'train') return;
    expect(cmd.args.config).toMatchObject({ hidden: 64, lr: 0.001, peephole: true, optim: 'rmsprop', cell: 'lstm', layers: 1 });
    expect([...cmd.args.givenConfig].sort()).toEqual(['hidden', 'lr', 'optim', 'peephole']);
    expect(cmd.args.checkpoint).toBe(join(cmd.args.out, 'char-rnn.safetensors'));
    const s = parseCommandLine(['sample', '--seed-text', 'let x = ', '--top-k', '10']);
    expect(s).toMatchObject({ command: 'sample', args: { seedText: 'let x = ', topK: 10, length: 500, temperature: 0.8, seed: 1 } });
    expect(parse('sample --help')).toEqual({ command: 'help', topic: 'sample' });
    expect(parse('--help')).toEqual({ command: 'help', topic: null });
    expect(parse('--layers 2 -h')).toEqual({ command: 'help', topic: 'train' });
  });

  it('refuses unknown flags, suggesting the closest one', () => {
    usage('--hiden 64', 'train: unknown flag --hiden (did you mean --hidden?)');
    usage('--frobnicate', 'train: unknown flag --frobnicate');
    usage('--top-k 5', "train: --top-k is a flag of 'sample', not of 'train'");
    usage('sample --layers 2', "sample: --layers is a flag of 'train', not of 'sample'");
    usage('fly', "unknown command 'fly' (commands: train, sample, help)");
    usage('train extra', "train: unexpected argument 'extra'");
  });

  it('refuses bad numbers and values, saying what was expected', () => {
    usage('--hidden abc', "--hidden expects an integer ≥ 1; got 'abc'");
    usage('--hidden 12.5', "--hidden expects an integer ≥ 1; got '12.5'");
    usage('--hidden 0', "--hidden expects an integer ≥ 1; got '0'");
    usage('--lr 0', "--lr expects a number > 0; got '0'");
    usage('--lr 0x10', "--lr expects a number > 0; got '0x10'");
    usage('--dropout 1', "--dropout expects a number in [0, 1); got '1'");
    usage('--cell transformer', "--cell must be one of lstm, gru, rnn; got 'transformer'");
    usage('--steps', '--steps needs a value (an integer ≥ 1)');
    usage('--steps 5 --steps 6', 'train: --steps is given twice');
    usage('--peephole=yes', '--peephole is a switch');
    usage('sample --temperature -1', "--temperature expects a number ≥ 0; got '-1'");
    usage('--cell gru --peephole --forget-bias 1', 'train: --peephole, --forget-bias apply to --cell lstm only (the cell is gru)');
    usage('--nonlinearity relu', '--nonlinearity applies to --cell rnn only (the cell is lstm)');
  });

  it('main prints a command-line error on one line and exits with 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--batch', 'many'])).toBe(2);
      expect(String(err.mock.calls[0]![0])).toContain("error: --batch expects an integer ≥ 1; got 'many'");
      expect(await main(['sample', '--checkpoint', join(dir, 'missing.safetensors')])).toBe(1);
      expect(String(err.mock.calls.at(-1)![0])).toContain(`sample: there is no checkpoint at '${join(dir, 'missing.safetensors')}'`);
    } finally {
      err.mockRestore();
    }
  });
});

describe('the unroll-char-rnn bin, end to end', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

  it('trains a tiny model, writes the checkpoint and loss curve, resumes, and samples from it', () => {
    const text = join(dir, 'tiny.txt');
    writeFileSync(text, 'to be or not to be, that is the question.\n'.repeat(20));
    const out = join(dir, 'out');
    const flags = ['--text', text, '--out', out, '--hidden', '8', '--embed', '4', '--seq-len', '8', '--batch', '2', '--eval-every', '2', '--sample-length', '10'];
    const first = run(['train', ...flags, '--steps', '3']);
    expect(first.stderr).not.toContain('error');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/validation loss \d+\.\d{3} nats\/char \(\d+\.\d{3} bits\/char\) at step 3/);
    expect(first.stdout).toContain(`checkpoint: ${join(out, 'char-rnn.safetensors')}`);
    expect(readFileSync(join(out, 'loss-curve.svg'), 'utf8')).toContain('<svg');

    const resumed = run(['train', '--resume', '--out', out, '--steps', '5', '--sample-length', '10']);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain("resuming from");
    expect(resumed.stdout).toContain('at step 5');
    const contradict = run(['train', '--resume', '--out', out, '--hidden', '16']);
    expect(contradict.status).toBe(1);
    expect(contradict.stderr).toContain('--resume: --hidden 16 contradicts the checkpoint, which was trained with 8');

    const ckpt = join(out, 'char-rnn.safetensors');
    const a = run(['sample', '--checkpoint', ckpt, '--seed-text', 'to be', '--length', '30', '--seed', '3']);
    const b = run(['sample', '--checkpoint', ckpt, '--seed-text', 'to be', '--length', '30', '--seed', '3']);
    expect(a.status).toBe(0);
    expect(a.stdout.startsWith('to be')).toBe(true);
    expect(a.stdout).toBe(b.stdout);
    const bad = run(['sample', '--checkpoint', ckpt, '--seed-text', 'to be?']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error: the seed text has "?" (U+003F) at character 5');
    expect(existsSync(join(out, 'char-rnn.safetensors'))).toBe(true);
  });
});
