// Heatmaps as SVG strings (attention weights, confusion matrices).
import { checkOptionNames, escapeXml } from './scale.js';

export interface HeatmapOptions {
  title?: string;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  /** Pixel size of one cell (default 22). */
  cell?: number;
  /** Value range mapped to white → dark blue (default: the data's min and max). */
  range?: readonly [number, number];
  /** Print each value in its cell (default when the matrix is small). */
  showValues?: boolean;
}

/** A matrix as coloured cells, rows top to bottom, with optional labels. */
export function heatmap(matrix: readonly (readonly number[])[], opts: HeatmapOptions = {}): string {
  checkOptionNames('heatmap', opts, ['title', 'rowLabels', 'colLabels', 'cell', 'range', 'showValues']);
  const rows = matrix.length, cols = rows ? matrix[0]!.length : 0;
  if (matrix.some((r) => r.length !== cols)) throw new RangeError('heatmap: every row must have the same length');
  const cell = opts.cell ?? 22;
  const values = matrix.flat().filter(Number.isFinite);
  const [lo, hi] = opts.range ?? [Math.min(...values, 0), Math.max(...values, 1e-12)];
  const rowLabelWidth = opts.rowLabels ? 8 + 7 * Math.max(...opts.rowLabels.map((l) => l.length)) : 0;
  const colLabelHeight = opts.colLabels ? 8 + 7 * Math.max(...opts.colLabels.map((l) => l.length)) : 0;
  const top = (opts.title ? 28 : 4) + colLabelHeight;
  const width = rowLabelWidth + cols * cell + 8, height = top + rows * cell + 8;
  const showValues = opts.showValues ?? (rows * cols <= 400 && cell >= 20);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`);
  matrix.forEach((row, i) => row.forEach((v, j) => {
    const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)));
    // White (255,255,255) to dark blue (8,48,107).
    const c = [255 - t * 247, 255 - t * 207, 255 - t * 148].map(Math.round);
    const x = rowLabelWidth + j * cell, y = top + i * cell;
    parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${c.join(',')})"><title>${v}</title></rect>`);
    if (showValues) {
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dominant-baseline="middle" font-size="8" fill="${t > 0.5 ? 'white' : 'black'}">${v.toFixed(2).replace(/^0\./, '.')}</text>`);
    }
  }));
  opts.rowLabels?.forEach((l, i) =>
    parts.push(`<text x="${rowLabelWidth - 4}" y="${top + i * cell + cell / 2}" text-anchor="end" dominant-baseline="middle">${escapeXml(l)}</text>`));
  opts.colLabels?.forEach((l, j) => {
    const x = rowLabelWidth + j * cell + cell / 2;
    parts.push(`<text transform="translate(${x} ${top - 4}) rotate(-90)" dominant-baseline="middle">${escapeXml(l)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
