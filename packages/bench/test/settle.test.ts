// The pause between interleaved samples reads a process's CPU time from /proc (Linux), and falls back
// to a fixed pause where it cannot. Nothing here measures speed: only that CPU time is read and grows.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK_PAUSE_MS, MIN_PAUSE_MS, processCpuNs, settle } from '../src/settle.js';

/** A pid that is certainly gone: a child that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('settle', () => {
  it.skipIf(!existsSync('/proc/self/task'))('reads the CPU time of all of a process\'s threads, growing as it works', () => {
    const before = processCpuNs(process.pid)!;
    expect(before).toBeGreaterThan(0);
    const until = performance.now() + 30;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(processCpuNs(process.pid)!).toBeGreaterThan(before);
  });

  it('gives undefined for a process that is gone, and then pauses the fixed fallback', async () => {
    const pid = deadPid();
    expect(processCpuNs(pid)).toBeUndefined();
    expect(await settle(pid)).toBeGreaterThanOrEqual(FALLBACK_PAUSE_MS - 1);
    expect(await settle(undefined)).toBeGreaterThanOrEqual(FALLBACK_PAUSE_MS - 1);
  });

  it.skipIf(!existsSync('/proc/self/task'))('waits at least the minimum for an idle process', async () => {
    // This test process is idle while it awaits the pause, bar vitest's own threads.
    expect(await settle(process.pid)).toBeGreaterThanOrEqual(MIN_PAUSE_MS - 1);
  });
});
