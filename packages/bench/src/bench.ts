// `pnpm bench`: runs unroll and its peers (PyTorch, TensorFlow.js cpu and wasm) on W1–W4 and prints the
// speed table, the model check, unroll's memory and a Markdown table. unroll and torch at 1 and 2 threads
// run as four persistent processes sampled interleaved in time (interleave.ts); the much slower tfjs
// peers run after them, each alone in its own process.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave } from './interleave.js';
import { itemName } from './protocol.js';
import type { Item } from './protocol.js';
import { markdownTable, memoryLine, modelCheck, plainTable, progressLine, rowKeys, speedTable } from './report.js';
import type { MemoryRecord } from './report.js';
import { runSequential } from './run-sequential.js';
import { RunnerProcess } from './runner-process.js';
import { settle } from './settle.js';
import { PYTHON, TORCH_BENCH, fastestCoreType, torchEnv, torchUnavailable } from './torch-setup.js';
import { PEERS, WORKLOAD_IDS, WORKLOAD_TITLES, encodePlan, median, planFor } from './workloads.js';
import type { SystemId, WorkloadId, WorkloadResult } from './workloads.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = path.dirname(HERE);
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

/** The compileCell rows (run-compiled.ts), printed as they come; they compare unroll with itself. */
function runCompiledRows(quick: boolean): void {
  const nodeArgs = [...process.execArgv.filter((a) => a !== '--expose-gc')];
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(HERE, 'run-compiled.ts'), ...(quick ? ['--quick'] : [])],
    { cwd: PACKAGE_DIR, stdio: 'inherit' });
  if (r.status !== 0) console.log(`note: the compileCell rows failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** W1, W2, W3 as themselves; W4 once per gemm size. */
const itemsOf = (only: readonly WorkloadId[]): Item[] =>
  rowKeys(only).map((k) => (k.size ? { workload: k.workload, size: k.size } : { workload: k.workload }));

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

  // torch first: the OPENBLAS_CORETYPE search times torch.mm, so nothing else may run meanwhile.
  let torchCoreType = '';
  let torchRuns = opts.peers.includes('torch');
  if (torchRuns) {
    const why = torchUnavailable();
    if (why) {
      notes.push(`torch skipped: ${why}.`);
      torchRuns = false;
    } else {
      const { coreType, tried } = fastestCoreType();
      torchCoreType = coreType;
      console.log(`  torch: OPENBLAS_CORETYPE ${coreType || '(unset: OpenBLAS detects)'} — the fastest 512³ mm of: ${tried}\n`);
    }
  }

  // The persistent runners, all started now. Node runners start like this process (tsx's loader and
  // the unroll-source condition come from execArgv); unroll's memory figures need --expose-gc.
  const nodeArgs = [...process.execArgv.filter((a) => a !== '--expose-gc'), '--expose-gc'];
  const runners = [
    ...THREADS.map((t) => new RunnerProcess(`unroll ${t}T`, process.execPath,
      [...nodeArgs, path.join(HERE, 'run-unroll.ts'), '--serve', '--threads', String(t)], { cwd: PACKAGE_DIR })),
    ...(torchRuns ? THREADS.map((t) => new RunnerProcess(`torch ${t}T`, PYTHON,
      [TORCH_BENCH, '--serve', '--threads', String(t)], { cwd: PACKAGE_DIR, env: torchEnv(torchCoreType) })) : []),
  ];
  const plan = planFor('unroll', opts.quick); // torch's is the same: they share the rounds
  const tInterleaved = performance.now();
  const outcome = await interleave(runners, itemsOf(opts.only), {
    plan: (item) => plan[item.workload],
    pause: (runner) => settle(runner.pid),
    onResult: (runner, r) => console.log(progressLine(runner.label, r)),
  });
  notes.push(...outcome.notes);
  for (const runner of outcome.alive) {
    await runner.quit().catch((e: unknown) => notes.push(`${runner.label} did not end cleanly: ${e instanceof Error ? e.message : String(e)}`));
  }
  console.log(`  ${runners.map((r) => r.label).join(', ')} done in ${((performance.now() - tInterleaved) / 1000).toFixed(0)} s\n`);

  const results: WorkloadResult[] = [...outcome.results];
  const infos = new Map<SystemId, Record<string, unknown>>();
  const addInfos = (system: SystemId, records: readonly Record<string, unknown>[]) =>
    infos.set(system, Object.assign(infos.get(system) ?? {}, ...records.filter((r) => !('memory' in r))) as Record<string, unknown>);
  for (const runner of runners) addInfos(runner.label.startsWith('torch') ? 'torch' : 'unroll', runner.infos);
  const ran: SystemId[] = ['unroll', ...(torchRuns ? ['torch' as const] : [])];

  // tfjs: sequential, each in its own process, after the interleaved ones.
  const tfjs: [SystemId, string][] = [['tfjs-wasm', 'wasm'], ['tfjs-cpu', 'cpu']];
  for (const [system, backend] of tfjs.filter(([s]) => opts.peers.includes(s))) {
    const run = await runSequential(system, process.execPath,
      [...nodeArgs, path.join(HERE, 'run-tfjs.ts'), '--backend', backend, '--plan', encodePlan(opts.only, planFor(system, opts.quick))], PACKAGE_DIR);
    results.push(...run.results);
    addInfos(system, run.infos);
    ran.push(system);
    if (run.error) notes.push(`${system} failed after ${run.seconds.toFixed(0)} s: ${run.error}`);
    console.log(`  ${system} done in ${run.seconds.toFixed(0)} s\n`);
  }

  const unrollInfo = infos.get('unroll') ?? {};
  const gemm = String(unrollInfo['gemmBackend'] ?? '?');
  const torchInfo = infos.get('torch');
  const wasmInfo = infos.get('tfjs-wasm');
  const peers = opts.peers.filter((p) => ran.includes(p));
  const table = speedTable(results, rowKeys(opts.only), peers, gemm, {}, THREADS);
  const check = modelCheck(results, ran, opts.only);

  const pauses = outcome.pausesMs;
  const rounds = outcome.rounds.map((r) => `${itemName(r.item)} ${r.rounds}`).join(', ');
  const about: string[] = [
    'Medians of the timed runs after warm-up; "(N× faster)" means unroll takes 1/N of the peer\'s time (peer median / unroll median).',
    `${torchRuns ? 'unroll and torch each' : 'unroll'} ran at ${THREADS.join(' and ')} threads (one process each)${torchRuns ? '; "vs torch best" compares with the faster of torch\'s medians' : ''}; tfjs columns compare with unroll's best.`,
    `Samples interleaved round by round: ${runners.map((r) => r.label).join(', ')} each kept its own process running, and each round timed one run of every one of them in turn, the order rotated by one each round (rounds: ${rounds || 'none'}); after the warm-ups and after each timed run the parent waited until that process was idle before timing the next (pauses median ${pauses.length ? median(pauses).toFixed(0) : '—'} ms, max ${pauses.length ? Math.max(...pauses).toFixed(0) : '—'} ms).${opts.peers.some((p) => p.startsWith('tfjs')) ? ' The tfjs peers (far slower: one of their runs would stretch a round to seconds) ran afterwards, not interleaved, each alone in its own process.' : ''}`,
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
  const memLines = runners.filter((r) => r.label.startsWith('unroll')).map((r) => {
    const memory = r.infos.find((i) => 'memory' in i)?.['memory'] as MemoryRecord | undefined;
    return `${r.label} memory (its own process, all of its workloads): ${memory ? memoryLine(memory) : 'not reported'}`;
  });
  console.log('\n' + memLines.join('\n'));
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s; load average now ${load()} (other processes share these ${os.cpus().length} cores)`);

  if (opts.compiled === 'on') {
    console.log('');
    runCompiledRows(opts.quick);
  }

  console.log('\nMarkdown:\n');
  console.log(markdownTable(table));
  console.log('\n' + [...about, ...memLines].map((l) => `- ${l}`).join('\n'));
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bench: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
});
