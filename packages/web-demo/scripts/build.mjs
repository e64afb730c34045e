// Bundles the page script and the worker with esbuild into dist/site/, beside the static files in public/.
// Bundled from the packages' TypeScript sources (the private `unroll-source` export condition), so no
// `tsc -b` is needed first. Usage: node scripts/build.mjs [--minify]
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/site`;

export async function buildDemo({ minify = false } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(`${root}public`, out, { recursive: true });
  const result = await build({
    entryPoints: { main: `${root}src/main.ts`, worker: `${root}src/worker.ts` },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['unroll-source'],
    sourcemap: true,
    minify,
    logLevel: 'warning',
    metafile: true,
  });
  return Object.fromEntries(Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, o]) => [file.replace(/^.*\//, ''), o.bytes]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildDemo({ minify: process.argv.includes('--minify') });
  console.log(`web-demo: built dist/site/ (${Object.entries(sizes).map(([f, b]) => `${f} ${(b / 1024).toFixed(0)} KB`).join(', ')})`);
}
