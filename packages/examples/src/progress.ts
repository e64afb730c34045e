// A terminal progress bar for training loops: step, named figures, rate and ETA.

export interface ProgressOptions {
  total: number;
  /** Width of the bar in characters (default 24). */
  width?: number;
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Unit counted by `rate` (e.g. 'chars'); the rate shows as `<n> <unit>/s`. */
  unit?: string;
  /** Without a TTY (CI, a notebook), print a full line at most this often (default 5000 ms). */
  lineIntervalMs?: number;
}

/**
 * Redraws one line in place on a TTY; elsewhere prints a line every few seconds,
 * so logs stay readable. Figures are shown as given (`loss 1.234`).
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastLine = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Shows progress at `step` (1-based) with figures; `units` is the count so far for the rate. */
  update(step: number, figures: Record<string, number | string | undefined> = {}, units?: number): void {
    const now = Date.now();
    const done = step >= this.opts.total;
    if (!this.tty && !done && now - this.lastLine < (this.opts.lineIntervalMs ?? 5000)) return;
    this.lastLine = now;
    const line = this.format(step, figures, units, now);
    if (this.tty) this.stream.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }

  /** Prints a message above the bar (e.g. a sample) without garbling it. */
  log(message: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${message}\n` : `${message}\n`);
  }

  format(step: number, figures: Record<string, number | string | undefined>, units: number | undefined, now = Date.now()): string {
    const total = this.opts.total;
    const width = this.opts.width ?? 24;
    const frac = Math.min(1, step / total);
    const filled = Math.round(frac * width);
    const elapsed = (now - this.started) / 1000;
    const eta = step > 0 ? (elapsed / step) * (total - step) : NaN;
    const parts = [`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total}`];
    for (const [k, v] of Object.entries(figures)) {
      if (v !== undefined) parts.push(`${k} ${typeof v === 'number' ? v.toFixed(3) : v}`);
    }
    if (units !== undefined && elapsed > 0) parts.push(`${formatCount(units / elapsed)} ${this.opts.unit ?? 'it'}/s`);
    parts.push(`elapsed ${formatDuration(elapsed)}`, `ETA ${formatDuration(eta)}`);
    return parts.join(' | ');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, '0'), ss = String(r).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

const formatCount = (v: number) => (v >= 1e4 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
