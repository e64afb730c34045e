// --val-pieces: validation held out from the end of each of N equal pieces of the text (char-rnn's own
// split spreads it through the text); the tail of the text (N = 1) stays the default.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '@unroll/autograd/node';
import { loadRun, resumeInto, runContents } from '../../src/char-rnn/checkpoint.js';
import type { RunInfo } from '../../src/char-rnn/checkpoint.js';
import { splitText } from '../../src/char-rnn/corpus.js';
import { defaultConfig, describeValidation, parseCommandLine } from '../../src/char-rnn/options.js';
import type { TrainConfig } from '../../src/char-rnn/options.js';
import { Trainer } from '../../src/char-rnn/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'unroll-val-pieces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TEXT = 'the quick brown fox jumps over the lazy dog; '.repeat(30);
const info: RunInfo = { textPath: null, textSource: 'a test text', defaultSeed: 'the ' };
const tiny = (over: Partial<TrainConfig> = {}): TrainConfig =>
  defaultConfig({ hidden: 8, embed: 4, seqLen: 8, batch: 2, steps: 10, warmup: 0, valFraction: 0.1, seed: 3, ...over });
const parse = (line: string) => parseCommandLine(['train', ...line.split(' ').filter(Boolean)]);

describe('splitText with pieces', () => {
  it('holds out the end of each piece, keeping the order of the text', () => {
    expect(splitText('abcdefghij', 0.2, 2)).toEqual({ train: 'abcdfghi', val: 'ej' });
    expect(splitText('abcdefghij', 0.2, 1)).toEqual(splitText('abcdefghij', 0.2));
    expect(splitText('abcdefghij', 0, 5)).toEqual({ train: 'abcdefghij', val: '' });
    // A cut never falls inside a surrogate pair, at a piece's end or at its validation start.
    expect(splitText('ab😀cd😀', 0.4, 2)).toEqual({ train: 'abcd', val: '😀😀' });
  });

  it('loses and repeats no character, and holds out about the fraction asked (property)', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.9, noNaN: true }),
      (text, pieces, fraction) => {
        const { train, val } = splitText(text, fraction, pieces);
        expect(train.length + val.length).toBe(text.length);
        // Every piece holds out floor(fraction · its length), ± a surrogate shift each.
        expect(val.length).toBeLessThanOrEqual(Math.floor(text.length * fraction) + pieces);
        expect(val.length).toBeGreaterThanOrEqual(Math.floor(text.length * fraction) - 2 * pieces);
      }));
  });

  it('refuses a piece count that is not a whole number ≥ 1', () => {
    expect(() => splitText('abc', 0.1, 0)).toThrow('splitText: pieces must be a whole number ≥ 1; got 0');
    expect(() => splitText('abc', 0.1, 1.5)).toThrow('got 1.5');
  });
});

describe('--val-pieces', () => {
  it('defaults to 1 (the tail of the text) and refuses a count below 1', () => {
    const cmd = parse('');
    if (cmd.command !== 'train') throw new Error('expected train');
    expect(cmd.args.config.valPieces).toBe(1);
    const spread = parse('--val-pieces 50');
    if (spread.command !== 'train') throw new Error('expected train');
    expect(spread.args.config.valPieces).toBe(50);
    expect(() => parse('--val-pieces 0')).toThrow('--val-pieces');
    expect(() => parse('--val-pieces two')).toThrow('--val-pieces');
  });

  it('validates on the end of every piece, said in words', () => {
    const t = new Trainer(TEXT, tiny({ valPieces: 3 }));
    const { val } = splitText(TEXT, 0.1, 3);
    expect(t.val!.batch * t.val!.length).toBeLessThanOrEqual(val.length);
    expect(describeValidation(t.config)).toBe('the last 0.1 of each of 3 equal pieces of the text');
    expect(describeValidation(tiny())).toBe('the last 0.1 of the text');
    expect(() => new Trainer(TEXT, tiny({ valPieces: 3, valFraction: 0.001 })))
      .toThrow('the validation text (the last 0.001 of each of 3 equal pieces of the text) has 0 characters');
  });

  it('is part of the run: a resume refuses another count, and a checkpoint from before the flag reads as 1', async () => {
    const t = new Trainer(TEXT, tiny({ valPieces: 4 }));
    t.trainStep();
    const path = join(dir, 'four.safetensors');
    await saveCheckpoint(path, runContents(t, info));
    const run = await loadRun(path);
    expect(run.config.valPieces).toBe(4);
    expect(() => resumeInto(new Trainer(TEXT, tiny()), run)).toThrow('the checkpoint has valPieces = 4, this run 1');

    const contents = runContents(new Trainer(TEXT, tiny()), info);
    delete (contents.extra as { config: Record<string, unknown> }).config.valPieces;
    const oldPath = join(dir, 'old.safetensors');
    await saveCheckpoint(oldPath, contents);
    expect((await loadRun(oldPath)).config.valPieces).toBe(1);
  });
});
