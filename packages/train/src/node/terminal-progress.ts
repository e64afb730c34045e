// Progress in a terminal: a bar redrawn in place on a TTY, plain lines every few seconds when piped (CI logs).
import { Progress, PROGRESS_OPTIONS } from '../progress.js';
import type { ProgressOptions } from '../progress.js';
import { checkKeys } from '../options.js';

export interface TerminalProgressOptions extends ProgressOptions {
  /** Where to write (default process.stderr): any object with write(), a TTY when `isTTY` is true. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Without a TTY, print a line at most this often (ms, default 5000) and at the end. */
  lineIntervalMs?: number;
}

/** A terminal progress display; `log` prints a message above the bar without garbling it. */
export interface TerminalProgress extends Progress {
  log(message: string): void;
}

/**
 * The bar on a TTY (`\r` redraws one line), lines when the stream is a pipe or a file.
 *
 *     await fit({ ..., callbacks: [terminalProgress({ unit: 'chars', unitsPerStep: 512 })] });
 */
export function terminalProgress(opts: TerminalProgressOptions = {}): TerminalProgress {
  checkKeys('terminalProgress', opts, [...PROGRESS_OPTIONS, 'stream', 'lineIntervalMs']);
  const { stream = process.stderr, lineIntervalMs = 5000, ...rest } = opts;
  const tty = Boolean(stream.isTTY);
  let lastLine = 0, lastWritten = '';
  return new (class extends Progress implements TerminalProgress {
    protected render(line: string, step: number, steps: number | undefined, done: boolean): void {
      const now = Date.now();
      if (tty) {
        stream.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
      } else if (done || step === steps || now - lastLine >= lineIntervalMs) {
        if (line !== lastWritten) stream.write(`${line}\n`);
        lastWritten = line;
        lastLine = now;
      }
    }

    log(message: string): void {
      stream.write(tty ? `\r\x1b[K${message}\n` : `${message}\n`);
    }
  })(rest, 'terminalProgress');
}
