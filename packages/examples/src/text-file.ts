// Reading text files strictly: bytes that are not UTF-8 are an error naming the byte offset, never
// replaced by U+FFFD (a binary or Latin-1 file would otherwise train or parse silently on garbage).
import { readFileSync } from 'node:fs';

/** Thrown for a file that cannot be read as UTF-8 text; `offset` is the first bad byte's offset. */
export class TextFileError extends Error {
  override name = 'TextFileError';
}

/**
 * Decodes UTF-8 bytes, refusing invalid sequences with the offset, line and column of the first bad byte.
 * A leading byte-order mark is dropped. `what` starts the message (`--text: 'notes.bin'`).
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const line = 1 + countNewlines(bytes, offset);
    throw new TextFileError(
      `${what} is not UTF-8 text: invalid byte sequence at byte offset ${offset} (line ${line}, byte 0x${bytes[offset]!.toString(16).padStart(2, '0')}); ` +
      `convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) or pass a text file`);
  }
}

/** Reads a file as strict UTF-8 (see `decodeUtf8`); I/O errors pass through. */
export function readUtf8File(path: string, what: string): string {
  return decodeUtf8(readFileSync(path), what);
}

/** The offset where the first invalid UTF-8 sequence starts (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF), or bytes.length. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let need: number, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      // The first continuation byte has the narrowed range; the error is placed at the sequence's start.
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}
