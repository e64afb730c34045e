/**
 * Line charts and heatmaps as SVG strings; no DOM and no Node API, so it runs in a script, a tslab
 * notebook (`tslab.display.svg`) and a browser page alike.
 * @module @unroll/plot
 */
export { lineChart } from './line-chart.js';
export type { Series, LineChartOptions } from './line-chart.js';
export { heatmap } from './heatmap.js';
export type { HeatmapOptions } from './heatmap.js';
