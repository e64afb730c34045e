import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint, projectSources, readTextFile, repoRoot, splitText } from '../../src/char-rnn/corpus.js';
import { firstLine } from '../../src/char-rnn/train-command.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the default corpus', () => {
  it('concatenates every packages/*/src .ts file in path order, each under a header line', () => {
    const put = (path: string, text: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    put('packages/b/src/sub/y.ts', 'export const y = 2;\r\n');
    put('packages/a/src/x.ts', 'export const x = 1;\n');
    put('packages/a/src/x.d.ts', 'declare const x: number;\n');
    put('packages/a/src/notes.md', '# not code\n');
    put('packages/a/test/x.test.ts', 'test\n');
    const c = projectSources(dir);
    expect(c.text).toBe('// ==> packages/a/src/x.ts <==\nexport const x = 1;\n\n// ==> packages/b/src/sub/y.ts <==\nexport const y = 2;\n');
    expect(c.source).toBe("the project's TypeScript sources (2 files under packages/*/src)");
    expect(c.path).toBeNull();
    expect(firstLine(c.text)).toBe('// ==> packages/a/src/x.ts <==\n');
  });

  it('is found from this repository and reads as real code', () => {
    const c = projectSources(repoRoot());
    expect(c.text.length).toBeGreaterThan(100_000);
    for (const word of ['import ', 'export ', 'const ', '{', '}', '// ==> packages/rnn/src/']) expect(c.text).toContain(word);
  });
});

describe('text files and the split', () => {
  it('refuses missing and empty files by name', () => {
    expect(() => readTextFile(join(dir, 'nope.txt'))).toThrow(`--text: cannot read '${join(dir, 'nope.txt')}' (no such file)`);
    writeFileSync(join(dir, 'empty.txt'), '');
    expect(() => readTextFile(join(dir, 'empty.txt'))).toThrow('is empty; there is nothing to learn');
    expect(() => readTextFile(dir)).toThrow('(it is a directory)');
  });

  it('holds out the last fraction for validation without splitting a surrogate pair', () => {
    expect(splitText('abcdefghij', 0.2)).toEqual({ train: 'abcdefgh', val: 'ij' });
    expect(splitText('abcdefghij', 0)).toEqual({ train: 'abcdefghij', val: '' });
    expect(splitText('abcdefgh😀', 0.1)).toEqual({ train: 'abcdefgh', val: '😀' });
    expect(fingerprint('abc')).not.toBe(fingerprint('abd'));
    expect(fingerprint('abc')).toBe(fingerprint('abc'));
  });
});
