// The main entry stays environment-free (no Node built-ins reachable from src/index.ts); file I/O lives in ./node.
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const autogradSrc = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const coreSrc = resolve(autogradSrc, '../../core/src');
const builtins = new Set(builtinModules);

/** Every module reachable from `entry` through static and dynamic imports (workspace packages followed into src). */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (graph.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/gm)]
      .map((m) => m[1] ?? m[2]!);
    graph.set(file, specs);
    for (const spec of specs) {
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec.replace(/\.js$/, ''));
        const target = [`${base}.ts`, `${base}/index.ts`].find(existsSync);
        if (!target) throw new Error(`${file}: cannot resolve ${spec}`);
        stack.push(target);
      } else if (spec === '@unroll/core') {
        stack.push(resolve(coreSrc, 'index.ts'));
      }
    }
  }
  return graph;
}

describe('environment', () => {
  it('nothing reachable from the main entry imports a Node built-in', () => {
    const graph = importGraph(resolve(autogradSrc, 'index.ts'));
    expect([...graph.keys()]).toContain(resolve(autogradSrc, 'checkpoint/safetensors.ts'));
    const offenders = [...graph].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith('node:') || builtins.has(s)).map((s) => `${file} imports ${s}`));
    expect(offenders).toEqual([]);
  });

  it('the ./node entry is where the file system is (so the check above can see one)', () => {
    const graph = importGraph(resolve(autogradSrc, 'node/index.ts'));
    expect([...graph.values()].flat()).toContain('node:fs/promises');
  });

  it('the main entry exports the checkpoint API', async () => {
    const api = await import('@unroll/autograd');
    for (const name of ['encodeSafetensors', 'decodeSafetensors', 'encodeSafetensorsChunks', 'checkpointBytes', 'readCheckpoint', 'loadCheckpointInto', 'CheckpointError']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
