// Line charts as SVG strings (loss curves, forecasts), for scripts, tslab notebooks and pages.
import { checkOptionNames, escapeXml, formatTick, linearScale, niceTicks } from './scale.js';

export interface Series {
  name: string;
  /** y values at x = 0, 1, 2, … or explicit [x, y] points. */
  values: readonly number[] | readonly (readonly [number, number])[];
  /** CSS colour; a palette colour when omitted. */
  color?: string;
  dashed?: boolean;
  /**
   * Draw a dot at every point (default: only when the series has a single point, which a line
   * cannot show, or at most 12 points spread apart, such as evaluations every few hundred steps).
   */
  markers?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Width of the whole picture, legend included (default 640). */
  width?: number;
  height?: number;
  /** Plot log10(y) (for losses spanning decades); non-positive values are dropped. */
  logY?: boolean;
}

const OPTIONS = ['title', 'xLabel', 'yLabel', 'width', 'height', 'logY'] as const;
const SERIES_KEYS = ['name', 'values', 'color', 'dashed', 'markers'] as const;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/**
 * One or more series on shared axes. The legend sits to the right of the plot area, so it never
 * covers data; a series of one point (a final test score, a single evaluation) shows as a dot.
 * Non-finite points are skipped.
 */
export function lineChart(series: readonly Series[], opts: LineChartOptions = {}): string {
  checkOptionNames('lineChart', opts, OPTIONS);
  if (!Array.isArray(series)) throw new TypeError(`lineChart: series must be an array of { name, values }; got ${typeof series}`);
  series.forEach((s, i) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s.values)) {
      throw new TypeError(`lineChart: series[${i}] must be { name: string, values: array }; got ${JSON.stringify(s)?.slice(0, 80)}`);
    }
    checkOptionNames(`lineChart: series[${i}] ('${s.name}')`, s, SERIES_KEYS);
  });
  const width = opts.width ?? 640, height = opts.height ?? 360;
  // The legend column: a 20-pixel swatch and the longest name at about 7 pixels a character.
  const legendWidth = series.length ? 36 + 7 * Math.max(...series.map((s) => s.name.length)) : 0;
  const margin = { top: opts.title ? 36 : 16, right: 16 + legendWidth, bottom: 44, left: 64 };
  const points = series.map((s) =>
    (s.values as readonly (number | readonly [number, number])[])
      .map((v, i): [number, number] => (typeof v === 'number' ? [i, v] : [v[0], v[1]]))
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0))
      .map(([x, y]): [number, number] => [x, opts.logY ? Math.log10(y) : y]));
  const all = points.flat();
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  let [x0, x1] = all.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x0 === x1) { x0 -= 1; x1 += 1; }   // one x value: centre it rather than pin it to an edge
  let [y0, y1] = all.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const pad = (y1 - y0) * 0.05 || 1;
  y0 -= pad; y1 += pad;
  const plotRight = width - margin.right;
  const sx = linearScale(x0, x1, margin.left, plotRight);
  const sy = linearScale(y0, y1, height - margin.bottom, margin.top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`);
  for (const t of opts.logY ? logTicks(y0, y1) : niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    const label = opts.logY ? formatTick(10 ** t) : formatTick(t);
    parts.push(`<line x1="${margin.left}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${height - margin.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotRight - margin.left}" height="${height - margin.top - margin.bottom}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) parts.push(`<text x="${(margin.left + plotRight) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    const label = opts.logY ? `${opts.yLabel} (log scale)` : opts.yLabel;
    parts.push(`<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    const pts = points[i]!;
    if (pts.length > 1) {
      const d = pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${dash}/>`);
    }
    const markers = s.markers ?? (pts.length === 1 || (pts.length <= 12 && !evenlyDense(pts)));
    if (markers) {
      for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    // The legend, outside the plot area (right of it), one row per series.
    const lx = plotRight + 12, ly = margin.top + 8 + i * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    if (markers) parts.push(`<circle cx="${lx + 10}" cy="${ly}" r="3" fill="${color}"/>`);
    parts.push(`<text x="${lx + 26}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** True when points sit at consecutive integer steps (a dense per-step curve needs no dots). */
function evenlyDense(pts: readonly (readonly [number, number])[]): boolean {
  const span = pts[pts.length - 1]![0] - pts[0]![0];
  return pts.length > 1 && span > 0 && span <= pts.length * 1.01;
}

/** Ticks of a log10 axis at 1, 2 and 5 times powers of ten (only the powers when it spans 3+ decades). */
function logTicks(lo: number, hi: number): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const steps = hi - lo >= 3 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
    for (const m of steps) {
      const t = k + Math.log10(m);
      if (t >= lo && t <= hi) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : niceTicks(lo, hi);
}
