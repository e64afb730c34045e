// Progress of a fit run as one line (step, smoothed loss, metrics, rate, ETA) and its renderings:
// the shared bookkeeping here, a notebook display here, a terminal bar in the /node subpath.
import type { Callback, FitResult, Metrics, StepEnd } from './fit.js';
import { checkKeys } from './options.js';

export interface ProgressOptions {
  /** What `unitsPerStep` counts (e.g. 'chars', 'seq'); the rate shows as `<n> <unit>/s` (default 'steps'). */
  unit?: string;
  /** Units per step for the rate (default 1). */
  unitsPerStep?: number;
  /** Weight of the newest loss in the shown moving average (default 0.05; 1 shows the raw loss). */
  smoothing?: number;
  /** Characters of the bar (default 24). */
  width?: number;
  /** The figures to show, from the step's report (default: smoothed loss and the last evaluation's metrics). */
  figures?: (e: StepEnd, smoothedLoss: number) => Record<string, number | string | undefined>;
  /** A label in front of the line (e.g. the model's name). */
  label?: string;
}

export const PROGRESS_OPTIONS = ['unit', 'unitsPerStep', 'smoothing', 'width', 'figures', 'label'] as const;

/**
 * The bookkeeping every progress display shares: a `Callback` that keeps the smoothed loss, the
 * last metrics and the rate, and hands each new line to `render`. Subclass it (or use
 * `notebookProgress`, or `terminalProgress` from '@unroll/train/node') to show it somewhere.
 */
export abstract class Progress implements Callback {
  protected readonly opts: ProgressOptions;
  private started = 0;
  private firstStep = 0;
  private smoothed: number | null = null;
  private steps: number | undefined;
  /** The latest line (also after the run ends). */
  line = '';

  constructor(opts: ProgressOptions = {}, where = 'Progress') {
    checkKeys(where, opts, PROGRESS_OPTIONS);
    const s = opts.smoothing ?? 0.05;
    if (!(s > 0 && s <= 1)) throw new RangeError(`${where}: smoothing must be in (0, 1]; got ${s}`);
    this.opts = opts;
  }

  /** Shows `line`; `done` is true for the last one (the run ended or failed). */
  protected abstract render(line: string, step: number, steps: number | undefined, done: boolean): void;

  onStart(e: { step: number }): void {
    this.started = Date.now();
    this.firstStep = e.step;
  }

  onStepEnd(e: StepEnd): void {
    if (this.started === 0) this.onStart({ step: e.step - 1 });   // used outside fit
    const w = this.opts.smoothing ?? 0.05;
    this.smoothed = this.smoothed === null ? e.loss : (1 - w) * this.smoothed + w * e.loss;
    this.steps = e.steps;
    this.line = this.format(e, Date.now());
    this.render(this.line, e.step, e.steps, false);
  }

  onEnd(result: FitResult): void {
    const tail = result.error ? `stopped: ${result.error.message}` : result.stopReason === 'steps' ? '' : `stopped: ${result.stopReason}`;
    if (tail) this.line = this.line ? `${this.line} | ${tail}` : tail;
    this.render(this.line, result.step, this.steps, true);
  }

  /** The line for a step report at time `now` (ms). */
  format(e: StepEnd, now: number): string {
    const width = this.opts.width ?? 24;
    const parts: string[] = [];
    if (this.opts.label) parts.push(this.opts.label);
    if (e.steps !== undefined) {
      const filled = Math.round(Math.min(1, e.step / Math.max(e.steps, 1)) * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.step}/${e.steps}`);
    } else {
      parts.push(`step ${e.step}`);
    }
    const figures = this.opts.figures ? this.opts.figures(e, this.smoothed!) : defaultFigures(this.smoothed!, e.metrics);
    for (const [k, v] of Object.entries(figures)) {
      if (v !== undefined) parts.push(`${k} ${typeof v === 'number' ? formatFigure(v) : v}`);
    }
    const elapsed = (now - this.started) / 1000;
    const done = e.step - this.firstStep;
    if (elapsed > 0) parts.push(`${formatCount((done * (this.opts.unitsPerStep ?? 1)) / elapsed)} ${this.opts.unit ?? 'steps'}/s`);
    const eta = e.steps !== undefined && done > 0 && elapsed > 0 ? (elapsed / done) * (e.steps - e.step) : NaN;
    parts.push(`elapsed ${formatDuration(elapsed)}`);
    if (e.steps !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
    return parts.join(' | ');
  }
}

function defaultFigures(loss: number, metrics: Metrics | undefined): Record<string, number> {
  return { loss, ...metrics };
}

/** What a notebook display offers: tslab's `newDisplay()` has both (html is used when present). */
export interface NotebookDisplay {
  html?(html: string): void;
  text?(text: string): void;
}

/**
 * Progress as a live display in a notebook: one output area redrawn in place (an HTML progress bar
 * and the line), at most every `intervalMs` (default 250) and at the end. In tslab:
 *
 *     fit({ ..., callbacks: [notebookProgress(tslab.newDisplay(), { unit: 'seq', unitsPerStep: 32 })] })
 *
 * Use `fit` (not `fitSync`), which gives the event loop a turn so the notebook can redraw.
 */
export function notebookProgress(display: NotebookDisplay, opts: ProgressOptions & { intervalMs?: number } = {}): Progress {
  if (typeof display?.html !== 'function' && typeof display?.text !== 'function') {
    throw new TypeError('notebookProgress: display must have html() or text() (tslab.newDisplay() does)');
  }
  const { intervalMs = 250, ...rest } = opts;
  let shown = 0;
  return new (class extends Progress {
    protected render(line: string, step: number, steps: number | undefined, done: boolean): void {
      const now = Date.now();
      if (!done && now - shown < intervalMs) return;
      shown = now;
      if (display.html) {
        const bar = steps === undefined ? '' : `<progress value="${step}" max="${steps}" style="width:16em;vertical-align:middle"></progress> `;
        display.html(`<div style="font-family:monospace">${bar}${escapeHtml(line)}</div>`);
      } else {
        display.text!(line);
      }
    }
  })(rest, 'notebookProgress');
}

/** Seconds as `mm:ss` or `h:mm:ss` (`--:--` when unknown). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, '0'), ss = String(r).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

const formatCount = (v: number) => (v >= 1e4 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toPrecision(3));
const formatFigure = (v: number) => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
