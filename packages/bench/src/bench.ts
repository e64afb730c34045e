// `pnpm bench`: runs unroll and its peers (TensorFlow.js cpu and wasm, PyTorch) on W1–W4, each system in
// its own process, and prints the speed table, the model check, unroll's memory and a Markdown table.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { markdownTable, memoryLine, modelCheck, plainTable, rowKeys, speedTable, formatMs } from './report.js';
import type { MemoryRecord } from './report.js';
import { INFO_TAG, PEERS, RESULT_TAG, WORKLOAD_IDS, WORKLOAD_TITLES, encodePlan, planFor } from './workloads.js';
import type { SystemId, WorkloadId, WorkloadResult } from './workloads.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Debian's Python, the one with torch (the python3 first on PATH may lack it). */
const PYTHON = '/usr/bin/python3';
/** Every system that can runs at each of these thread counts (unroll's setNumThreads, torch.set_num_threads). */
const THREADS = [1, 2];

const USAGE = `usage: pnpm bench [--quick] [--only W1,W3] [--peers tfjs-cpu,tfjs-wasm,torch|none] [--compiled on|off|only]
  --quick    1 warm-up + 3 timed runs per workload (tfjs-cpu: 1 + 1) instead of the full plan
  --only     workloads to run (default W1,W2,W3,W4): ${WORKLOAD_IDS.map((w) => `${w} ${WORKLOAD_TITLES[w]}`).join(', ')}
  --peers    peers to compare with (default all: ${PEERS.join(',')}); unroll always runs
  --compiled the compileCell rows (unroll only: a user LSTM compiled beside the built-in fused one, a
             minimal gated unit compiled vs composed): on (default), off, or only them`;

interface Options { quick: boolean; only: WorkloadId[]; peers: SystemId[]; compiled: 'on' | 'off' | 'only' }

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { quick: false, only: [...WORKLOAD_IDS], peers: [...PEERS], compiled: 'on' };
  const list = <T extends string>(flag: string, value: string | undefined, allowed: readonly T[], none = false): T[] => {
    const items = (value ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    if (none && items.length === 1 && items[0] === 'none') return [];
    const bad = items.filter((x) => !allowed.includes(x as T));
    if (items.length === 0 || bad.length) throw new UsageError(`${flag}: expected a comma-separated list of ${allowed.join(', ')}${none ? ' (or none)' : ''}; got '${value ?? ''}'`);
    return allowed.filter((x) => items.includes(x)); // canonical order, no duplicates
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') opts.quick = true;
    else if (flag === '--only') opts.only = list('--only', value(), WORKLOAD_IDS);
    else if (flag === '--peers') opts.peers = list('--peers', value(), PEERS, true);
    else if (flag === '--compiled') {
      const v = value();
      if (v !== 'on' && v !== 'off' && v !== 'only') throw new UsageError(`--compiled: expected on, off or only; got '${v ?? ''}'`);
      opts.compiled = v;
    }
    else if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    else throw new UsageError(`unknown argument '${argv[i]}'`);
  }
  return opts;
}

class UsageError extends Error { override name = 'UsageError'; }

interface RunOutcome { results: WorkloadResult[]; infos: Record<string, unknown>[]; error?: string; seconds: number }

/**
 * Runs one system's runner as a child process, echoing each result as it arrives. Anything the child
 * prints that is not a tagged record goes to stderr under the system's name, so errors stay visible.
 */
function runSystem(system: SystemId, command: string, args: string[], env: NodeJS.ProcessEnv = process.env,
  label: string = system): Promise<RunOutcome> {
  const started = performance.now();
  const outcome: RunOutcome = { results: [], infos: [], seconds: 0 };
  const stderrTail: string[] = [];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: path.dirname(HERE), env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT_TAG)) {
        const r = JSON.parse(line.slice(RESULT_TAG.length)) as WorkloadResult;
        outcome.results.push(r);
        const times = [...r.timesMs].sort((a, b) => a - b);
        console.log(`  ${label.padEnd(12)} ${r.workload}${r.size ? ` ${r.size}³`.padEnd(6) : '      '} median ${formatMs(r.medianMs).padStart(8)}`
          + `  (${times.length} run${times.length === 1 ? '' : 's'}, ${formatMs(times[0]!)} … ${formatMs(times[times.length - 1]!)})`);
      } else if (line.startsWith(INFO_TAG)) {
        outcome.infos.push(JSON.parse(line.slice(INFO_TAG.length)) as Record<string, unknown>);
      } else if (line.trim()) {
        console.error(`  [${label}] ${line}`);
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    });
    child.on('error', (e) => { outcome.error = e.message; });
    child.on('close', (code, signal) => {
      outcome.seconds = (performance.now() - started) / 1000;
      if (code !== 0) {
        // Long minified lines (emscripten echoes its source on a crash) are cut to keep the tail readable.
        outcome.error ??= `exited with ${signal ?? `code ${code}`}:\n${stderrTail.map((l) => `    ${l.slice(0, 300)}`).join('\n')}`;
      }
      resolve(outcome);
    });
  });
}

/** Why torch cannot run here, or null when `/usr/bin/python3 -c 'import torch'` works. */
function torchUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  return r.status === 0 ? null : `${PYTHON} cannot import torch/numpy (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 120)})`;
}

/** The compileCell rows (run-compiled.ts), printed as they come; they compare unroll with itself. */
function runCompiledRows(quick: boolean): void {
  const nodeArgs = [...process.execArgv.filter((a) => a !== '--expose-gc')];
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(HERE, 'run-compiled.ts'), ...(quick ? ['--quick'] : [])],
    { cwd: path.dirname(HERE), stdio: 'inherit' });
  if (r.status !== 0) console.log(`note: the compileCell rows failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/**
 * The OPENBLAS_CORETYPE values worth trying on this CPU (OpenBLAS misdetects some CPUs and then runs
 * slower generic kernels): its own detection ('') and the kernels the CPU's flags allow.
 */
function coreTypeCandidates(): string[] {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [''];
  }
  const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
  const amd = info.includes('AuthenticAMD');
  const out = [''];
  if (flags.has('avx2')) out.push(amd ? 'Zen' : 'Haswell');
  if (flags.has('avx512f')) out.push('SkylakeX');
  if (flags.has('avx512_bf16')) out.push('Cooperlake');
  if (flags.has('amx_tile')) out.push('SapphireRapids');
  return out;
}

/**
 * Times a 512³ torch.mm under each OPENBLAS_CORETYPE candidate (one thread, best of 12) and returns the
 * fastest, with what was tried; a value the user set is kept as is.
 */
function fastestCoreType(): { coreType: string; tried: string } {
  const set = process.env['OPENBLAS_CORETYPE'];
  if (set !== undefined) return { coreType: set, tried: 'set by the caller' };
  const times: [string, number][] = [];
  for (const c of coreTypeCandidates()) {
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', ...(c ? { OPENBLAS_CORETYPE: c } : {}) };
    const r = spawnSync(PYTHON, [path.join(HERE, '..', 'torch_bench.py'), '--probe', '--threads', '1'], { env, encoding: 'utf8' });
    const ms = r.status === 0 ? (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { mm512Ms?: number }).mm512Ms : undefined;
    if (ms !== undefined) times.push([c, ms]);
  }
  times.sort((a, b) => a[1] - b[1]);
  const name = (c: string) => c || 'its own detection';
  return {
    coreType: times[0]?.[0] ?? '',
    tried: times.map(([c, ms]) => `${name(c)} ${ms.toFixed(2)} ms`).join(', '),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.compiled === 'only') {
    runCompiledRows(opts.quick);
    return;
  }
  const t0 = performance.now();
  const notes: string[] = [];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`unroll benchmark — ${new Date().toISOString()} — Node ${process.version}, ${cpu} × ${os.cpus().length}, load average ${load()}`);
  console.log(`workloads ${opts.only.join(', ')}; peers ${opts.peers.join(', ') || 'none'}; ${opts.quick ? 'quick plan' : 'full plan'}\n`);

  // Node runners start like this process (tsx's loader and the unroll-source condition come from execArgv).
  const nodeArgs = [...process.execArgv.filter((a) => a !== '--expose-gc'), '--expose-gc'];
  const plan = (s: SystemId) => encodePlan(opts.only, planFor(s, opts.quick));
  // Each entry starts one process; unroll and torch run once per thread count.
  let torchCoreType = '';
  const torchEnv = () => ({
    ...process.env, OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE',
    ...(torchCoreType ? { OPENBLAS_CORETYPE: torchCoreType } : {}),
  });
  const runs: [SystemId, () => Promise<RunOutcome> | null][] = [
    ...THREADS.map((t): [SystemId, () => Promise<RunOutcome>] => ['unroll', () => runSystem('unroll', process.execPath,
      [...nodeArgs, path.join(HERE, 'run-unroll.ts'), '--threads', String(t), '--plan', plan('unroll')], process.env, `unroll ${t}T`)]),
    ...THREADS.map((t, i): [SystemId, () => Promise<RunOutcome> | null] => ['torch', () => {
      if (i === 0) {
        const why = torchUnavailable();
        if (why) { notes.push(`torch skipped: ${why}.`); return null; }
        const { coreType, tried } = fastestCoreType();
        torchCoreType = coreType;
        console.log(`  torch: OPENBLAS_CORETYPE ${coreType || '(unset: OpenBLAS detects)'} — the fastest 512³ mm of: ${tried}\n`);
      } else if (!ran.includes('torch')) {
        return null;
      }
      // NOTE: with OpenMP's default spin-waiting, 2 torch threads on a loaded 2-core machine slow down
      // 15–35× (each barrier spins against the other processes); passive waiting keeps it honest.
      return runSystem('torch', PYTHON, [path.join(HERE, '..', 'torch_bench.py'), '--threads', String(t), '--plan', plan('torch')],
        torchEnv(), `torch ${t}T`);
    }]),
    ['tfjs-wasm', () => runSystem('tfjs-wasm', process.execPath, [...nodeArgs, path.join(HERE, 'run-tfjs.ts'), '--backend', 'wasm', '--plan', plan('tfjs-wasm')])],
    ['tfjs-cpu', () => runSystem('tfjs-cpu', process.execPath, [...nodeArgs, path.join(HERE, 'run-tfjs.ts'), '--backend', 'cpu', '--plan', plan('tfjs-cpu')])],
  ];

  const results: WorkloadResult[] = [];
  const infos = new Map<SystemId, Record<string, unknown>>();
  const ran: SystemId[] = [];
  for (const [system, start] of runs) {
    if (system !== 'unroll' && !opts.peers.includes(system)) continue;
    const pending = start();
    if (!pending) continue;
    const outcome = await pending;
    results.push(...outcome.results);
    infos.set(system, Object.assign(infos.get(system) ?? {}, ...outcome.infos) as Record<string, unknown>);
    if (!ran.includes(system)) ran.push(system);
    if (outcome.error) notes.push(`${system} failed after ${outcome.seconds.toFixed(0)} s: ${outcome.error}`);
    console.log(`  ${system} done in ${outcome.seconds.toFixed(0)} s\n`);
  }

  const unrollInfo = infos.get('unroll') ?? {};
  const gemm = String(unrollInfo['gemmBackend'] ?? '?');
  const torchInfo = infos.get('torch');
  const wasmInfo = infos.get('tfjs-wasm');
  const peers = opts.peers.filter((p) => ran.includes(p));
  const table = speedTable(results, rowKeys(opts.only), peers, gemm, {}, THREADS);
  const check = modelCheck(results, ran, opts.only);

  const about: string[] = [
    'Medians of the timed runs after warm-up; "(N× faster)" means unroll takes 1/N of the peer\'s time (peer median / unroll median).',
    `unroll and torch each ran at ${THREADS.join(' and ')} threads (separate processes); "vs torch best" compares with the faster of torch's medians; tfjs columns compare with unroll's best.`,
    'W1/W2: one training step (forward, cross-entropy averaged over all 64×32 steps, backward, Adam) of one-hot(65) → LSTM/GRU(256) → Linear(256, 65), batch 32, sequence 64, float32.',
    'W3: the same LSTM alone, forward only, no gradient recorded. W4: square float32 C = A·B (GFLOP/s = 2n³ / time).',
    `unroll: Node ${process.version}; float32 gemm backend '${gemm}'.`,
  ];
  if (torchInfo) {
    const blas = String(torchInfo['blas']).split(', ').map((p) => path.basename(p)).join(', ');
    about.push(`PyTorch ${String(torchInfo['version'])}: OMP_WAIT_POLICY=${process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE'}, `
      + `OPENBLAS_CORETYPE=${torchCoreType || '(unset)'} (the fastest here), BLAS ${blas}.`);
  }
  const tfjsInfo = wasmInfo ?? infos.get('tfjs-cpu');
  if (tfjsInfo) {
    about.push(`TensorFlow.js ${String(tfjsInfo['version'])}, the model in tf ops + tf.train.adam`
      + (wasmInfo ? `; wasm backend with SIMD ${String(wasmInfo['wasmSimd'])}, threads ${String(wasmInfo['wasmThreads'])}.` : '.'));
  }

  console.log(plainTable(table));
  console.log('\n' + about.join('\n'));
  console.log('\nModel check (same weights and data everywhere: parameter counts equal, losses equal to float32 rounding):');
  console.log(plainTable(check.table));
  for (const p of check.problems) console.log(`  ✗ ${p}`);
  if (check.problems.length) process.exitCode = 1;
  const memory = unrollInfo['memory'] as MemoryRecord | undefined;
  const memLine = memory ? `unroll memory (its own process, all of its workloads): ${memoryLine(memory)}` : 'unroll memory: not reported';
  console.log('\n' + memLine);
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s; load average now ${load()} (other processes share these ${os.cpus().length} cores)`);

  if (opts.compiled === 'on') {
    console.log('');
    runCompiledRows(opts.quick);
  }

  console.log('\nMarkdown:\n');
  console.log(markdownTable(table));
  console.log('\n' + [...about, memLine].map((l) => `- ${l}`).join('\n'));
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bench: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
});
