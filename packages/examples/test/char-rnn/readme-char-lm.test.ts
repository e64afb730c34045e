// The README's 30-minute char-LM commands (a 2-layer LSTM with dropout on tinyshakespeare, validated on
// char-rnn's split and on the tail of the text), shortened: the documented lines parse as written, and
// with a tiny model and a few steps the first trains from a fresh clone (tinyshakespeare in ../shared
// beside it, as in CI), checkpointing as it goes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../src/char-rnn/checkpoint.js';
import { examplesDir, repoRoot } from '../../src/char-rnn/corpus.js';
import { parseCommandLine } from '../../src/char-rnn/options.js';
import { runTrain } from '../../src/char-rnn/train-command.js';

const dir = mkdtempSync(join(tmpdir(), 'char-lm-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { print: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream };

/** The command in the README's `<!-- tag -->` block, as words after `pnpm start`. */
function readmeCommand(tag = 'char-lm-30min'): string[] {
  const readme = readFileSync(join(examplesDir(), 'README.md'), 'utf8');
  const block = new RegExp(`<!-- ${tag} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (!block) throw new Error(`README.md has no <!-- ${tag} --> block`);
  const line = block.replace(/\\\n\s*/g, ' ').trim();
  const words = line.split(/\s+/);
  const start = words.indexOf('start');
  expect(words.slice(start - 1, start + 1)).toEqual(['pnpm', 'start']);
  return words.slice(start + 1);
}

/** `words` with the values of the given flags replaced (each flag must be present). */
function withValues(words: string[], values: Record<string, string>): string[] {
  const out = [...words];
  for (const [flag, value] of Object.entries(values)) {
    const at = out.indexOf(flag);
    if (at < 0) out.push(flag, value);
    else out[at + 1] = value;
  }
  return out;
}

describe("the README's 30-minute char-LM commands", () => {
  it.each([['char-lm-30min', 50], ['char-lm-30min-tail', 1]])(
    '%s trains a 2-layer LSTM with dropout on tinyshakespeare within a 30-minute budget, checkpointing as it goes (validation pieces: %i)',
    (tag, valPieces) => {
      const cmd = parseCommandLine(readmeCommand(tag));
      if (cmd.command !== 'train') throw new Error('expected train');
      expect(cmd.args.config).toMatchObject({ cell: 'lstm', layers: 2, valFraction: 0.05, valPieces });
      expect(cmd.args.config.dropout).toBeGreaterThan(0);
      expect(cmd.args.timeLimit).not.toBeNull();
      expect(cmd.args.timeLimit!).toBeLessThanOrEqual(30);
      expect(cmd.args.text).toBe('../shared/data/tinyshakespeare.txt');
      expect(cmd.args.checkpointEvery).toBeGreaterThan(0);
    });

  it('runs shortened (tiny model, a few steps) from the repository root', async () => {
    const text = join(repoRoot(), '..', 'shared', 'data', 'tinyshakespeare.txt');
    expect(existsSync(text), `${text} is missing`).toBe(true);
    const out = join(dir, 'out');
    const words = withValues(readmeCommand(), {
      '--text': text, '--out': out, '--hidden': '16', '--steps': '4', '--eval-every': '2', '--checkpoint-every': '2', '--sample-length': '20',
    });
    const cmd = parseCommandLine(words);
    if (cmd.command !== 'train') throw new Error('expected train');
    const summary = await runTrain(cmd.args, quiet);
    expect(summary).toMatchObject({ steps: 4, timedOut: false, interrupted: false });
    expect(summary.valLoss).toBeLessThan(Math.log(65) + 0.5);
    expect(readFileSync(summary.lossCurve, 'utf8')).toContain('<svg');
    const run = await loadRun(summary.checkpoint);
    expect(run.state.history.val.map(([s]) => s)).toEqual([2, 4]);
    expect(run.config).toMatchObject({ layers: 2, hidden: 16 });
  });
});
