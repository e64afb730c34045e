// The one flag parser of the example scripts and the char-rnn CLI (the CLI's own cases: char-rnn/cli.test.ts).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError, flagName, helpLines, parseFlags } from '../src/flags.js';

const spec = {
  steps: { kind: 'int', min: 0, help: 'steps' },
  csv: { kind: 'string', help: 'file' },
  help: { kind: 'bool', help: 'help' },
} as const;

describe('parseFlags', () => {
  it('reads numbers, strings and switches; absent flags without a default are null', () => {
    expect(parseFlags(['--steps', '30', '--csv', 'a.csv', '--help'], spec, 'x.ts').values).toEqual({ steps: 30, csv: 'a.csv', help: true });
    expect(parseFlags(['--steps=4'], spec, 'x.ts').values).toEqual({ steps: 4, csv: null, help: false });
    expect(helpLines(spec).join('\n')).toContain('--steps N');
  });

  it('names the flag in every error, and suggests the closest known flag', () => {
    const fails = (argv: string[], message: string) => {
      expect(() => parseFlags(argv, spec, 'x.ts')).toThrow(UsageError);
      expect(() => parseFlags(argv, spec, 'x.ts')).toThrow(message);
    };
    fails(['--stpes', '3'], 'x.ts: unknown flag --stpes (did you mean --steps?)');
    fails(['--steps', 'many'], "--steps expects an integer ≥ 0; got 'many'");
    fails(['--csv'], '--csv needs a value (a text value)');
    fails(['--csv', '--steps', '3'], '--csv needs a value (a text value)');
    fails(['steps'], "x.ts: unexpected argument 'steps'");
    fails(['--steps', '1', '--steps', '2'], 'x.ts: --steps is given twice');
  });

  it('spells camelCase keys in kebab-case, and a one-capital key as it is', () => {
    expect(flagName('seqLen')).toBe('--seq-len');
    expect(flagName('T')).toBe('--T');
    expect(flagName('eval-every')).toBe('--eval-every');
  });
});

describe('scriptFlags (every example script)', () => {
  const examples = join(dirname(fileURLToPath(import.meta.url)), '..');
  const run = (script: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--conditions=unroll-source', join(examples, 'scripts', script), ...args], { encoding: 'utf8', cwd: examples });

  it('a misspelt flag stops the script with one line, "did you mean", and exit 2; --help prints the flags', () => {
    const bad = run('adding-problem.ts', '--stesp', '10');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('adding-problem.ts: unknown flag --stesp (did you mean --steps?)');
    const help = run('uses/sentiment.ts', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: sentiment\.ts \[flags\]\n {2}--steps N/);
  }, 60_000);
});
