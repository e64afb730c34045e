// Every public package is a real package: license, repository, engines, keywords, description, a
// README and the LICENSE in its tarball; and CommonJS code loads them the two ways the README says.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packages = readdirSync(`${root}packages`)
  .filter((dir) => existsSync(`${root}packages/${dir}/package.json`))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) }));
const published = packages.filter((p) => p.json.private !== true);
const rootJson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

describe('package metadata', () => {
  it('the public packages are core, autograd, rnn and whatever else is not private', () => {
    expect(published.map((p) => p.json.name)).toEqual(expect.arrayContaining(['@unroll/core', '@unroll/autograd', '@unroll/rnn']));
  });

  it.each(published.map((p) => [p.json.name, p]))('%s has license, repository, engines, keywords, description, README, LICENSE', (_, p) => {
    const { dir, json } = p as (typeof published)[number];
    expect(json.license).toBe('MIT');
    expect(json.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: `packages/${dir}` });
    expect(json.engines).toEqual(rootJson.engines);
    expect(json.keywords.length).toBeGreaterThanOrEqual(3);
    expect(json.description.length).toBeGreaterThan(20);
    expect(existsSync(`${root}packages/${dir}/README.md`)).toBe(true);
    // npm packs a package's own LICENSE only: each keeps a copy of the root one.
    expect(readFileSync(`${root}packages/${dir}/LICENSE`, 'utf8')).toBe(readFileSync(`${root}LICENSE`, 'utf8'));
  });

  it('each packed tarball holds the README, the LICENSE and the built entry with its types', () => {
    execFileSync('pnpm', ['exec', 'tsc', '-b'], { cwd: root });
    for (const { dir, json } of published) {
      const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: `${root}packages/${dir}`, encoding: 'utf8' });
      const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
      const entry = json.exports['.'];
      for (const needed of ['README.md', 'LICENSE', 'package.json', entry.default.slice(2), entry.types.slice(2)]) {
        expect(files.has(needed), `${json.name} packs ${needed}`).toBe(true);
      }
    }
  }, 120_000);

  it('all public packages point at the same repository', () => {
    expect(new Set(published.map((p) => p.json.repository.url)).size).toBe(1);
  });
});

describe('CommonJS users', () => {
  // From a package that depends on the public ones, so the workspace links resolve to their built dist/.
  const cwd = `${root}packages/examples`;
  const node = (code: string) => execFileSync(process.execPath, ['--input-type=commonjs', '-e', code], { cwd, encoding: 'utf8' }).trim();

  it('load the packages with await import() and with require() (Node ≥ 20.19)', () => {
    execFileSync('pnpm', ['exec', 'tsc', '-b'], { cwd: root }); // the built dist/ is what they load
    const viaImport = node(`(async () => {
      const { tensor } = await import('@unroll/autograd');
      const { LSTM } = await import('@unroll/rnn');
      console.log(String(tensor([1, 2]).mul(2)), new LSTM({ inputSize: 2, hiddenSize: 3 }).numParameters());
    })()`);
    expect(viaImport).toBe('tensor([2., 4.], shape=[2], dtype=float32) 84');
    const viaRequire = node(`
      const { tensor } = require('@unroll/autograd');
      const K = require('@unroll/core');
      const { GRU } = require('@unroll/rnn');
      console.log(typeof module, String(tensor([3])), K.sizeOf([2, 3]), new GRU({ inputSize: 1, hiddenSize: 1 }).numParameters());`);
    expect(viaRequire).toBe('object tensor([3.], shape=[1], dtype=float32) 6 12');
  });
});
