// The README's unroll-vs-PyTorch comparison, shortened: scripts/char-lm-vs-torch.ts runs from a
// fresh clone (tinyshakespeare in ../shared beside it, as in CI), PyTorch's side skipped with a note
// when /usr/bin/python3 has no torch; the CLI line it prints trains the very same numbers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../src/char-rnn/checkpoint.js';
import { repoRoot } from '../../src/char-rnn/corpus.js';
import { parseCommandLine } from '../../src/char-rnn/options.js';
import { cliCommand, compareWithTorch, comparisonTable, probeTorch } from '../../src/char-rnn/torch-comparison.js';
import { runTrain } from '../../src/char-rnn/train-command.js';

const root = repoRoot();
const shakespeare = join(root, '..', 'shared', 'data', 'tinyshakespeare.txt');
const script = join(root, 'packages', 'examples', 'scripts', 'char-lm-vs-torch.ts');
const dir = mkdtempSync(join(tmpdir(), 'char-lm-vs-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const torch = probeTorch('/usr/bin/python3');
const small = { steps: 6, evalAt: [3, 6], hidden: 24, batch: 8, seqLen: 16, lr: 2e-3, clip: 5, seed: 1 };
const quiet = { print: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream };

describe('char-lm-vs-torch', () => {
  it('tinyshakespeare is beside the repository (../shared/data, as in CI)', () => {
    expect(existsSync(shakespeare), `${shakespeare} is missing`).toBe(true);
  });

  it('the script runs both sides (or unroll alone with a note) and prints the table', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=unroll-source', script, '--steps', '6', '--eval-at', '3,6',
      '--hidden', '24', '--batch', '8', '--seq-len', '16'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('recipe: one-hot inputs → LSTM 24 → Linear; batch 8 streams × 16 characters, Adam lr 0.002 (constant), clip 5');
    expect(r.stdout).toContain('validation loss, nats/char (65 symbols)');
    const rows = [...r.stdout.matchAll(/^\| (\d+) \| (\d\.\d{4}) \| (\d\.\d{4}|—) \|/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]] as const);
    expect(rows.map(([s]) => s)).toEqual([3, 6]);
    if (torch.problem) {
      expect(r.stdout).toContain(`PyTorch skipped: ${torch.problem}`);
      expect(rows.every(([, , t]) => t === '—')).toBe(true);
    } else {
      expect(r.stdout).toContain(`PyTorch ${torch.version} (1 thread, from unroll's initial weights)`);
      // The same weights, batches and validation: after a few steps the two agree to rounding.
      for (const [step, mine, theirs] of rows) expect(Math.abs(mine - Number(theirs)), `step ${step}`).toBeLessThan(2e-3);
    }
  });

  it('refuses bad --eval-at steps and a missing --text with a usage error', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--conditions=unroll-source', script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const late = run(['--steps', '5', '--eval-at', '3,9', '--python', 'none']);
    expect(late.status).toBe(2);
    expect(late.stderr).toContain("--eval-at must list integers in [1, 5]; got '3,9'");
    const missing = run(['--text', join(dir, 'none.txt'), '--python', 'none']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`--text: no file at '${join(dir, 'none.txt')}'`);
  });

  it('the CLI line it prints trains the same numbers as its unroll side; a missing Python is a note, not a failure', async () => {
    const text = readFileSync(shakespeare, 'utf8');
    const alone = await compareWithTorch({ ...small, text, torchInit: 'unroll', python: join(dir, 'no-python'), torchThreads: 1 });
    expect(alone.torchSkipped).toMatch(/^.*no-python cannot be run \(ENOENT\)$/);
    expect(alone.rows.map((r) => r.torch)).toEqual([null, null]);
    expect(comparisonTable(alone)).toContain('| 3 | ');

    const line = cliCommand(small, shakespeare);
    expect(line).toContain('--input one-hot --hidden 24 --batch 8 --seq-len 16 --lr 0.002 --schedule constant --warmup 0 --clip 5 --steps 6 --seed 1 --eval-every 3');
    const cmd = parseCommandLine([...line.replace(/^pnpm start /, '').split(' '), '--out', dir, '--sample-length', '0']);
    if (cmd.command !== 'train') throw new Error('expected train');
    await runTrain(cmd.args, quiet);
    const { state } = await loadRun(cmd.args.checkpoint);
    expect(state.history.val).toEqual(alone.rows.map((r) => [r.step, r.unroll]));
  });
});
