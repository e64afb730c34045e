// The /node adapters (checkpoints, the terminal bar), the notebook display, and the browser-safety of the main entry.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RandomGenerator, Linear, SGD, Tensor, mseLoss, randUniform } from '@unroll/autograd';
import { loadCheckpoint } from '@unroll/autograd/node';
import { NonFiniteLossError, fit, fitSync, notebookProgress } from '@unroll/train';
import { saveCheckpoints, terminalProgress } from '@unroll/train/node';

const dir = mkdtempSync(join(tmpdir(), 'unroll-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function* batches(): Generator<{ x: Tensor; y: Tensor }> {
  const g = new RandomGenerator(0);
  for (;;) {
    const x = randUniform([4, 3], -1, 1, { generator: g });
    yield { x, y: x.sum({ axes: [1], keepdims: true }) };
  }
}

/** A fake terminal or pipe that records what is written. */
const stream = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { chunks, isTTY, write(s: string) { chunks.push(s); return true; } } as unknown as NodeJS.WriteStream & { chunks: string[] };
};

describe('saveCheckpoints', () => {
  it('saves every N steps and at the end, atomically, with the step in the file', async () => {
    const model = new Linear(3, 1, { generator: new RandomGenerator(1) });
    const path = join(dir, 'every.safetensors');
    const saved: number[] = [];
    const cb = saveCheckpoints({
      path, every: 3, contents: ({ step }) => ({ model, extra: { step } }), onSave: ({ step }) => { saved.push(step); },
    });
    await fit({ model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: batches(), loss: (b) => mseLoss(model.forward(b.x), b.y), steps: 7, callbacks: [cb] });
    expect(saved).toEqual([3, 6, 7]);
    const back = await loadCheckpoint(path);
    expect(back.extra).toEqual({ step: 7 });
    expect(back.model.weight!.toArray()).toEqual(model.weight.toArray());
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('keeps the last good checkpoint when a later loss is NaN: nothing is written at or after the bad step', async () => {
    const model = new Linear(3, 1, { generator: new RandomGenerator(1) });
    const path = join(dir, 'diverge.safetensors');
    const cb = saveCheckpoints({ path, every: 2, contents: ({ step }) => ({ model, extra: { step } }) });
    const run = fit({
      model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: batches(), steps: 10, callbacks: [cb],
      loss: (b, { step }) => mseLoss(model.forward(b.x), b.y).mul(step === 5 ? NaN : 1),
    });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow('fit: the loss at step 5 is NaN; training stopped before the update (the weights are those after step 4');
    expect(cb.lastSaved).toBe(4);
    const back = await loadCheckpoint(path);
    expect(back.extra).toEqual({ step: 4 });
    expect(back.model.weight!.values().every(Number.isFinite)).toBe(true);
  });

  it('refuses to write non-finite weights, naming the tensor, and refuses unknown options', async () => {
    const model = new Linear(2, 1, { generator: new RandomGenerator(1) });
    model.weight.data.set(0, 1, Infinity);
    const cb = saveCheckpoints({ path: join(dir, 'never.safetensors'), contents: () => ({ model }) });
    await expect(cb.onEnd!({ step: 3, losses: [], evaluations: [], stopReason: 'steps', state: undefined }))
      .rejects.toThrow('saveCheckpoints: the model at step 3 has a non-finite weight: weight[1] is Infinity');
    expect(readdirSync(dir)).not.toContain('never.safetensors');
    expect(() => saveCheckpoints({ path: 'x', contents: () => ({}), everySteps: 3 } as never)).toThrow("saveCheckpoints: unknown option 'everySteps'");
  });
});

describe('progress', () => {
  const train = (callbacks: never[], steps = 5) => {
    const model = new Linear(3, 1, { generator: new RandomGenerator(1) });
    return fitSync({
      model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: batches(), loss: (b) => mseLoss(model.forward(b.x), b.y), steps,
      evaluate: () => ({ val_loss: 0.25 }), evalEvery: 2, callbacks,
    });
  };

  it('redraws one line in place on a TTY and ends it with a newline', () => {
    const tty = stream(true);
    train([terminalProgress({ stream: tty, unit: 'seq', unitsPerStep: 4 }) as never]);
    expect(tty.chunks).toHaveLength(6);   // 5 steps and the end
    expect(tty.chunks.every((c) => c.startsWith('\r') && c.includes('\x1b[K'))).toBe(true);
    expect(tty.chunks.at(-1)!.endsWith('\n')).toBe(true);
    // (the rate shows once time has passed since the first step; timings are not asserted)
    expect(tty.chunks[1]).toMatch(/^\r\[#+\.+\] 2\/5 \| loss \d\.\d{4} \| val_loss 0\.2500 \| (\S+ seq\/s \| )?elapsed \d\d:\d\d \| ETA (\d\d:\d\d|--:--)/);
  });

  it('prints whole lines when piped: the first, then at most every lineIntervalMs, and the last', () => {
    const pipe = stream(false);
    const bar = terminalProgress({ stream: pipe, lineIntervalMs: 3_600_000 });
    train([bar as never], 5);
    expect(pipe.chunks.map((c) => c.match(/\] (\d)\/5/)![1])).toEqual(['1', '5']);
    expect(pipe.chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    bar.log('a sample');
    expect(pipe.chunks.at(-1)).toBe('a sample\n');
  });

  it('shows as a live HTML display in a notebook (tslab.newDisplay()), the last state always drawn', () => {
    const shown: string[] = [];
    train([notebookProgress({ html: (h) => shown.push(h) }, { intervalMs: 3_600_000, label: 'lstm' }) as never], 4);
    expect(shown).toHaveLength(2);   // the first step, then the end
    expect(shown.at(-1)).toMatch(/^<div style="font-family:monospace"><progress value="4" max="4"[^>]*><\/progress> lstm \| \[#+\] 4\/4 \| loss/);
    const texts: string[] = [];
    train([notebookProgress({ text: (t) => texts.push(t) }, { intervalMs: 0 }) as never], 3);
    expect(texts).toHaveLength(4);
    expect(() => notebookProgress({} as never)).toThrow('notebookProgress: display must have html() or text()');
    expect(() => notebookProgress({ text: () => {} }, { units: 'x' } as never)).toThrow("notebookProgress: unknown option 'units'");
  });
});

describe('the main entry is browser-safe', () => {
  it('imports no Node module and touches no Node global outside src/node', () => {
    const src = join(import.meta.dirname, '../src');
    for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
      const code = readFileSync(join(src, file), 'utf8');
      expect(code, file).not.toMatch(/from 'node:|require\(|process\.|Buffer\.|from '@unroll\/autograd\/node'/);
    }
  });
});
