// The parent's end of one persistent runner (protocol.ts): a child process it sends one command at a
// time and whose tagged reply it awaits. A runner that dies, or answers out of turn, rejects the command
// with a RunnerError naming the runner, the command and the tail of its stderr.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { INFO_TAG, READY_TAG, RESULT_TAG, TIME_TAG, formatCommand } from './protocol.js';
import type { Command, Item } from './protocol.js';
import type { WorkloadResult } from './workloads.js';

export class RunnerError extends Error { override name = 'RunnerError'; }

export interface RunnerOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the runner's untagged stdout lines go (default: stderr, prefixed with the label). */
  onOutput?: (label: string, line: string) => void;
}

interface Pending { command: string; tag: string; resolve(payload: string): void; reject(e: Error): void }

export class RunnerProcess {
  /** Its `@@info` records in the order received (versions at start, unroll's memory at quit). */
  readonly infos: Record<string, unknown>[] = [];
  private readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private pending: Pending | undefined;
  private exit: string | undefined;
  private readonly closed: Promise<void>;

  /** Starts `command args` now; `label` ('unroll 2T') names it in every message. */
  constructor(readonly label: string, command: string, args: readonly string[], options: RunnerOptions = {}) {
    const onOutput = options.onOutput ?? ((label: string, line: string) => console.error(`  [${label}] ${line}`));
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line, onOutput));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    // A write to a runner that has just died fails with EPIPE; its 'close' below reports why it died.
    this.child.stdin!.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      this.child.on('error', (e) => { this.exit ??= `could not start: ${e.message}`; });
      this.child.on('close', (code, signal) => {
        this.exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.pending?.reject(this.died(this.pending.command));
        this.pending = undefined;
        resolve();
      });
    });
  }

  get pid(): number | undefined { return this.child.pid; }

  /** Builds `item`'s model and data and runs it `warmup` times untimed. */
  async setup(item: Item, warmup: number): Promise<void> {
    await this.request({ kind: 'setup', item, warmup }, READY_TAG);
  }

  /** One timed run: the wall time the runner measured around it, in ms. */
  async run(): Promise<number> {
    const text = await this.request({ kind: 'run' }, TIME_TAG);
    const ms = Number(text);
    if (!(ms >= 0)) throw new RunnerError(`${this.label}: expected a time after '${TIME_TAG.trim()}'; got '${text}'`);
    return ms;
  }

  /** The workload's result (every timed run since its setup). */
  async finish(): Promise<WorkloadResult> {
    return JSON.parse(await this.request({ kind: 'finish' }, RESULT_TAG)) as WorkloadResult;
  }

  /** Asks the runner to end and waits until it has; rejects unless it exits with status 0. */
  async quit(): Promise<void> {
    if (this.exit === undefined) this.child.stdin!.end('quit\n');
    await this.closed;
    if (this.exit !== 'exited with code 0') throw this.died('quit');
  }

  /** Ends the runner at once (after a failure), without waiting. */
  kill(): void {
    if (this.exit === undefined) this.child.kill();
  }

  private request(command: Command, tag: string): Promise<string> {
    const text = formatCommand(command);
    if (this.pending) return Promise.reject(new RunnerError(`${this.label}: '${text}' sent while '${this.pending.command}' is unanswered`));
    if (this.exit !== undefined) return Promise.reject(this.died(text));
    return new Promise((resolve, reject) => {
      this.pending = { command: text, tag, resolve, reject };
      this.child.stdin!.write(`${text}\n`);
    });
  }

  private onLine(line: string, onOutput: (label: string, line: string) => void): void {
    if (line.startsWith(INFO_TAG)) {
      this.infos.push(JSON.parse(line.slice(INFO_TAG.length)) as Record<string, unknown>);
      return;
    }
    const reply = [READY_TAG, TIME_TAG, RESULT_TAG].find((tag) => line.startsWith(tag));
    if (!reply) {
      if (line.trim()) onOutput(this.label, line);
      return;
    }
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || pending.tag !== reply) {
      const error = new RunnerError(`${this.label}: replied '${line.slice(0, 80)}' ${pending ? `to '${pending.command}'` : 'unasked'}`);
      this.kill();
      pending?.reject(error);
      return;
    }
    pending.resolve(line.slice(reply.length).trim());
  }

  private died(command: string): RunnerError {
    // Long minified lines (emscripten echoes its source on a crash) are cut to keep the tail readable.
    const tail = this.stderrTail.map((l) => `    ${l.slice(0, 300)}`).join('\n');
    return new RunnerError(`${this.label} ${this.exit ?? 'died'} during '${command}'${tail ? `; its stderr ends:\n${tail}` : ' (nothing on stderr)'}`);
  }
}
