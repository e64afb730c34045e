// `char-rnn export`: a trained checkpoint becomes an ONNX model that onnxruntime samples step by
// step; its logits and states agree with unroll's, and the README's sampling snippet runs on it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Tensor, noGrad, tensor, zeros } from '@unroll/autograd';
import { loadRun, modelOf } from '../../src/char-rnn/checkpoint.js';
import { runExport } from '../../src/char-rnn/export-command.js';
import { main } from '../../src/char-rnn/main.js';

const examples = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'char-rnn-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const toOrt = (t: Tensor) => new ort.Tensor(t.dtype === 'int32' ? 'int32' : 'float32', t.values() as Float32Array, t.shape);
const close = (got: ArrayLike<number>, want: Tensor) => {
  const w = want.values();
  expect(got.length).toBe(w.length);
  for (let i = 0; i < w.length; i++) expect(Math.abs(got[i]! - w[i]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w[i]!));
};

describe.each([['lstm', ['--layers', '2']], ['gru', []], ['rnn', []]] as [string, string[]][])('export of a trained %s', (cell, extra) => {
  const out = join(dir, cell);
  const checkpoint = join(out, 'char-rnn.safetensors');
  beforeAll(async () => {
    const text = join(dir, 'tiny.txt');
    writeFileSync(text, 'export function to be or not to be, that is the question.\n'.repeat(20));
    const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main(['train', '--text', text, '--out', out, '--cell', cell, ...extra, '--hidden', '8', '--embed', '4',
        '--seq-len', '8', '--batch', '2', '--steps', '3', '--eval-every', '3', '--sample-length', '0']);
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
    }
  });

  it('onnxruntime gives unroll\'s logits and states, fed a prompt at once and then step by step', async () => {
    const lines: string[] = [];
    const { onnx } = await runExport(['--checkpoint', checkpoint, '--out', join(out, 'model.onnx')], (l) => lines.push(l));
    expect(lines[0]).toMatch(/^wrote .*model\.onnx \(\d+\.\d KiB, opset 17\)/);
    const model = modelOf(await loadRun(checkpoint));
    model.eval();
    const session = await ort.InferenceSession.create(onnx);
    const { layers, hidden } = model.config;
    const keys = cell === 'lstm' ? ['h', 'c'] : ['h'];
    let mine: Record<string, Tensor> = Object.fromEntries(keys.map((k) => [k, zeros([layers, 2, hidden])]));
    let theirs: Record<string, ort.Tensor> = Object.fromEntries(keys.map((k) => [k, toOrt(mine[k]!)]));
    for (const ids of [tensor([[1, 2], [3, 4], [5, 0]], { dtype: 'int32' }), tensor([[6, 1]], { dtype: 'int32' }), tensor([[2, 2]], { dtype: 'int32' })]) {
      const want = noGrad(() => model.forward(ids, mine as never));
      const got = await session.run({ ids: toOrt(ids), ...theirs });
      close(got.logits!.data as Float32Array, want.logits);
      for (const k of keys) close(got[`${k}_next`]!.data as Float32Array, (want.state as unknown as Record<string, Tensor>)[k]!);
      mine = want.state as unknown as Record<string, Tensor>;
      theirs = Object.fromEntries(keys.map((k) => [k, got[`${k}_next`]!]));
    }
    await session.release();
  });

  it('the examples README\'s sampling snippet runs on the exported file', async () => {
    await runExport(['--checkpoint', checkpoint, '--out', join(out, 'model.onnx')], () => {});
    const readme = readFileSync(join(examples, 'README.md'), 'utf8');
    const snippet = /<!-- onnx-sample -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    // The snippet imports onnxruntime-node: run it from a folder inside packages/examples so it resolves.
    const work = mkdtempSync(join(examples, '.onnx-snippet-'));
    try {
      writeFileSync(join(work, 'sample.mjs'), snippet!);
      for (const f of ['model.onnx', 'model.onnx.vocab.json']) writeFileSync(join(work, f), readFileSync(join(out, f)));
      const r = spawnSync(process.execPath, ['sample.mjs'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.startsWith('export ')).toBe(true);
      // console.log's newline ends the output; the sampled characters may be spaces and newlines themselves.
      expect(r.stdout.length).toBe('export '.length + 200 + 1);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('export errors', () => {
  it('a missing checkpoint is a usage error naming the path', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['export', '--checkpoint', join(dir, 'none.safetensors')])).toBe(2);
      expect(String(err.mock.calls[0]![0])).toContain(`export: there is no checkpoint at '${join(dir, 'none.safetensors')}'`);
      expect(await main(['export', '--opset', '9'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});
