import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '@unroll/autograd/node';
import { RandomGenerator, Linear } from '@unroll/autograd';
import { loadRun, resumeInto, saveRun } from '../../src/char-rnn/checkpoint.js';
import type { RunInfo } from '../../src/char-rnn/checkpoint.js';
import { defaultConfig } from '../../src/char-rnn/options.js';
import type { TrainConfig } from '../../src/char-rnn/options.js';
import { sampleText } from '../../src/char-rnn/sample.js';
import { lrFactor } from '../../src/char-rnn/schedule.js';
import { Trainer } from '../../src/char-rnn/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = 'the cat sat on the mat. '.repeat(40);
const tiny = (over: Partial<TrainConfig> = {}): TrainConfig =>
  defaultConfig({ hidden: 16, embed: 8, seqLen: 8, batch: 4, steps: 40, lr: 0.02, warmup: 0, valFraction: 0.1, seed: 3, ...over });
const info: RunInfo = { textPath: null, textSource: 'a test text', defaultSeed: 'the ' };
const params = (t: Trainer) => t.model.parameters().map((p) => Array.from(p.values()));

describe('Trainer', () => {
  it('learns a tiny repetitive text: the loss falls far below the uniform guess within 60 steps', () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const t = new Trainer(TEXT, tiny({ cell, steps: 60 }));
      const uniform = Math.log(t.vocab.size);
      const before = t.evaluate();
      const losses = Array.from({ length: 60 }, () => t.trainStep().loss);
      const after = t.evaluate();
      expect(before).toBeGreaterThan(0.9 * uniform);
      expect(losses.slice(-5).reduce((a, b) => a + b) / 5, cell).toBeLessThan(0.4 * uniform);
      expect(after, cell).toBeLessThan(0.4 * before);
      expect(t.history.val.map(([s]) => s)).toEqual([0, 60]);
    }
  });

  it('resumes from a checkpoint with the identical next steps (optimizer, schedule, dropout RNG, carried state)', async () => {
    // Two layers with dropout, so the RNG matters; 9 chunks per pass, so the resume falls mid-pass with a carried state.
    const config = tiny({ layers: 2, dropout: 0.3, batch: 8, steps: 30, warmup: 3, schedule: 'cosine' });
    const a = new Trainer(TEXT, config);
    expect(a.chunksPerEpoch).toBe(13);
    for (let i = 0; i < 7; i++) a.trainStep();
    const path = join(dir, 'resume.safetensors');
    await saveRun(path, a, info);
    const ahead = Array.from({ length: 9 }, () => a.trainStep()); // crosses the end of the pass too

    const b = new Trainer(TEXT, config);
    resumeInto(b, await loadRun(path));
    expect(b.step).toBe(7);
    const resumed = Array.from({ length: 9 }, () => b.trainStep());
    expect(resumed).toEqual(ahead);
    expect(params(b)).toEqual(params(a));
    expect(b.history.train).toEqual(a.history.train);

    // Without the carried state the next loss differs: the test above would notice a lost carry.
    const c = new Trainer(TEXT, config);
    const run = await loadRun(path);
    resumeInto(c, { ...run, state: { ...run.state, carry: null } });
    expect(c.trainStep().loss).not.toBe(ahead[0]!.loss);
  });

  it('evaluating and sampling between steps leave the training trajectory unchanged', () => {
    const config = tiny({ layers: 2, dropout: 0.3 });
    const plain = new Trainer(TEXT, config);
    const busy = new Trainer(TEXT, config);
    for (let i = 0; i < 6; i++) {
      expect(busy.trainStep()).toEqual(plain.trainStep());
      busy.evaluate();
      sampleText(busy.model, busy.vocab, { seedText: 'the', length: 5, generator: new RandomGenerator(i) });
    }
    expect(params(busy)).toEqual(params(plain));
  });

  it('refuses to resume on a text with another vocabulary, naming the difference', async () => {
    const a = new Trainer(TEXT, tiny());
    const path = join(dir, 'vocab.safetensors');
    await saveRun(path, a, info);
    const other = new Trainer(TEXT.replace(/c/g, 'k'), tiny());
    await expect(loadRun(path).then((r) => resumeInto(other, r))).rejects.toThrow(
      `cannot resume from '${path}': the checkpoint's vocabulary differs from this text's (11 symbols vs 11; only the second has "k" (U+006B); ` +
      'only the first has "c" (U+0063)); it was trained on a test text — pass the same --text');
    const sameChars = new Trainer(`${TEXT}the mat sat. `, tiny());
    await expect(loadRun(path).then((r) => resumeInto(sameChars, r))).rejects.toThrow('the text is not the one the checkpoint was trained on');
    const bigger = new Trainer(TEXT, tiny({ hidden: 12 }));
    await expect(loadRun(path).then((r) => resumeInto(bigger, r))).rejects.toThrow('the checkpoint has hidden = 16, this run 12');
  });

  it('refuses corrupt, truncated and foreign checkpoint files with a clear error', async () => {
    const a = new Trainer(TEXT, tiny());
    const good = join(dir, 'good.safetensors');
    await saveRun(good, a, info);
    const bytes = readFileSync(good);

    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(loadRun(truncated)).rejects.toThrow(`loadCheckpoint: '${truncated}' is not a readable checkpoint`);

    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, Buffer.from('this is not a checkpoint at all'));
    await expect(loadRun(garbage)).rejects.toThrow(`loadCheckpoint: '${garbage}' is not a readable checkpoint`);

    const foreign = join(dir, 'foreign.safetensors');
    await saveCheckpoint(foreign, { model: new Linear(2, 3) });
    await expect(loadRun(foreign)).rejects.toThrow(`checkpoint '${foreign}' is a safetensors file but not a char-rnn checkpoint`);

    // A char-rnn record with a damaged config is named field by field.
    // The config is JSON inside the JSON header, so its quotes are escaped; same length keeps the offsets valid.
    const text = bytes.toString('latin1').replace('\\"hidden\\":16', '\\"hidden\\":-1');
    expect(text).not.toBe(bytes.toString('latin1'));
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, Buffer.from(text, 'latin1'));
    await expect(loadRun(damaged)).rejects.toThrow(`checkpoint '${damaged}': config 'hidden' (--hidden): expected an integer ≥ 1; got -1`);
  });

  it('refuses texts too short for the chosen batching', () => {
    expect(() => new Trainer('abcdefghij'.repeat(3), tiny({ valFraction: 0 }))).toThrow(
      'the training text has 30 characters: each of the 4 streams gets 7, too few for one chunk of --seq-len 8 plus its target');
    expect(() => new Trainer(TEXT, tiny({ valFraction: 0.001 }))).toThrow('the validation text (the last 0.001 of the text) has 0 characters');
  });
});

describe('learning-rate schedule', () => {
  const cfg = { schedule: 'cosine' as const, warmup: 4, steps: 14, minLrFactor: 0.1, stepSize: 3, gamma: 0.5 };
  it('warms up linearly, then follows the cosine down to the floor and stays there', () => {
    expect([0, 1, 2, 3].map((e) => lrFactor(cfg, e))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lrFactor(cfg, 4)).toBe(1);
    expect(lrFactor(cfg, 9)).toBeCloseTo(0.55, 12);
    expect(lrFactor(cfg, 14)).toBeCloseTo(0.1, 12);
    expect(lrFactor(cfg, 20)).toBeCloseTo(0.1, 12);
  });
  it('decays by gamma every stepSize steps after warm-up, or stays constant', () => {
    expect([4, 6, 7, 10].map((e) => lrFactor({ ...cfg, schedule: 'step' }, e))).toEqual([1, 1, 0.5, 0.25]);
    expect(lrFactor({ ...cfg, schedule: 'constant', warmup: 0 }, 100)).toBe(1);
  });
});
