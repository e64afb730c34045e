// `char-rnn export`: writes a trained char-rnn as an ONNX model that samples step by step in any
// ONNX runtime: ids and the recurrent state in, logits and the next state out.
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Tensor, tensor, zeros } from '@unroll/autograd';
import { DEFAULT_OPSET, SUPPORTED_OPSETS, exportOnnx } from '@unroll/onnx';
import { saveOnnx } from '@unroll/onnx/node';
import { UsageError, helpLines, parseFlags } from '../flags.js';
import type { FlagTable, FlagValue } from '../flags.js';
import { loadRun, modelOf } from './checkpoint.js';
import type { CharRNN } from './model.js';
import { CHECKPOINT_NAME, defaultOutDir, programName } from './options.js';

const opsets = Object.keys(SUPPORTED_OPSETS).map(Number);

/** The flags of `export`. */
export const EXPORT_FLAGS = {
  checkpoint: { kind: 'string', help: 'checkpoint to export (default: packages/examples/out/char-rnn/char-rnn.safetensors)', default: null, metavar: 'PATH' },
  out: { kind: 'string', help: 'ONNX file to write (default: char-rnn.onnx beside the checkpoint); the vocabulary goes beside it as <out>.vocab.json', default: null, metavar: 'PATH' },
  opset: { kind: 'int', help: `ONNX opset (${opsets.join(', ')})`, default: DEFAULT_OPSET, min: Math.min(...opsets), max: Math.max(...opsets) },
} as const satisfies FlagTable;

/**
 * The char-rnn as ONNX: inputs `ids` int32 [time, batch], `h` (and `c` for an LSTM) [layers, batch,
 * hidden]; outputs `logits` [time, batch, vocab] and `h_next` (`c_next`). Time and batch are dynamic,
 * so a runtime feeds the seed text once, then one character at a time with the state it got back.
 */
export function exportCharRNN(model: CharRNN, opts: { opset?: number; vocab?: readonly string[] } = {}): Uint8Array {
  const { layers, hidden, cell } = model.config;
  const keys = cell === 'lstm' ? ['h', 'c'] : ['h'];
  const ids = tensor([[0], [0]], { dtype: 'int32' });
  const states = keys.map(() => zeros([layers, 1, hidden]));
  const fn = (x: Tensor, ...s: Tensor[]) => {
    const r = model.forward(x, Object.fromEntries(keys.map((k, i) => [k, s[i]!])) as never);
    return [r.logits, ...keys.map((k) => (r.state as unknown as Record<string, Tensor>)[k]!)];
  };
  return exportOnnx(fn, [ids, ...states], {
    module: model,
    opset: opts.opset ?? DEFAULT_OPSET,
    inputNames: ['ids', ...keys],
    outputNames: ['logits', ...keys.map((k) => `${k}_next`)],
    dynamicAxes: { ids: { 0: 'time', 1: 'batch' }, ...Object.fromEntries(keys.map((k) => [k, { 1: 'batch' }])) },
    docString: 'unroll char-rnn: ids [time, batch] and the state → logits [time, batch, vocab] and the next state',
    metadata: opts.vocab ? { vocab: JSON.stringify(opts.vocab), cell, layers: String(layers), hidden: String(hidden) } : {},
  });
}

/** Runs `export [flags]`; returns the paths written. */
export async function runExport(argv: readonly string[], print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)):
  Promise<{ onnx: string; vocab: string }> {
  if (argv.includes('--help') || argv.includes('-h')) {
    print([`${programName()} export [flags]: writes a trained model as ONNX (sample it step by step in onnxruntime)`, '', ...helpLines(EXPORT_FLAGS)].join('\n'));
    return { onnx: '', vocab: '' };
  }
  const { values } = parseFlags(argv, EXPORT_FLAGS, 'export');
  const v = values as Record<keyof typeof EXPORT_FLAGS, FlagValue>;
  const checkpoint = (v.checkpoint as string | null) ?? join(defaultOutDir(), CHECKPOINT_NAME);
  if (!existsSync(checkpoint)) {
    throw new UsageError(`export: there is no checkpoint at '${checkpoint}'; train one first (${programName()}) or pass --checkpoint PATH`);
  }
  const out = (v.out as string | null) ?? join(dirname(checkpoint), 'char-rnn.onnx');
  const run = await loadRun(checkpoint);
  const model = modelOf(run);
  const bytes = exportCharRNN(model, { opset: v.opset as number, vocab: run.vocab.chars });
  await saveOnnx(out, bytes);
  const vocabPath = `${out}.vocab.json`;
  await writeFile(vocabPath, `${JSON.stringify({ chars: run.vocab.chars, cell: model.config.cell, layers: model.config.layers, hidden: model.config.hidden })}\n`);
  print(`wrote ${out} (${(bytes.length / 1024).toFixed(1)} KiB, opset ${v.opset as number}) and ${vocabPath}`);
  return { onnx: out, vocab: vocabPath };
}
