// The model around the graph: opsets, IR version, names and symbolic dims of inputs and outputs,
// doc string and metadata, user cells exported as their ops, the atomic file writer, and the
// browser-safe main entry.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Linear, Module, Parameter, Tensor, concat, manualSeed, matmul, randn, zeros } from '@unroll/autograd';
import { GRUCell, LSTM, LSTMCell, compileCell, stackCells, unroll } from '@unroll/rnn';
import type { RecurrentCell } from '@unroll/rnn';
import { DEFAULT_OPSET, SUPPORTED_OPSETS, exportOnnx } from '../src/index.js';
import { saveOnnx } from '../src/node/index.js';
import { checkExport } from './ort.js';
import { decode, opCounts } from './graph.js';

const dir = mkdtempSync(join(tmpdir(), 'unroll-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the model', () => {
  it.each(Object.keys(SUPPORTED_OPSETS).map(Number))('opset %i runs in onnxruntime (reductions change form at 18)', async (opset) => {
    manualSeed(2);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4 });
    const bytes = await checkExport((x) => {
      const y = lstm.forward(x).output;
      return [y.max({ axes: 2 }), y.logsumexp(0), y.sum({ axes: [0, 2], keepdims: true })];
    }, [randn([4, 2, 3])], { module: lstm, opset, dynamicAxes: { input: { 0: 'time', 1: 'batch' } } }, { more: [[randn([6, 3, 3])]] });
    const m = decode(bytes);
    expect(Number(m.opsetImport[0]!.version)).toBe(opset);
    expect(Number(m.irVersion)).toBe(SUPPORTED_OPSETS[opset]);
  });

  it('names inputs and outputs, marks dynamic axes with their names, keeps the doc string and metadata', () => {
    manualSeed(3);
    const lin = new Linear(3, 2);
    const bytes = exportOnnx((x) => ({ y: lin.forward(x), stats: { total: x.sum() } }), [randn([5, 3])], {
      module: lin, dynamicAxes: { input: { 0: 'batch' } }, docString: 'a head', metadata: { vocab: '["a"]' },
    });
    const m = decode(bytes);
    expect(DEFAULT_OPSET).toBe(17);
    expect(m.docString).toBe('a head');
    expect(m.metadataProps).toEqual([expect.objectContaining({ key: 'vocab', value: '["a"]' })]);
    const dims = (v: (typeof m.graph.input)[number]) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(m.graph!.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['batch', 3]]]);
    expect(m.graph!.output.map((v) => [v.name, dims(v)])).toEqual([['y', ['batch', 2]], ['stats.total', []]]);
    expect(m.graph!.initializer.map((t) => t.name).sort()).toEqual(['bias', 'weight']);
  });

  it('parameters of no given module are initializers too (param_0, …), and the module is back in training mode after', () => {
    const w = new Parameter(randn([2, 2]).data);
    const m = new Linear(2, 2);
    m.train();
    const bytes = exportOnnx((x) => matmul(x, w).add(m.forward(x)), [randn([1, 2])], { module: m });
    expect(m.training).toBe(true);
    expect(decode(bytes).graph!.initializer.map((t) => t.name).sort()).toEqual(['bias', 'param_0', 'weight']);
  });
});

/** A user cell: a minimal gated unit written with library ops. */
class MinimalGatedCell extends Module implements RecurrentCell<{ h: Tensor }> {
  readonly inputSize = 3;
  readonly outputSize = 4;
  readonly w = this.registerParameter('w', new Parameter(randn([3 + 4, 8]).data));
  initialState(batch: number) {
    return { h: zeros([batch, 4]) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const both = matmul(concatLast(x, state.h), this.w);
    const gate = both.narrow(1, 0, 4).sigmoid(), cand = both.narrow(1, 4, 4).tanh();
    const h = gate.mul(cand).add(gate.neg().add(1).mul(state.h));
    return { state: { h }, output: h };
  }
}
const concatLast = (a: Tensor, b: Tensor) => concat([a, b], 1);

describe('cells ONNX has no node for are exported as their ops, unrolled over the example time steps', () => {
  it('a user cell, the same cell compiled, and a stack of built-in cells (stackCells steps them)', async () => {
    manualSeed(8);
    const cell = new MinimalGatedCell();
    const bytes = await checkExport((xs) => unroll(cell, xs).outputs, [randn([4, 2, 3])], { module: cell, dynamicAxes: { input: { 1: 'batch' } } },
      { more: [[randn([4, 5, 3])]] });
    expect(opCounts(bytes).MatMul).toBe(4);
    // The same cell compiled (compileCell): exported as its composed step's ops, not the generated kernels.
    const compiled = compileCell(cell);
    const fromCompiled = await checkExport((xs) => unroll(compiled, xs).outputs, [randn([4, 2, 3])], { module: cell, dynamicAxes: { input: { 1: 'batch' } } },
      { more: [[randn([4, 3, 3])]] });
    expect(opCounts(fromCompiled).MatMul).toBe(4);
    const stack = stackCells([new LSTMCell({ inputSize: 3, hiddenSize: 4 }), new GRUCell({ inputSize: 4, hiddenSize: 2 })]);
    await checkExport((xs) => unroll(stack, xs).outputs, [randn([3, 2, 3])], { module: stack });
  });
});

describe('one step of a built-in cell (the fused lstmStep / gruStep ops) as its pointwise equations', () => {
  it.each([
    ['LSTM', () => new LSTMCell({ inputSize: 3, hiddenSize: 4 })],
    ['LSTM with peepholes', () => new LSTMCell({ inputSize: 3, hiddenSize: 4, peephole: true })],
    ['GRU', () => new GRUCell({ inputSize: 3, hiddenSize: 4 })],
    ['GRU reset-before (composed)', () => new GRUCell({ inputSize: 3, hiddenSize: 4, resetAfter: false })],
  ] as [string, () => RecurrentCell<Record<string, Tensor>> & Module][])('%s', async (_, make) => {
    manualSeed(13);
    const cell = make();
    const keys = cell instanceof LSTMCell ? ['h', 'c'] : ['h'];
    const inputs = (b: number) => [randn([b, 3]), ...keys.map(() => randn([b, 4]))];
    const names = ['x', ...keys];
    await checkExport((x, ...s) => {
      const r = cell.step(Object.fromEntries(keys.map((k, i) => [k, s[i]!])), x);
      return { output: r.output, next: r.state };
    }, inputs(2), { module: cell, inputNames: names, dynamicAxes: Object.fromEntries(names.map((n) => [n, { 0: 'batch' }])) }, { more: [inputs(5)] });
  });
});

describe('the README example', () => {
  it('a 2-layer bidirectional LSTM: two LSTM nodes, dynamic time and batch, named inputs and outputs', async () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const bytes = exportOnnx((x) => lstm.forward(x), [randn([5, 2, 3])], {
      module: lstm,
      dynamicAxes: { input: { 0: 'time', 1: 'batch' } },
    });
    await saveOnnx(join(dir, 'lstm.onnx'), bytes);
    expect(opCounts(bytes).LSTM).toBe(2);
    const m = decode(bytes);
    const dims = (v: (typeof m.graph.input)[number]) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(m.graph!.output.map((v) => [v.name, dims(v)])).toEqual([
      ['output', ['time', 'batch', 8]], ['state.h', [4, 'batch', 4]], ['state.c', [4, 'batch', 4]]]);
    expect(m.graph!.initializer.map((t) => t.name)).toContain('weight_ih_l1_reverse');
  });
});

describe('saveOnnx', () => {
  it('writes the bytes atomically and leaves an existing file alone on failure', async () => {
    const bytes = exportOnnx((x) => x.exp(), [randn([2])]);
    const path = join(dir, 'm.onnx');
    await saveOnnx(path, bytes);
    expect(bytes.constructor).toBe(Uint8Array);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    writeFileSync(path, 'old');
    await expect(saveOnnx(join(dir, 'missing', 'm.onnx'), bytes)).rejects.toThrow(/saveOnnx: could not write '.*missing.*m\.onnx'/);
    await expect(saveOnnx(path, new Uint8Array())).rejects.toThrow('saveOnnx: bytes is empty');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('the main entry is browser-safe', () => {
  it('imports no Node module outside src/node', () => {
    const src = fileURLToPath(new URL('../src', import.meta.url));
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? (e.name === 'node' ? [] : files(join(d, e.name))) : [join(d, e.name)]));
    const offenders = files(src).filter((f) => /from '(node:|fs|path|os)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
