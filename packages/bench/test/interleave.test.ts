// The interleaving of persistent runners (src/interleave.ts over src/runner-process.ts), with fake
// runners (test/fixtures/fake-runner.mjs) that report fixed times and log the order they were asked in.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { interleave, rotate } from '../src/interleave.js';
import { formatCommand, parseCommand } from '../src/protocol.js';
import type { Item } from '../src/protocol.js';
import { RunnerProcess } from '../src/runner-process.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-runner.mjs');
const started: RunnerProcess[] = [];
afterEach(() => {
  for (const r of started.splice(0)) r.kill();
});

/** Fake runners a, b, c, … reporting `ms[i]` each, all logging to one new file. */
function fakes(ms: number[], extra: Record<string, string[]> = {}) {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-interleave-')), 'order.log');
  const output: string[] = [];
  const runners = ms.map((t, i) => {
    const label = String.fromCharCode(97 + i);
    const r = new RunnerProcess(label, process.execPath, [FAKE, '--label', label, '--ms', String(t), '--log', log, ...(extra[label] ?? [])],
      { onOutput: (l, line) => output.push(`${l}: ${line}`) });
    started.push(r);
    return r;
  });
  return { runners, output, logged: () => readFileSync(log, 'utf8').trim().split('\n') };
}

const noPause = async () => 0;

describe('the protocol', () => {
  it('formats and parses the four commands, and refuses anything else naming the line', () => {
    const setups = [{ kind: 'setup', item: { workload: 'W4', size: 512 }, warmup: 2 }, { kind: 'setup', item: { workload: 'W1' }, warmup: 0 }] as const;
    for (const c of [...setups, { kind: 'run' }, { kind: 'finish' }, { kind: 'quit' }] as const) {
      expect(parseCommand(formatCommand(c))).toEqual(c);
    }
    expect(formatCommand(setups[0])).toBe('setup W4 512 2');
    for (const bad of ['jump', 'setup W9 - 1', 'setup W1 - -1', 'setup W4 0 1', 'run now', 'setup W1 -']) {
      expect(() => parseCommand(bad)).toThrow(`got '${bad}'`);
    }
  });
});

describe('interleave', () => {
  it('rotate starts round r with runner r mod n', () => {
    expect([0, 1, 2, 3].map((r) => rotate(['a', 'b', 'c'], r).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('asks every runner for one timed run per round, rotating the order, and pauses after the warm-ups and each run', async () => {
    const { runners, output, logged } = fakes([5, 7, 11]);
    const items: Item[] = [{ workload: 'W1' }, { workload: 'W4', size: 256 }];
    const paused: string[] = [];
    const seen: string[] = [];
    const out = await interleave(runners, items, {
      plan: () => ({ warmup: 1, runs: 4 }),
      pause: async (runner) => { paused.push(runner.label); return 0; },
      onResult: (runner, r) => seen.push(`${runner.label} ${r.workload}`),
    });
    const perItem = ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b', 'a', 'b', 'c'];
    expect(out.order.map((o) => o.label)).toEqual([...perItem, ...perItem]);
    // What the runners themselves saw: the same order, each run inside its own item.
    expect(logged()).toEqual([...perItem.map((l) => `${l} W1`), ...perItem.map((l) => `${l} W4 256`)]);
    expect(out.rounds).toEqual([{ item: items[0], rounds: 4 }, { item: items[1], rounds: 4 }]);
    // After the warm-ups every runner settles; then each after its own timed run.
    expect(paused).toEqual([...['a', 'b', 'c', ...perItem], ...['a', 'b', 'c', ...perItem]]);
    expect(out.notes).toEqual([]);
    expect(seen).toEqual(['a W1', 'b W1', 'c W1', 'a W4', 'b W4', 'c W4']);
    expect(out.results.map((r) => [r.workload, r.size, r.medianMs, r.timesMs.length]))
      .toEqual([['W1', undefined, 5, 4], ['W1', undefined, 7, 4], ['W1', undefined, 11, 4], ['W4', 256, 5, 4], ['W4', 256, 7, 4], ['W4', 256, 11, 4]]);
    // Untagged output is passed on under the runner's name; @@info records are collected.
    expect(output).toContain('b: a line of ordinary output from b');
    for (const r of out.alive) await r.quit();
    expect(runners[2]!.infos).toEqual([{ system: 'fake', label: 'c' }, { memory: { label: 'c' } }]);
  });

  it('drops a runner that dies mid-run with a note naming it, its command and its stderr, and goes on with the others', async () => {
    const { runners, logged } = fakes([5, 7, 11], { b: ['--die-at-run', '3'] });
    const items: Item[] = [{ workload: 'W3' }, { workload: 'W2' }];
    const out = await interleave(runners, items, { plan: () => ({ warmup: 0, runs: 3 }), pause: noPause });
    expect(out.notes).toHaveLength(1);
    expect(out.notes[0]).toMatch(/^b failed at W3 and was dropped: b exited with code 3 during 'run'; its stderr ends:\n.*fake runner b: simulated crash at run 3/);
    expect(out.alive.map((r) => r.label)).toEqual(['a', 'c']);
    // Round 0: a b c; round 1: b c a; round 2: c a (b dies at its third run).
    expect(logged()).toEqual(['a W3', 'b W3', 'c W3', 'b W3', 'c W3', 'a W3', 'c W3', 'a W3',
      'a W2', 'c W2', 'c W2', 'a W2', 'a W2', 'c W2']);
    expect(out.results.map((r) => `${r.medianMs} ${r.workload} ${r.timesMs.length}`)).toEqual(['5 W3 3', '11 W3 3', '5 W2 3', '11 W2 3']);
  });

  it('a runner that cannot start, or is asked before it answered, fails with its name', async () => {
    const missing = new RunnerProcess('ghost 2T', '/nonexistent/runner', []);
    started.push(missing);
    await expect(missing.setup({ workload: 'W1' }, 0)).rejects.toThrow(/^ghost 2T could not start: .*ENOENT.* during 'setup W1 - 0'/);
    const { runners } = fakes([5]);
    const first = runners[0]!.setup({ workload: 'W1' }, 0);
    await expect(runners[0]!.run()).rejects.toThrow("a: 'run' sent while 'setup W1 - 0' is unanswered");
    await first;
  });

  it('a runner that exits non-zero on quit is reported', async () => {
    const { runners } = fakes([5]);
    await expect(runners[0]!.finish()).rejects.toThrow(/^a exited with code \d+ during 'finish'/);
    await expect(runners[0]!.quit()).rejects.toThrow(/^a exited with code \d+ during 'quit'/);
  });
});
