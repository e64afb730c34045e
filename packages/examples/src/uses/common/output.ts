// Where the uses' scripts put their figures: out/uses/ under the examples package (git-ignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/examples/out/uses, found from this file (src/ when run by tsx, dist/src/ when built). */
export function outputDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const pkg = here.includes(`${join('dist', 'src')}`) ? resolve(here, '../../../..') : resolve(here, '../../..');
  return join(pkg, 'out', 'uses');
}

/** Writes `content` to `file` (relative paths go under outputDir()) and returns the full path. */
export function writeOutput(file: string, content: string): string {
  const path = resolve(outputDir(), file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}
