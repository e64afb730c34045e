// The real runners speak the protocol (run-unroll.ts always; torch_bench.py where Debian's Python has
// torch), and the command refuses an unknown flag and prints the interleaved run. Times are never checked.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunnerProcess } from '../src/runner-process.js';
import { PYTHON, TORCH_BENCH, torchUnavailable } from '../src/torch-setup.js';

const PACKAGE_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** How the bench starts its Node runners: tsx's loader and the source condition. */
const TSX = ['--import', 'tsx', '--conditions=unroll-source'];
const started: RunnerProcess[] = [];
afterEach(() => {
  for (const r of started.splice(0)) r.kill();
});
const runner = (label: string, command: string, args: string[]) => {
  const r = new RunnerProcess(label, command, args, { cwd: PACKAGE_DIR, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  started.push(r);
  return r;
};

/** setup / run / run / finish on a small gemm and on W3, then quit: what every runner must answer. */
async function exercise(r: RunnerProcess, system: string) {
  await r.setup({ workload: 'W4', size: 64 }, 1);
  expect(await r.run()).toBeGreaterThanOrEqual(0);
  await r.run();
  const gemm = await r.finish();
  expect(gemm).toMatchObject({ system, workload: 'W4', size: 64, threads: 1 });
  expect(gemm.timesMs).toHaveLength(2);
  await r.setup({ workload: 'W3' }, 0);
  await r.run();
  const w3 = await r.finish();
  expect(w3).toMatchObject({ system, workload: 'W3', parameters: 347_457 });
  expect(w3.check).toHaveLength(1);
  expect(w3.size).toBeUndefined();
  await r.quit();
  expect(r.infos[0]).toMatchObject({ system, threads: 1 });
}

describe('the runners', () => {
  it('run-unroll.ts --serve answers the protocol and reports its memory at quit', async () => {
    const r = runner('unroll 1T', process.execPath, [...TSX, '--expose-gc', 'src/run-unroll.ts', '--serve', '--threads', '1']);
    await exercise(r, 'unroll');
    expect(r.infos.at(-1)).toMatchObject({ system: 'unroll', memory: { gcAvailable: true } });
  });

  it('run-unroll.ts refuses a run before any setup, naming itself', async () => {
    const r = runner('unroll 1T', process.execPath, [...TSX, 'src/run-unroll.ts', '--serve', '--threads', '1']);
    await expect(r.run()).rejects.toThrow(/^unroll 1T exited with code 1 during 'run'; its stderr ends:[^]*unroll runner: 'run' before any 'setup'/);
  });

  it.skipIf(torchUnavailable() !== null)('torch_bench.py --serve answers the protocol (skipped without torch)', async () => {
    await exercise(runner('torch 1T', PYTHON, [TORCH_BENCH, '--serve', '--threads', '1']), 'torch');
  });
});

describe('pnpm bench', () => {
  const bench = (...args: string[]) => spawnSync(process.execPath, [...TSX, '--expose-gc', 'src/bench.ts', ...args],
    { cwd: PACKAGE_DIR, encoding: 'utf8' });

  it('refuses an unknown flag with the usage', () => {
    const r = bench('--threads', '2');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("bench: unknown argument '--threads'");
    expect(r.stderr).toContain('usage: pnpm bench');
  });

  it('runs unroll at 1 and 2 threads interleaved and prints the table, the interleaving and the memory', () => {
    const r = bench('--quick', '--only', 'W4', '--peers', 'none', '--compiled', 'off');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| W4 gemm f32 1024³ \| [\d.]+ GFLOP\/s \| [\d.]+ GFLOP\/s \| [\d.]+× \|/);
    expect(r.stdout).toContain('Samples interleaved round by round: unroll 1T, unroll 2T each kept its own process running');
    expect(r.stdout).toContain('(rounds: W4 256³ 3, W4 512³ 3, W4 1024³ 3)');
    expect(r.stdout).toMatch(/unroll 2T memory \(its own process, all of its workloads\): peak RSS/);
  });
});
