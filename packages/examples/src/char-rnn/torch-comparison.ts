// unroll's char-rnn next to torch.nn.LSTM with the same recipe: the same one-hot inputs, initial
// weights, batches in the same order, optimizer, clipping and validation, trained side by side;
// the validation losses at chosen steps make the table of scripts/char-lm-vs-torch.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveSafetensors } from '@unroll/autograd/node';
import { fit } from '@unroll/train';
import type { Callback } from '@unroll/train';
import { examplesDir } from './corpus.js';
import { defaultConfig } from './options.js';
import type { TrainConfig } from './options.js';
import { Trainer } from './trainer.js';

/** The recipe both sides train with (PyTorch's char-rnn anchors by default). */
export interface ComparisonOptions {
  /** The text (tinyshakespeare for the README's table). */
  text: string;
  steps: number;
  /** Steps to validate at (each ≤ steps). */
  evalAt: readonly number[];
  hidden: number;
  batch: number;
  seqLen: number;
  lr: number;
  clip: number;
  seed: number;
  /** Whose initial weights torch starts from: unroll's (the same numbers on both sides) or torch's own init. */
  torchInit: 'unroll' | 'torch';
  /** The Python with PyTorch (Debian's /usr/bin/python3), or null to train unroll alone. */
  python: string | null;
  /** torch.set_num_threads. */
  torchThreads: number;
  /** Extra callbacks for unroll's fit (a progress bar). */
  callbacks?: Callback[];
  /** Told each line torch writes to stderr (its progress). */
  onTorchLine?: (line: string) => void;
}

/** One validation of each side, nats per character (torch null when it did not run). */
export interface ComparisonRow {
  step: number;
  unroll: number;
  torch: number | null;
}

/** What `compareWithTorch` gives: the rows, and why torch is missing when it is. */
export interface ComparisonResult {
  config: TrainConfig;
  vocabSize: number;
  rows: ComparisonRow[];
  torchVersion: string | null;
  /** Why PyTorch did not run (no Python, no torch), or null. */
  torchSkipped: string | null;
  unrollSeconds: number;
  torchSeconds: number | null;
}

/** The CLI config of the recipe: one-hot inputs, one LSTM layer, Adam at a constant lr, clipping, no dropout. */
export function recipeConfig(o: Pick<ComparisonOptions, 'steps' | 'hidden' | 'batch' | 'seqLen' | 'lr' | 'clip' | 'seed'>): TrainConfig {
  return defaultConfig({
    input: 'one-hot', cell: 'lstm', layers: 1, hidden: o.hidden, dropout: 0, batch: o.batch, seqLen: o.seqLen, steps: o.steps,
    optim: 'adam', lr: o.lr, clip: o.clip, schedule: 'constant', warmup: 0, valFraction: 0.05, valPieces: 1, seed: o.seed,
  });
}

/** The `pnpm start train` line that trains unroll's side alone (same numbers: the same Trainer, seed and data). */
export function cliCommand(o: Pick<ComparisonOptions, 'steps' | 'evalAt' | 'hidden' | 'batch' | 'seqLen' | 'lr' | 'clip' | 'seed'>, textArg: string): string {
  const every = o.evalAt.reduce((a, b) => gcd(a, b));
  return `pnpm start train --text ${textArg} --input one-hot --hidden ${o.hidden} --batch ${o.batch} --seq-len ${o.seqLen} ` +
    `--lr ${o.lr} --schedule constant --warmup 0 --clip ${o.clip} --steps ${o.steps} --seed ${o.seed} --eval-every ${every}`;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The Python script that trains torch's side. */
export const torchScript = (): string => join(examplesDir(), 'scripts', 'char-lm-vs-torch.py');

/** Why `python` cannot train torch's side (it is missing, or cannot import torch), or null when it can; also torch's version. */
export function probeTorch(python: string): { problem: string | null; version: string | null } {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { problem: `${python} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`, version: null };
  if (r.status !== 0) return { problem: `${python} cannot import torch (${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`})`, version: null };
  return { problem: null, version: r.stdout.trim() };
}

/**
 * Trains both sides, torch in a child process while unroll trains here, and returns the validation
 * losses at `evalAt`. The data goes to torch as ids (the training streams and the validation streams,
 * exactly as unroll batches them), and with `torchInit: 'unroll'` unroll's initial weights too.
 */
export async function compareWithTorch(o: ComparisonOptions): Promise<ComparisonResult> {
  const config = recipeConfig(o);
  for (const s of o.evalAt) {
    if (!Number.isInteger(s) || s < 1 || s > o.steps) throw new RangeError(`compareWithTorch: --eval-at steps must be integers in [1, ${o.steps}]; got ${s}`);
  }
  const evalAt = [...new Set(o.evalAt)].sort((a, b) => a - b);
  const trainer = new Trainer(o.text, config);
  const val = trainer.val!;
  let torchSkipped: string | null = o.python === null ? 'not asked for (--python none)' : null;
  let torchVersion: string | null = null;
  if (o.python !== null) ({ problem: torchSkipped, version: torchVersion } = probeTorch(o.python));

  const dir = mkdtempSync(join(tmpdir(), 'char-lm-vs-torch-'));
  let torchRun: Promise<Map<number, number>> | null = null;
  let torchSeconds: number | null = null;
  try {
    if (torchSkipped === null) {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ config, vocabSize: trainer.vocab.size, evalAt, valBatch: val.batch }));
      writeFileSync(join(dir, 'train.i32'), int32Bytes(trainer.train.data));
      writeFileSync(join(dir, 'val.i32'), int32Bytes(val.data));
      if (o.torchInit === 'unroll') await saveSafetensors(join(dir, 'init.safetensors'), trainer.model.stateDict());
      const started = Date.now();
      torchRun = runTorch(o.python!, ['--data', dir, '--threads', String(o.torchThreads)], o.onTorchLine)
        .finally(() => { torchSeconds = (Date.now() - started) / 1000; });
      torchRun.catch(() => undefined); // awaited below; keeps an early failure from being unhandled meanwhile
    }
    const unroll = new Map<number, number>();
    const started = Date.now();
    const options = trainer.fitOptions(o.steps);
    await fit({
      ...options,
      callbacks: [...options.callbacks, {
        onStepEnd: (e) => { if (evalAt.includes(e.step)) unroll.set(e.step, trainer.evaluate(e.step)); },
      }, ...(o.callbacks ?? [])],
    });
    const unrollSeconds = (Date.now() - started) / 1000;
    const torch = torchRun ? await torchRun : null;
    return {
      config, vocabSize: trainer.vocab.size, torchVersion, torchSkipped, unrollSeconds, torchSeconds,
      rows: evalAt.map((step) => ({ step, unroll: unroll.get(step)!, torch: torch?.get(step) ?? null })),
    };
  } finally {
    await torchRun?.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function int32Bytes(ids: Int32Array): Uint8Array {
  const bytes = new Uint8Array(ids.length * 4);
  const view = new DataView(bytes.buffer);
  ids.forEach((id, i) => view.setInt32(i * 4, id, true));
  return bytes;
}

/** Runs the Python side; resolves to step → validation loss, or rejects with the end of its stderr. */
function runTorch(python: string, args: string[], onLine?: (line: string) => void): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [torchScript(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const losses = new Map<number, number>();
    const errLines: string[] = [];
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (let nl; (nl = out.indexOf('\n')) >= 0; out = out.slice(nl + 1)) {
        const row = JSON.parse(out.slice(0, nl)) as { step: number; val_loss: number };
        losses.set(row.step, row.val_loss);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      for (let nl; (nl = err.indexOf('\n')) >= 0; err = err.slice(nl + 1)) {
        const line = err.slice(0, nl);
        errLines.push(line);
        if (errLines.length > 20) errLines.shift();
        onLine?.(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(losses);
      else reject(new Error(`char-lm-vs-torch.py exited with ${code}:\n${errLines.join('\n')}`));
    });
  });
}

/** The README's table: step, unroll, PyTorch, the difference (nats/char). */
export function comparisonTable(result: ComparisonResult): string {
  const f = (x: number | null) => (x === null ? '—' : x.toFixed(4));
  const lines = ['| step | unroll | PyTorch | unroll − PyTorch |', '|---:|---:|---:|---:|'];
  for (const r of result.rows) {
    const diff = r.torch === null ? null : Number((r.unroll - r.torch).toFixed(4));
    const d = diff === null ? '—' : diff === 0 ? '0.0000' : `${diff > 0 ? '+' : '−'}${Math.abs(diff).toFixed(4)}`;
    lines.push(`| ${r.step.toLocaleString('en-US')} | ${f(r.unroll)} | ${f(r.torch)} | ${d} |`);
  }
  return lines.join('\n');
}
