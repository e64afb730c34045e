// Fuzzing the text loader (issue 16 item 10): random bytes and corrupted UTF-8 text. Every input ends
// in the exact text (what a strict UTF-8 decoder gives) or a TextFileError naming the offset where the
// first invalid sequence starts — never another exception, never U+FFFD standing in for bad bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextFile } from '../src/char-rnn/corpus.js';
import { TextFileError, decodeUtf8, firstInvalidUtf8 } from '../src/text-file.js';

const SEED = 16_010;
const strict = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);
const decodes = (b: Uint8Array) => { try { strict(b); return true; } catch { return false; } };

/** Valid UTF-8 (any code points, emoji included), then optionally corrupted. */
const text = fc.string({ unit: 'binary', maxLength: 60 }).map((s) => new TextEncoder().encode(s));
const corrupted = fc.tuple(text, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
  .map(([bytes, edits, cut]) => {
    const out = bytes.slice();
    for (const [at, value] of edits) if (out.length) out[at % out.length] = value;
    return cut % 4 === 0 ? out.subarray(0, cut % (out.length + 1)) : out; // sometimes cut mid-character
  });
const anyBytes = fc.oneof(corrupted, fc.uint8Array({ maxLength: 40 }));

describe('fuzzing the UTF-8 text loader', () => {
  it('decodeUtf8 gives exactly the strict decoding, or a TextFileError at the first invalid sequence', () => {
    fc.assert(fc.property(anyBytes, (bytes) => {
      let out: string;
      try {
        out = decodeUtf8(bytes, 'fuzz');
      } catch (err) {
        expect(err).toBeInstanceOf(TextFileError);
        const offset = Number(/at byte offset (\d+)/.exec((err as Error).message)![1]);
        expect(decodes(bytes)).toBe(false);
        expect(decodes(bytes.subarray(0, offset))).toBe(true); // everything before it is fine …
        expect(decodes(bytes.subarray(offset))).toBe(false); // … and the bad sequence starts there
        return;
      }
      expect(out).toBe(strict(bytes));
      expect(firstInvalidUtf8(bytes)).toBe(bytes.length);
    }), { seed: SEED, numRuns: 1000 });
  });

  const dir = mkdtempSync(join(tmpdir(), 'text-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('readTextFile (char-rnn --text): the same through a file, with only its own error kinds', () => {
    let n = 0;
    fc.assert(fc.property(anyBytes, (bytes) => {
      const path = join(dir, `f${n++}.txt`);
      writeFileSync(path, bytes);
      try {
        const corpus = readTextFile(path);
        expect(corpus.text).toBe(strict(bytes).replace(/^\ufeff/, ''));
      } catch (err) {
        expect((err as Error).message).toMatch(/^--text: '.*' (is not UTF-8 text: invalid byte sequence at byte offset \d+|is empty; there is nothing to learn)/);
      }
    }), { seed: SEED, numRuns: 200 });
  });
});
