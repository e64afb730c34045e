// Where the char-rnn's text comes from: the project's own TypeScript sources (the default corpus,
// as Karpathy's char-rnn learned from the Linux sources) or any text file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextFileError, readUtf8File } from '../text-file.js';

/** A training text and where it came from. */
export interface Corpus {
  text: string;
  /** A short description for messages: the file's path, or 'the project sources (93 files)'. */
  source: string;
  /** The --text file as given (resolved), or null for the default corpus. */
  path: string | null;
}

/**
 * The monorepo root: the nearest folder above this file holding pnpm-workspace.yaml. Works from
 * src/ (tsx) and from dist/ (the built JS) alike.
 */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) {
      throw new Error(`char-rnn: cannot find the unroll repository (no pnpm-workspace.yaml above ${from}); pass --text FILE`);
    }
  }
}

/** The examples package folder (packages/examples), found from this file in src/ or dist/src/. */
export function examplesDir(): string {
  return join(repoRoot(), 'packages', 'examples');
}

/**
 * The default corpus: every `.ts` file under `packages/<name>/src`, in sorted path order, each
 * preceded by a header line `// ==> packages/core/src/dtype.ts <==` (as `head` prints several files),
 * so the model also learns where one file ends and the next begins. Read at run time, so it follows
 * the code as it changes.
 */
export function projectSources(root = repoRoot()): Corpus {
  const packagesDir = join(root, 'packages');
  const files: string[] = [];
  for (const pkg of readdirSync(packagesDir).sort()) {
    const src = join(packagesDir, pkg, 'src');
    if (existsSync(src) && statSync(src).isDirectory()) collectTs(src, files);
  }
  if (files.length === 0) throw new Error(`char-rnn: no .ts files under ${packagesDir}/*/src; pass --text FILE`);
  const parts = files.map((f) => `// ==> ${relative(root, f).split(sep).join('/')} <==\n${readUtf8File(f, f).replace(/\r\n/g, '\n')}`);
  return { text: parts.join('\n'), source: `the project's TypeScript sources (${files.length} files under packages/*/src)`, path: null };
}

function collectTs(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) collectTs(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
}

/** Reads a text file for training; a missing, unreadable, empty or non-UTF-8 file is an error naming it (and the bad byte's offset). */
export function readTextFile(path: string): Corpus {
  const full = resolve(path);
  let text: string;
  try {
    text = readUtf8File(full, `--text: '${path}'`);
  } catch (err) {
    if (err instanceof TextFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new Error(`--text: cannot read '${path}' (${why})`);
  }
  if (text.length === 0) throw new Error(`--text: '${path}' is empty; there is nothing to learn`);
  return { text, source: path, path: full };
}

/**
 * Splits text into a training part and a validation part, so validation text is text the model has not
 * trained on: the text is cut into `pieces` equal pieces and the last `valFraction` of each is held out.
 * One piece holds out the tail of the text (a passage unlike any trained on: the harder test); char-rnn
 * (Karpathy, 2015) holds out the last 5% of each of its batch rows, i.e. `pieces` = its batch size, so
 * its validation text is spread through the whole text. Each part is its pieces' parts joined in order.
 */
export function splitText(text: string, valFraction: number, pieces = 1): { train: string; val: string } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`splitText: valFraction must be in [0, 1); got ${valFraction}`);
  if (!Number.isInteger(pieces) || pieces < 1) throw new RangeError(`splitText: pieces must be a whole number ≥ 1; got ${pieces}`);
  const train: string[] = [], val: string[] = [];
  let start = 0;
  for (let p = 1; p <= pieces; p++) {
    const end = safeCut(text, Math.floor((text.length * p) / pieces));
    const cut = Math.max(start, safeCut(text, end - Math.floor((end - start) * valFraction)));
    train.push(text.slice(start, cut));
    val.push(text.slice(cut, end));
    start = end;
  }
  return { train: train.join(''), val: val.join('') };
}

/** `at`, or one before it where `at` would cut a surrogate pair (an emoji, say) in half. */
function safeCut(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  return at > 0 && unit >= 0xdc00 && unit <= 0xdfff ? at - 1 : at;
}

/**
 * A cheap, stable fingerprint of a text (FNV-1a over its UTF-16 units, plus its length), stored in
 * checkpoints so a resume on different text is refused instead of silently continuing elsewhere.
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${text.length}:${h.toString(16).padStart(8, '0')}`;
}
