// The README's checkpoint snippet, as written, type-checks under strict TypeScript (no cast needed to
// hand `ckpt.optimizer` to `optimizer.loadStateDict`) and runs (issue 14 item 5).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(dirname(pkg));
// Inside the package, so '@unroll/autograd' resolves as it does for the package's own tests.
const work = join(pkg, 'test', '.readme-snippet');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The ```ts block under the README heading `heading`. */
function snippet(heading: string): string {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  const start = readme.indexOf('```ts\n', at) + '```ts\n'.length;
  return readme.slice(start, readme.indexOf('```', start));
}

describe("the autograd README's checkpoint snippet", () => {
  const code = snippet('## Checkpoints (safetensors)');
  const imports = code.split('\n').filter((l) => l.startsWith('import '));
  const body = code.split('\n').filter((l) => !l.startsWith('import '));
  // What the snippet takes as given: a model, its optimizer after a step, and a step count.
  const program = [
    ...imports,
    "import { Adam, Linear, tensor } from '@unroll/autograd';",
    'const model = new Linear(3, 2);',
    'const optimizer = new Adam(model.parameters(), { lr: 0.1 });',
    'model.forward(tensor([[1, 2, 3]])).sum().backward();',
    'optimizer.step();',
    'const step = 1;',
    ...body,
    "console.log(JSON.stringify({ lr: optimizer.paramGroups[0]!.lr, keys: Object.keys(ckpt.model).sort(), extra: ckpt.extra }));",
    'export {};',
  ].join('\n');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'snippet.ts'), program);

  it('type-checks under strict TypeScript with no cast', () => {
    expect(code).not.toMatch(/\bas\b/);
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
      extends: '../../../../tsconfig.base.json',
      compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, strict: true, customConditions: ['unroll-source'] },
      files: ['snippet.ts'],
    }));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('runs: the model and optimizer state come back', () => {
    const run = spawnSync(process.execPath, ['--conditions=unroll-source', '--import', 'tsx', join(work, 'snippet.ts')], { cwd: work, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ lr: 0.1, keys: ['bias', 'weight'], extra: { step: 1 } });
  }, 60_000);
});
