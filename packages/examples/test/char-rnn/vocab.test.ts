import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Vocab, VocabError } from '../../src/char-rnn/vocab.js';

const SEED = 20240611;

describe('Vocab', () => {
  it('is the sorted distinct characters of the text, code points included', () => {
    const v = Vocab.fromText('hello → world');
    expect(v.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w', '→']);
    expect(v.size).toBe(9);
    expect(Vocab.fromText('a😀b').chars).toEqual(['a', 'b', '😀']);
  });

  it('encodes and decodes any text built from its characters back to itself', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (text) => {
      const v = Vocab.fromText(text);
      const ids = v.encode(text);
      expect(ids.length).toBe([...text].length);
      for (const id of ids) expect(id >= 0 && id < v.size).toBe(true);
      expect(v.decode(ids)).toBe(text);
    }), { seed: SEED, numRuns: 100 });
  });

  it('refuses an unknown character, naming it, its code point and where it is', () => {
    const v = Vocab.fromText('abc');
    expect(() => v.encode('abz', 'the seed text')).toThrow(VocabError);
    expect(() => v.encode('abz', 'the seed text')).toThrow(
      'the seed text has "z" (U+007A) at character 2, which is not in the model\'s 3-symbol vocabulary');
    expect(() => v.encode('a\tb')).toThrow('"\\t" (U+0009) at character 1');
  });

  it('refuses ids outside the vocabulary and malformed entries', () => {
    const v = Vocab.fromText('ab');
    expect(() => v.decode([0, 2])).toThrow('Vocab.decode: id 2 is outside [0, 2)');
    expect(() => new Vocab(['a', 'bc'])).toThrow('Vocab: entry 1 must be a single character; got "bc"');
    expect(() => new Vocab(['a', 'a'])).toThrow('Vocab: "a" (U+0061) appears twice (entries 0 and 1)');
    expect(() => Vocab.fromText('')).toThrow('the text is empty');
  });

  it('explains how two vocabularies differ', () => {
    const a = Vocab.fromText('abc'), b = Vocab.fromText('abd');
    expect(a.difference(Vocab.fromText('cab'))).toBeNull();
    expect(a.difference(b)).toBe('3 symbols vs 3; only the second has "d" (U+0064); only the first has "c" (U+0063)');
  });
});
