// Turning the runners' results into the printed tables: the speed table (plain text and Markdown),
// the model check (parameter counts and first losses per system) and unroll's memory line.
import { GEMM_SIZES, WORKLOAD_TITLES } from './workloads.js';
import type { SystemId, WorkloadId, WorkloadResult } from './workloads.js';

/** A row key: the workload, and for W4 the matrix size. */
export interface RowKey { workload: WorkloadId; size?: number }

export const rowKeys = (only: readonly WorkloadId[]): RowKey[] =>
  only.flatMap((workload): RowKey[] => (workload === 'W4' ? GEMM_SIZES.map((size) => ({ workload, size })) : [{ workload }]));

const sameRow = (r: WorkloadResult, k: RowKey) => r.workload === k.workload && r.size === k.size;
const rowTitle = (k: RowKey) => `${k.workload} ${WORKLOAD_TITLES[k.workload]}${k.size ? ` ${k.size}³` : ''}`;

/** 0.79 ms, 12.3 ms, 428 ms, 3.33 s, 25.6 s */
export function formatMs(ms: number): string {
  if (ms >= 1000) return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);
/** A median as printed: a time, or GFLOP/s for a gemm. */
function figure(r: WorkloadResult): string {
  return r.size ? `${gflops(r.size, r.medianMs).toFixed(1)} GFLOP/s` : formatMs(r.medianMs);
}

/** peer / unroll as 'N× faster' (unroll is faster) or 'N× slower'. */
export function ratio(peerMs: number, unrollMs: number): string {
  const r = peerMs / unrollMs;
  const n = r >= 1 ? r : 1 / r;
  // 9.96 would print as '10.0' with one decimal: decide on the rounded value.
  return `${n >= 9.95 ? n.toFixed(0) : n.toFixed(1)}× ${r >= 1 ? 'faster' : 'slower'}`;
}

export interface SpeedTable { header: string[]; rows: string[][] }

/**
 * One row per workload (per size for W4): unroll's median and its gemm backend, then each peer's median
 * with how unroll compares, as '5.80 s (8.1× faster)'. A missing result (skipped, failed) prints as '—'.
 */
export function speedTable(results: readonly WorkloadResult[], keys: readonly RowKey[], peers: readonly SystemId[],
  gemmBackend: string, peerLabels: Partial<Record<SystemId, string>>): SpeedTable {
  const header = ['workload', 'unroll', 'gemm', ...peers.map((p) => peerLabels[p] ?? p)];
  const rows = keys.map((k) => {
    const mine = results.find((r) => r.system === 'unroll' && sameRow(r, k));
    const cells = [rowTitle(k), mine ? figure(mine) : '—', gemmBackend];
    for (const p of peers) {
      const theirs = results.find((r) => r.system === p && sameRow(r, k));
      cells.push(!theirs ? '—' : `${figure(theirs)} (${mine ? ratio(theirs.medianMs, mine.medianMs) : '—'})`);
    }
    return cells;
  });
  return { header, rows };
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function plainTable({ header, rows }: SpeedTable): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable({ header, rows }: SpeedTable): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * The model check: every system built the same model from the same weights and data, so the parameter
 * counts must agree exactly and the first two training losses (and W3's mean output) to float32 rounding.
 * Returns the table and the list of disagreements.
 */
export function modelCheck(results: readonly WorkloadResult[], systems: readonly SystemId[], only: readonly WorkloadId[]):
  { table: SpeedTable; problems: string[] } {
  const checked = only.filter((w) => w !== 'W4');
  const header = ['system', ...checked.flatMap((w) => (w === 'W3' ? [`${w} params`, `${w} mean output`] : [`${w} params`, `${w} loss 1`, `${w} loss 2`]))];
  const rows = systems.map((s) => [s, ...checked.flatMap((w) => {
    const r = results.find((x) => x.system === s && x.workload === w);
    const values = (r?.check ?? []).map((v) => (w === 'W3' ? v.toExponential(6) : v.toFixed(6)));
    const width = w === 'W3' ? 1 : 2;
    return [r?.parameters?.toLocaleString('en-US') ?? '—', ...Array.from({ length: width }, (_, i) => values[i] ?? '—')];
  })]);
  const problems: string[] = [];
  for (const w of checked) {
    const base = results.find((x) => x.system === 'unroll' && x.workload === w);
    if (!base) continue;
    for (const r of results.filter((x) => x.workload === w && x.system !== 'unroll')) {
      if (r.parameters !== base.parameters) problems.push(`${w}: ${r.system} has ${r.parameters} parameters, unroll ${base.parameters}`);
      (r.check ?? []).forEach((v, i) => {
        const u = base.check?.[i];
        // float32 sums in different orders agree to ~1e-5 relative; 1e-3 leaves room for step 2's Adam update.
        if (u !== undefined && !(Math.abs(v - u) <= 1e-3 * Math.abs(u) + 1e-7)) {
          problems.push(`${w}: ${r.system}'s check value ${i + 1} is ${v}, unroll's ${u}`);
        }
      });
    }
  }
  return { table: { header, rows }, problems };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export interface MemoryRecord { gcAvailable: boolean; peakRss: number; rssStart: number; heapStart: number; heapEnd: number }

/** unroll's peak RSS and its heap (after a forced GC) at the start and end of its run. */
export function memoryLine(m: MemoryRecord): string {
  const growth = m.heapEnd - m.heapStart;
  const gc = m.gcAvailable ? 'after forced GC' : 'no --expose-gc, so not after a GC';
  return `peak RSS ${mib(m.peakRss)} (${mib(m.rssStart)} at start); heap ${gc}: ${mib(m.heapStart)} at start, `
    + `${mib(m.heapEnd)} at end (${growth >= 0 ? '+' : '−'}${mib(Math.abs(growth))})`;
}
