import { describe, expect, it } from 'vitest';
import { heatmap, lineChart } from '@unroll/plot';

/** The numbers of every `attr="…"` in the SVG for elements of one tag. */
const attrs = (svg: string, tag: string, attr: string) =>
  [...svg.matchAll(new RegExp(`<${tag}[^>]*\\s${attr}="([-\\d.]+)"`, 'g'))].map((m) => Number(m[1]));

describe('lineChart', () => {
  it('draws a series of one point as a dot (a line cannot show it), and per-step curves without dots', () => {
    const svg = lineChart([
      { name: 'train', values: Array.from({ length: 100 }, (_, i) => 1 / (i + 1)) },
      { name: 'test', values: [[99, 0.5]] },
    ]);
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(2);   // the point and its legend swatch
    const evals = lineChart([{ name: 'validation', values: [[200, 1], [400, 0.8], [600, 0.7]] }]);
    expect(evals.match(/<circle /g)).toHaveLength(4);
    expect(lineChart([{ name: 'dense', values: [1, 2, 3], markers: true }]).match(/<circle /g)).toHaveLength(4);
  });

  it('puts the legend outside the plot area, so it never covers data', () => {
    const svg = lineChart([{ name: 'a rather long series name', values: [3, 1, 2] }, { name: 'b', values: [[0, 5], [2, 0]] }], { width: 500 });
    const frame = svg.match(/<rect x="(\d+)" y="\d+" width="([\d.]+)" height="[\d.]+" fill="none"/)!;
    const plotRight = Number(frame[1]) + Number(frame[2]);
    const pathXs = [...svg.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
    expect(Math.max(...pathXs)).toBeLessThanOrEqual(plotRight + 0.05);
    const legendXs = attrs(svg, 'text', 'x').filter((x, i, all) => i >= all.length - 2);
    expect(Math.min(...legendXs)).toBeGreaterThan(plotRight);
    expect(Math.max(...attrs(svg, 'line', 'x2'))).toBeLessThanOrEqual(500);
  });

  it('refuses unknown options and malformed series, naming them', () => {
    expect(() => lineChart([{ name: 'a', values: [1] }], { logy: true } as never)).toThrow("lineChart: unknown option 'logy'");
    expect(() => lineChart([{ name: 'a', values: [1], dash: true } as never])).toThrow("lineChart: series[0] ('a'): unknown option 'dash'");
    expect(() => lineChart([{ values: [1] } as never])).toThrow('lineChart: series[0] must be { name: string, values: array }');
  });
});

describe('heatmap', () => {
  it('draws one cell per value with labels, darker for larger values', () => {
    const svg = heatmap([[0, 1], [0.5, 0.25]], { rowLabels: ['x', 'y'], colLabels: ['p', 'q'], range: [0, 1] });
    const fills = [...svg.matchAll(/fill="rgb\((\d+),/g)].map((m) => Number(m[1]));
    expect(fills).toEqual([255, 8, 132, 193]);
    expect(svg).toContain('>x</text>');
    expect(() => heatmap([[1, 2], [3]])).toThrow('heatmap: every row must have the same length');
    expect(() => heatmap([[1]], { rows: 1 } as never)).toThrow("heatmap: unknown option 'rows'");
  });
});

describe('lineChart, log scale', () => {
  it('labels a log axis at 1, 2 and 5 times powers of ten', () => {
    const svg = lineChart([{ name: 'loss', values: [0.5, 0.1, 0.02, 0.004] }], { logY: true });
    const labels = [...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['0.005', '0.01', '0.02', '0.05', '0.1', '0.2', '0.5']);
  });
});
