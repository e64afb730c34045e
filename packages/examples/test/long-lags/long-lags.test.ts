// The long-lag runs: the recent-outcomes rule, the problems, option refusals, short training runs that
// learn, and the script end to end (shortened: the full runs are documented in the README, not run here).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RandomGenerator, tensor } from '@unroll/autograd';
import {
  RecentOutcomes, lagProblem, lagTable, paperSequences, resolveLagOptions, trainLongLag,
} from '../../src/long-lags/index.js';
import type { LagResult } from '../../src/long-lags/index.js';

describe('RecentOutcomes', () => {
  it('is all-correct only when full and every recorded outcome in the window is correct', () => {
    const r = new RecentOutcomes(4);
    r.push([true, true, true]);
    expect([r.count, r.accuracy, r.allCorrect]).toEqual([3, 1, false]);
    r.push([true]);
    expect(r.allCorrect).toBe(true);
    r.push([false, true]);
    expect([r.count, r.accuracy, r.allCorrect]).toEqual([4, 0.75, false]);
    r.push([true, true, true]); // the false one has left the window
    expect(r.allCorrect).toBe(true);
    expect(() => new RecentOutcomes(0)).toThrow('RecentOutcomes: size must be a positive integer; got 0');
  });
});

describe('lagProblem', () => {
  it('scores the adding problem with |error| < 0.04 and temporal order with the 0.3 rule on softmax outputs', () => {
    const adding = lagProblem('adding', 10);
    const batch = adding.batch(3, new RandomGenerator(1));
    const t = batch.targets.values();
    const near = tensor([[t[0]! + 0.039], [t[1]! - 0.041], [t[2]!]]);
    expect(adding.correct(near, batch)).toEqual([true, false, true]);
    const order = lagProblem('order-2', 20);
    expect([order.inputSize, order.outputSize]).toEqual([8, 4]);
    const ob = order.batch(2, new RandomGenerator(2));
    const y = Array.from(ob.targets.values());
    // Logits with a margin of 3 give p ≈ 0.87 for the class; a margin of 1 gives ≈ 0.48.
    const logits = (margin: number) => tensor(y.map((c) => [0, 1, 2, 3].map((k) => (k === c ? margin : 0))));
    expect(order.correct(logits(3), ob)).toEqual([true, true]);
    expect(order.correct(logits(1), ob)).toEqual([false, false]);
    expect(lagProblem('order-3', 100).outputSize).toBe(8);
  });

  it('refuses a T the problem cannot use, and an unknown problem', () => {
    expect(() => lagProblem('adding', 3)).toThrow('lagProblem: T of the adding problem must be an integer ≥ 4; got 3');
    expect(() => lagProblem('order-2', 10)).toThrow(/T must be an integer ≥ 20; got 10/);
    expect(() => lagProblem('order-4' as 'adding', 100)).toThrow("lagProblem: problem must be one of adding, order-2, order-3; got 'order-4'");
  });
});

describe('resolveLagOptions', () => {
  it('fills in the recipe and refuses bad options by name', () => {
    const r = resolveLagOptions({ problem: 'adding', T: 100, budget: 1000 });
    expect(r).toMatchObject({ batchSize: 32, hiddenSize: 32, lr: 0.01, clip: 1, forgetBias: 3, inputBias: -3, window: 2000, testSize: 2560, seed: 0 });
    const bad = (o: object, message: string | RegExp) =>
      expect(() => resolveLagOptions({ problem: 'adding', T: 100, budget: 1000, ...o })).toThrow(message);
    bad({ budget: 0 }, 'trainLongLag: budget must be a positive integer; got 0');
    bad({ batchSize: 2.5 }, 'trainLongLag: batchSize must be a positive integer; got 2.5');
    bad({ window: -1 }, 'trainLongLag: window must be a positive integer; got -1');
    bad({ lr: 0 }, 'trainLongLag: lr must be a positive number; got 0');
    bad({ clip: Number.NaN }, 'trainLongLag: clip must be a positive number; got NaN');
    bad({ inputBias: Number.POSITIVE_INFINITY }, 'trainLongLag: inputBias must be a finite number or null; got Infinity');
    bad({ seed: -1 }, 'trainLongLag: seed must be a non-negative integer; got -1');
    bad({ problem: 'nope' }, "trainLongLag: problem must be one of adding, order-2, order-3; got 'nope'");
    bad({ problem: 'order-3', T: 12 }, /T must be an integer ≥ 20; got 12/);
    expect(() => trainLongLag('lstmm' as 'lstm', { problem: 'adding', T: 10, budget: 10 })).toThrow(/trainLongLag: model must be one of lstm, .*; got 'lstmm'/);
  });
});

describe('trainLongLag', () => {
  it('an LSTM solves temporal order 6a at T = 20 by the recent-window rule and passes the test; the run is seeded', () => {
    const opts = { problem: 'order-2', T: 20, budget: 6400, batchSize: 16, window: 200, testSize: 128 } as const;
    const r = trainLongLag('lstm', opts);
    expect(r.solvedAt).not.toBeNull();
    expect(r.solvedAt).toBe(r.sequences);
    expect(r.sequences).toBeLessThan(r.budget);
    expect(r.recentAccuracy).toBe(1);
    expect(r.test.accuracy).toBeGreaterThan(0.95);
    const again = trainLongLag('lstm', opts);
    expect(again.losses).toEqual(r.losses);
    expect(again.test).toEqual(r.test);
  });

  it('the adding problem at T = 50: the LSTM\'s loss falls well below the baseline; a run that is not solved spends the budget', () => {
    const r = trainLongLag('lstm', { problem: 'adding', T: 50, budget: 9600, testSize: 256 });
    const first = r.losses.slice(0, 20).reduce((a, b) => a + b) / 20;
    expect(r.finalLoss).toBeLessThan(first / 2);
    expect(r.test.loss).toBeLessThan(0.02); // always 0.5 scores about 0.04
    const rnn = trainLongLag('rnn', { problem: 'adding', T: 50, budget: 320, batchSize: 32, testSize: 64 });
    expect(rnn.solvedAt).toBeNull();
    expect([rnn.steps, rnn.sequences, rnn.budget]).toEqual([10, 320, 320]);
  }, 30_000);
});

describe('lagTable', () => {
  it('puts the paper\'s figure beside ours and says when a run was not solved', () => {
    expect(paperSequences('adding', 1000)).toBe(853_000);
    expect(paperSequences('order-3', 100)).toBe(571_100);
    expect(paperSequences('adding', 50)).toBeNull();
    const base = { title: '', batchSize: 32, parameters: 10, steps: 5, losses: [], seconds: 12, model: undefined as never, recentAccuracy: 1, finalLoss: 0.001 };
    const rows: LagResult[] = [
      { ...base, problem: 'adding', kind: 'lstm', T: 1000, sequences: 160, solvedAt: 160, budget: 320, test: { accuracy: 2559 / 2560, wrong: 1, loss: 0.0001, count: 2560 } },
      { ...base, problem: 'order-2', kind: 'rnn', T: 100, sequences: 320, solvedAt: null, budget: 320, recentAccuracy: 0.25, test: { accuracy: 0, wrong: 2560, loss: 1.38, count: 2560 } },
    ];
    const lines = lagTable(rows).split('\n');
    expect(lines[2]).toBe('| adding, T = 1000 | lstm (LSTM with forget gate) | 10 | 160 | 853,000 | 1 of 2560 (99.96 % correct) | 0.00100 | 12 s |');
    expect(lines[3]).toContain('| temporal order 6a, T = 100 | rnn (Elman RNN, tanh) | 10 | not solved in 320 (recent 25.0 % correct) | 31,390 | 2560 of 2560');
  });
});

describe('scripts/long-lags.ts (shortened)', () => {
  const examples = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--conditions=unroll-source', join(examples, 'scripts', 'long-lags.ts'), ...args],
      { encoding: 'utf8', cwd: examples, env: { ...process.env, UNROLL_NUM_THREADS: '1' } });

  it('trains, shows progress on stderr and prints the results table', () => {
    const r = run('--problem', 'order-2', '--T', '20', '--cell', 'lstm,rnn', '--budget', '3200', '--batch', '16', '--window', '200', '--test-size', '128');
    expect(r.stderr).toMatch(/lstm \| .*seqs [\d,]+ \| loss [\d.]+ \| recent [\d.]+%/);
    expect(r.stderr).toMatch(/lstm: solved after [\d,]+ sequences in \d+ s/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('temporal order (experiment 6a), 2 relevant symbols at [2, 4], [10, 12], lengths 20–22, 4 classes');
    expect(r.stdout).toMatch(/\| temporal order 6a, T = 20 \| lstm .* \| [\d,]+ \| — \|/);
    expect(r.stdout).toMatch(/\| temporal order 6a, T = 20 \| rnn .* \| not solved in 3,200 /);
  }, 60_000);

  it('refuses a bad flag value with the flag\'s name and exit 2', () => {
    const cell = run('--cell', 'lstm,lstmm');
    expect(cell.status).toBe(2);
    expect(cell.stderr).toContain("unknown model 'lstmm'");
    const t = run('--problem', 'order-3', '--T', '12');
    expect(t.status).toBe(2);
    expect(t.stderr).toContain('T must be an integer ≥ 20; got 12');
    const bias = run('--input-bias', 'high');
    expect(bias.status).toBe(2);
    expect(bias.stderr).toContain("--input-bias expects a number; got 'high' (or 'none')");
  }, 60_000);
});
