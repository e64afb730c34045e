// Saving through a symbolic link replaces the file the link points to and keeps the link, as
// editors do (the decision is in the root README's reliability section).
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tensor } from '@unroll/autograd';
import { loadCheckpoint, saveCheckpoint, saveSafetensors } from '@unroll/autograd/node';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'unroll-link-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const w = (v: number) => ({ model: { w: tensor([v]) } });
const value = async (p: string) => (await loadCheckpoint(p)).model.w!.item();

describe('saving through a symlink', () => {
  it('writes the target and keeps the link (relative link, chain of links)', async () => {
    mkdirSync(join(dir, 'runs'));
    const real = join(dir, 'runs', 'run-7.safetensors');
    await saveCheckpoint(real, w(1));
    const latest = join(dir, 'latest.safetensors');
    symlinkSync(join('runs', 'run-7.safetensors'), latest);
    const alias = join(dir, 'alias.safetensors');
    symlinkSync(latest, alias);
    await saveCheckpoint(latest, w(2));
    expect(lstatSync(latest).isSymbolicLink()).toBe(true);
    expect(readlinkSync(latest)).toBe(join('runs', 'run-7.safetensors'));
    expect(await value(real)).toBe(2);
    await saveCheckpoint(alias, w(3));
    expect(lstatSync(alias).isSymbolicLink()).toBe(true);
    expect(await value(real)).toBe(3);
    expect(readdirSync(join(dir, 'runs'))).toEqual(['run-7.safetensors']); // no temp file left beside the target
    expect(readdirSync(dir).sort()).toEqual(['alias.safetensors', 'latest.safetensors', 'runs']);
  });

  it('a dangling link gets its target created; a cycle is refused', async () => {
    const link = join(dir, 'next.safetensors');
    symlinkSync('missing.safetensors', link);
    await saveSafetensors(link, { w: tensor([4]) });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await value(join(dir, 'missing.safetensors'))).toBe(4);
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    await expect(saveCheckpoint(join(dir, 'a'), w(5))).rejects.toThrow(`saveCheckpoint: cannot write '${join(dir, 'a')}': it starts a chain of more than 40 symbolic links`);
  });
});
