// The A/B scripts' command line: --runs N and nothing else.
import { describe, expect, it } from 'vitest';
import { runsArgument } from '../src/w1-timing.js';

describe('runsArgument', () => {
  it('reads --runs N, else the default', () => {
    expect(runsArgument('ab', [], 5)).toBe(5);
    expect(runsArgument('ab', ['--runs', '12'], 5)).toBe(12);
  });
  it('refuses an unknown argument, naming it and the script', () => {
    expect(() => runsArgument('ab-step-seq', ['--run', '3'], 9)).toThrow("ab-step-seq: unknown argument '--run'; the only flag is --runs N");
  });
  it('refuses a count that is not a whole number ≥ 1, or a missing one', () => {
    for (const bad of ['0', '2.5', 'many']) {
      expect(() => runsArgument('ab', ['--runs', bad], 5)).toThrow(`ab: --runs must be a whole number ≥ 1; got '${bad}'`);
    }
    expect(() => runsArgument('ab', ['--runs'], 5)).toThrow("ab: --runs must be a whole number ≥ 1; got ''");
  });
});
