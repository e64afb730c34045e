// Line charts as SVG strings (loss curves, forecasts), for scripts and tslab notebooks.
import { escapeXml, formatTick, linearScale, niceTicks } from './scale.js';

export interface Series {
  name: string;
  /** y values at x = 0, 1, 2, … or explicit [x, y] points. */
  values: readonly number[] | readonly (readonly [number, number])[];
  /** CSS colour; a palette colour when omitted. */
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Plot log10(y) (for losses spanning decades); non-positive values are dropped. */
  logY?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** One or more series on shared axes, with a legend. Non-finite points are skipped. */
export function lineChart(series: readonly Series[], opts: LineChartOptions = {}): string {
  const width = opts.width ?? 640, height = opts.height ?? 360;
  const margin = { top: opts.title ? 36 : 16, right: 16, bottom: 44, left: 64 };
  const points = series.map((s) =>
    (s.values as readonly (number | readonly [number, number])[])
      .map((v, i): [number, number] => (typeof v === 'number' ? [i, v] : [v[0], v[1]]))
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0))
      .map(([x, y]): [number, number] => [x, opts.logY ? Math.log10(y) : y]));
  const all = points.flat();
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const [x0, x1] = all.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const pad = (y1 - y0) * 0.05 || 1;
  y0 -= pad; y1 += pad;
  const sx = linearScale(x0, x1, margin.left, width - margin.right);
  const sy = linearScale(y0, y1, height - margin.bottom, margin.top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    const label = opts.logY ? formatTick(10 ** t) : formatTick(t);
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${height - margin.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${width - margin.left - margin.right}" height="${height - margin.top - margin.bottom}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    const label = opts.logY ? `${opts.yLabel} (log scale)` : opts.yLabel;
    parts.push(`<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const d = points[i]!.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    const ly = margin.top + 8 + i * 16;
    parts.push(`<line x1="${width - margin.right - 130}" x2="${width - margin.right - 110}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${width - margin.right - 104}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
