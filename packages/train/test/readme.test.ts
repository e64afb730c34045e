// The README's example, run as written: its code block is copied to a module beside this test (with
// the checkpoint path moved to a temp folder) and imported, so the docs cannot rot.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '@unroll/autograd/node';

const dir = mkdtempSync(join(tmpdir(), 'unroll-train-readme-'));
const snippet = join(import.meta.dirname, 'readme-example.generated.ts');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(snippet, { force: true });
});

it('README: the example trains with TBPTT, stops early on its target, and leaves a checkpoint', async () => {
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  const code = readme.match(/## Example[\s\S]*?```ts\n([\s\S]*?)```/)![1]!;
  const path = join(dir, 'char-model.safetensors');
  expect(code).toContain("'char-model.safetensors'");
  writeFileSync(snippet, `${code.replace("'char-model.safetensors'", JSON.stringify(path))}\nexport { result, model };\n`);
  const logged = vi.spyOn(console, 'log').mockImplementation(() => {});
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const { result } = await import(/* @vite-ignore */ snippet);
    expect(result.stopReason).toMatch(/^val_loss reached 0.1 at step \d+$/);
    expect(result.evaluations.at(-1).metrics.val_loss).toBeLessThanOrEqual(0.1);
    expect(logged).toHaveBeenCalledWith(result.stopReason, result.evaluations.at(-1));
    expect(String(stderr.mock.calls.at(-1)![0])).toMatch(/stopped: val_loss reached/);
    const saved = await loadCheckpoint(path);
    expect(Object.keys(saved.model)).toContain('lstm.weight_hh_l0');
  } finally {
    logged.mockRestore();
    stderr.mockRestore();
  }
});
