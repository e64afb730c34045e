// Getting PyTorch ready for the benchmark: whether Debian's Python has it, and the OPENBLAS_CORETYPE
// that gives it its fastest kernels on this CPU (OpenBLAS misdetects some CPUs).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Python, the one with torch (the python3 first on PATH may lack it). */
export const PYTHON = '/usr/bin/python3';
export const TORCH_BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'torch_bench.py');

/** Why torch cannot run here, or null when `/usr/bin/python3 -c 'import torch'` works. */
export function torchUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  return r.status === 0 ? null : `${PYTHON} cannot import torch/numpy (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 120)})`;
}

/**
 * The environment torch runs in: OMP_WAIT_POLICY=PASSIVE unless the caller set it (with OpenMP's default
 * spin-waiting, 2 torch threads on a loaded 2-core machine slow down 15–35×: each barrier spins against
 * the other processes), and OPENBLAS_CORETYPE when one was chosen.
 */
export function torchEnv(coreType: string): NodeJS.ProcessEnv {
  return {
    ...process.env, OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE',
    ...(coreType ? { OPENBLAS_CORETYPE: coreType } : {}),
  };
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
export function fastestCoreType(): { coreType: string; tried: string } {
  const set = process.env['OPENBLAS_CORETYPE'];
  if (set !== undefined) return { coreType: set, tried: 'set by the caller' };
  const times: [string, number][] = [];
  for (const c of coreTypeCandidates()) {
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', ...(c ? { OPENBLAS_CORETYPE: c } : {}) };
    const r = spawnSync(PYTHON, [TORCH_BENCH, '--probe', '--threads', '1'], { env, encoding: 'utf8' });
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
