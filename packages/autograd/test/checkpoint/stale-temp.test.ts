// A writer SIGKILLed mid-save leaves `<path>.tmp-<pid>-<hex>` behind; the next save into that folder
// removes such files of the same checkpoint whose writer is gone, and nothing else (issue 16 item 5).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zeros } from '@unroll/autograd';
import { loadCheckpoint, saveCheckpoint } from '@unroll/autograd/node';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'unroll-stale-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The id of a process that has exited (a finished child). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const temps = () => readdirSync(dir).filter((n) => n.includes('.tmp-')).sort();

describe('stale temp files of a killed writer', () => {
  it('the next save removes temp files of the same checkpoint whose writer is gone, and only those', async () => {
    const path = join(dir, 'model.safetensors');
    const dead = deadPid();
    const live = process.ppid; // a process that exists (vitest's parent)
    writeFileSync(`${path}.tmp-${dead}-00aa11bb22cc`, new Uint8Array(1000));
    writeFileSync(`${path}.tmp-${live}-00aa11bb22cc`, new Uint8Array(10));
    writeFileSync(`${path}.tmp-${process.pid}-00aa11bb22cc`, new Uint8Array(10)); // a concurrent save of ours
    writeFileSync(join(dir, `other.safetensors.tmp-${dead}-00aa11bb22cc`), new Uint8Array(10)); // another checkpoint
    writeFileSync(`${path}.tmp-notes.txt`, 'a user file that only looks similar');
    await saveCheckpoint(path, { model: { w: zeros([3]) } });
    expect(temps()).toEqual([
      `model.safetensors.tmp-${live}-00aa11bb22cc`, `model.safetensors.tmp-${process.pid}-00aa11bb22cc`,
      'model.safetensors.tmp-notes.txt', `other.safetensors.tmp-${dead}-00aa11bb22cc`,
    ].sort());
    expect((await loadCheckpoint(path)).model.w!.shape).toEqual([3]);
  });

  it('after a real SIGKILL mid-write: the old checkpoint is intact and the next save cleans up', async () => {
    const path = join(dir, 'big.safetensors');
    await saveCheckpoint(path, { model: { w: zeros([5]) }, extra: { generation: 'old' } });
    const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'save-forever.ts');
    let leftover: string[] = [];
    for (let attempt = 0; attempt < 5 && leftover.length === 0; attempt++) {
      const writer = spawn(process.execPath, ['--conditions=unroll-source', '--import', 'tsx', child, path], { stdio: 'ignore' });
      // Kill as soon as a temp file of this writer has bytes in it (a write is under way).
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          const mine = temps().filter((n) => n.includes(`.tmp-${writer.pid}-`));
          if (mine.some((n) => { try { return statSync(join(dir, n)).size > 0; } catch { return false; } })) {
            writer.kill('SIGKILL');
            clearInterval(poll);
          }
        }, 2);
        writer.on('exit', () => { clearInterval(poll); resolve(); });
      });
      leftover = temps();
    }
    expect(leftover.length).toBeGreaterThan(0); // the kill left a partial temp file behind
    const before = await loadCheckpoint(path); // the file at `path` is a complete checkpoint (old or a finished new one)
    expect([5, 4_000_000]).toContain(before.model.w!.size);
    await saveCheckpoint(path, { model: { w: zeros([2]) } });
    expect(temps()).toEqual([]);
    expect((await loadCheckpoint(path)).model.w!.shape).toEqual([2]);
  }, 60_000);
});
