// The character vocabulary of a char-rnn: every distinct character of the training text, sorted,
// mapped to the ids 0…V−1 that the embedding and the output layer use.

/** Thrown when text holds a character the vocabulary does not know (e.g. in a sampling seed). */
export class VocabError extends Error {
  override name = 'VocabError';
}

/**
 * A sorted set of characters (whole code points, so '→' or an emoji is one symbol) and their ids.
 * Built from the training text; encoding anything else refuses a character it has never seen.
 */
export class Vocab {
  /** chars[id] is the character with that id (sorted by code point). */
  readonly chars: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  /** `chars`: distinct single characters (code points). */
  constructor(chars: readonly string[]) {
    const ids = new Map<string, number>();
    chars.forEach((ch, i) => {
      if (typeof ch !== 'string' || [...ch].length !== 1) {
        throw new VocabError(`Vocab: entry ${i} must be a single character; got ${JSON.stringify(ch)}`);
      }
      if (ids.has(ch)) throw new VocabError(`Vocab: ${showChar(ch)} appears twice (entries ${ids.get(ch)} and ${i})`);
      ids.set(ch, i);
    });
    if (ids.size === 0) throw new VocabError('Vocab: needs at least one character; the text is empty');
    this.chars = [...chars];
    this.ids = ids;
  }

  /** The vocabulary of `text`: its distinct characters sorted by code point. */
  static fromText(text: string): Vocab {
    const set = new Set<string>();
    for (const ch of text) set.add(ch);
    return new Vocab([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Number of symbols V. */
  get size(): number {
    return this.chars.length;
  }

  /** True when the vocabulary has this character. */
  has(ch: string): boolean {
    return this.ids.has(ch);
  }

  /**
   * Text → ids. A character outside the vocabulary is a VocabError naming it, its position and
   * `what` the text is (e.g. 'the seed text').
   */
  encode(text: string, what = 'text'): Int32Array {
    const out = new Int32Array(text.length); // an upper bound: surrogate pairs take two UTF-16 units
    let n = 0, offset = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new VocabError(`${what} has ${showChar(ch)} at character ${offset}, which is not in the model's ${this.size}-symbol vocabulary`);
      }
      out[n++] = id;
      offset++;
    }
    return out.slice(0, n);
  }

  /** ids → text. An id outside [0, V) is an error. */
  decode(ids: Iterable<number>): string {
    let s = '';
    for (const id of ids) {
      const ch = this.chars[id];
      if (ch === undefined) throw new VocabError(`Vocab.decode: id ${id} is outside [0, ${this.size})`);
      s += ch;
    }
    return s;
  }

  /** True when both have the same characters in the same order (so the same ids). */
  equals(other: Vocab): boolean {
    return this.size === other.size && this.chars.every((ch, i) => other.chars[i] === ch);
  }

  /**
   * Why `other` cannot stand in for this vocabulary, or null when they are equal: the first characters
   * one has and the other lacks.
   */
  difference(other: Vocab): string | null {
    if (this.equals(other)) return null;
    const missing = other.chars.filter((ch) => !this.has(ch));
    const extra = this.chars.filter((ch) => !other.has(ch));
    const list = (chs: string[]) => chs.slice(0, 5).map(showChar).join(', ') + (chs.length > 5 ? `, … (${chs.length} in all)` : '');
    const parts = [`${this.size} symbols vs ${other.size}`];
    if (missing.length) parts.push(`only the second has ${list(missing)}`);
    if (extra.length) parts.push(`only the first has ${list(extra)}`);
    if (!missing.length && !extra.length) parts.push('same characters in a different order');
    return parts.join('; ');
  }
}

/** A character as a reader can see it in an error: quoted, with its code point, escapes for invisible ones. */
export function showChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${JSON.stringify(ch)} (${hex})`;
}
