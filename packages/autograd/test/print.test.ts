// How tensors print: PyTorch's values block (checked against torch's own output), then shape, dtype,
// requiresGrad and gradFn; String(), util.inspect and console.log agree; print options are checked.
import { afterEach, describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { Parameter, tensor, randn, zeros, setPrintOptions, getPrintOptions, type Nested } from '@unroll/autograd';

const reference = JSON.parse(readFileSync(new URL('./fixtures/print_reference.json', import.meta.url), 'utf8')) as
  Record<string, { values: Nested; dtype: 'float64' | 'int32'; torch: string }>;

afterEach(() => setPrintOptions());

describe('tensor printing', () => {
  it.each(Object.keys(reference))('prints the values block as PyTorch does: %s', (name) => {
    const { values, dtype, torch } = reference[name]!;
    const text = String(tensor(values, { dtype }));
    const block = text.slice('tensor('.length, text.search(/,\s+shape=/));
    expect(block).toBe(torch);
  });

  it('ends with shape, dtype, requiresGrad and the op that made it', () => {
    const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    expect(String(w)).toBe('tensor([[ 0.5000, -1.0000],\n        [ 2.0000,  0.2500]], shape=[2, 2], dtype=float32, requiresGrad=true)');
    expect(String(w.tanh().sum())).toBe('tensor(0.9095, shape=[], dtype=float32, requiresGrad=true, gradFn=sum)');
    expect(String(tensor([3, -1, 20], { dtype: 'int32' }))).toBe('tensor([ 3, -1, 20], shape=[3], dtype=int32)');
    expect(String(tensor([Number.NaN, Infinity, -1.5]))).toBe('tensor([    nan,     inf, -1.5000], shape=[3], dtype=float32)');
    expect(String(tensor([]))).toBe('tensor([], shape=[0], dtype=float32)');
    expect(String(zeros([2, 0, 3]))).toBe('tensor([], shape=[2, 0, 3], dtype=float32)'); // as PyTorch: any empty tensor is []
    expect(String(new Parameter(zeros([2])))).toBe('Parameter containing:\ntensor([0., 0.], shape=[2], dtype=float32, requiresGrad=true)');
  });

  it('is what util.inspect and console.log show (no internals)', () => {
    const t = tensor([1, 2]);
    expect(inspect(t)).toBe(String(t));
    expect(inspect({ t })).toContain('t: tensor([1., 2.], shape=[2], dtype=float32)');
    expect(inspect(t)).not.toContain('data');
  });

  it('summarizes large tensors and keeps every line within lineWidth', () => {
    const text = String(randn([40, 50, 3]));
    expect(text).toContain('...');
    expect(text.split('\n').length).toBeLessThan(60);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/shape=\[40, 50, 3\],\s+dtype=float32\)$/); // suffixes wrap as PyTorch's do
  });

  it('follows setPrintOptions and refuses options it does not know', () => {
    setPrintOptions({ precision: 2, threshold: 4, edgeItems: 1 });
    expect(String(tensor([0.123, 1, 2, 3, 4.5]))).toBe('tensor([0.12,  ..., 4.50], shape=[5], dtype=float32)');
    expect(getPrintOptions()).toEqual({ precision: 2, threshold: 4, edgeItems: 1, lineWidth: 80 });
    expect(() => setPrintOptions({ digits: 3 } as never)).toThrow("setPrintOptions: unknown option 'digits'; known: precision, threshold, edgeItems, lineWidth");
    expect(() => setPrintOptions({ lineWidth: 0 })).toThrow('setPrintOptions: lineWidth must be an integer ≥ 1; got 0');
    setPrintOptions();
    expect(getPrintOptions().precision).toBe(4);
  });
});
