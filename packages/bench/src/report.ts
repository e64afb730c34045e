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

/** A progress line as each result comes in: '  unroll 2T    W4 512³ median  12.3 ms  (15 runs, 11.9 ms … 14.0 ms)'. */
export function progressLine(label: string, r: WorkloadResult): string {
  const times = [...r.timesMs].sort((a, b) => a - b);
  return `  ${label.padEnd(12)} ${r.workload}${r.size ? ` ${r.size}³`.padEnd(6) : '      '} median ${formatMs(r.medianMs).padStart(8)}`
    + `  (${times.length} run${times.length === 1 ? '' : 's'}, ${formatMs(times[0]!)} … ${formatMs(times[times.length - 1]!)})`;
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

/** The thread count a result ran with (results from runners that do not say ran on 1). */
const threadsOf = (r: WorkloadResult) => r.threads ?? 1;

/**
 * One row per workload (per size for W4): unroll's median at each thread count of `threads`, how much the
 * most threads gain over one ('speed-up'), its gemm backend; then torch at each thread count and unroll
 * at each thread count against torch's BEST (the faster of its medians) as '1.3× slower'; then every
 * other peer against unroll's best. A missing result (skipped, failed) prints as '—'.
 */
export function speedTable(results: readonly WorkloadResult[], keys: readonly RowKey[], peers: readonly SystemId[],
  gemmBackend: string, peerLabels: Partial<Record<SystemId, string>>, threads: readonly number[] = [1]): SpeedTable {
  const torch = peers.includes('torch');
  const others = peers.filter((p) => p !== 'torch');
  const many = threads.length > 1;
  const header = [
    'workload', ...threads.map((t) => `unroll ${t}T`), ...(many ? [`${threads[threads.length - 1]}T speed-up`] : []), 'gemm',
    ...(torch ? [...threads.map((t) => `torch ${t}T`), ...threads.map((t) => `unroll ${t}T vs torch best`)] : []),
    ...others.map((p) => peerLabels[p] ?? p),
  ];
  const rows = keys.map((k) => {
    const of = (system: SystemId, t?: number) =>
      results.find((r) => r.system === system && sameRow(r, k) && (t === undefined || threadsOf(r) === t));
    const mine = threads.map((t) => of('unroll', t));
    const best = (rs: (WorkloadResult | undefined)[]) =>
      rs.reduce<WorkloadResult | undefined>((b, r) => (r && (!b || r.medianMs < b.medianMs) ? r : b), undefined);
    const myBest = best(mine);
    const cells = [rowTitle(k), ...mine.map((r) => (r ? figure(r) : '—'))];
    if (many) {
      const [one, most] = [mine[0], mine[mine.length - 1]];
      cells.push(one && most ? `${(one.medianMs / most.medianMs).toFixed(2)}×` : '—');
    }
    cells.push(gemmBackend);
    if (torch) {
      const theirs = threads.map((t) => of('torch', t));
      const theirBest = best(theirs);
      cells.push(...theirs.map((r) => (r ? figure(r) : '—')));
      cells.push(...mine.map((r) => (r && theirBest ? ratio(theirBest.medianMs, r.medianMs) : '—')));
    }
    for (const p of others) {
      const theirs = of(p);
      cells.push(!theirs ? '—' : `${figure(theirs)} (${myBest ? ratio(theirs.medianMs, myBest.medianMs) : '—'})`);
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
