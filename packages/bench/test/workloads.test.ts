// The benchmark's own plumbing: the shared hash matches torch_bench.py's, the models have the sizes the
// README states, plans round-trip, and the table's figures read the right way round.
import { describe, expect, it } from 'vitest';
import { formatMs, modelCheck, ratio, rowKeys, speedTable } from '../src/report.js';
import {
  charBatch, decodePlan, detUniform, encodePlan, expectedParameterCount, hash32, planFor, SIZES,
} from '../src/workloads.js';
import type { WorkloadResult } from '../src/workloads.js';

describe('shared data', () => {
  it('hash32 and detUniform give the numbers torch_bench.py gives (pinned from its numpy version)', () => {
    expect([0, 1, 2, 12345, 4294967295].map((i) => hash32(i, 3))).toEqual([454327756, 2535364964, 311582648, 996137225, 697614773]);
    expect([0, 1, 7].map((i) => hash32(i, 99))).toEqual([4000193223, 490190195, 1121935335]);
    expect(Array.from(detUniform(4, 5, 0.0625))).toEqual(
      [-0.027111994102597237, -0.018988506868481636, 0.009577866643667221, -0.006498049944639206]);
  });

  it('the LSTM and GRU char models have PyTorch-layout parameter counts', () => {
    expect(expectedParameterCount(4)).toBe(4 * 256 * (65 + 256) + 2 * 4 * 256 + 256 * 65 + 65); // 347,457
    expect(expectedParameterCount(3)).toBe(264_769);
  });

  it('charBatch is one-hot inputs with next-character targets', () => {
    const { time, batch, vocab } = SIZES;
    const { inputs, targets } = charBatch();
    expect(inputs.length).toBe(time * batch * vocab);
    expect(targets.length).toBe(time * batch);
    const rowSums = Array.from({ length: time * batch }, (_, r) => inputs.subarray(r * vocab, (r + 1) * vocab).reduce((a, b) => a + b, 0));
    expect(new Set(rowSums)).toEqual(new Set([1]));
    expect(Math.max(...targets)).toBeLessThan(vocab);
  });
});

describe('plans', () => {
  it('round-trip through the --plan text and reject nonsense', () => {
    const plan = planFor('unroll', false);
    expect([...decodePlan(encodePlan(['W1', 'W4'], plan))]).toEqual([['W1', plan.W1], ['W4', plan.W4]]);
    expect(() => decodePlan('W9:1:2')).toThrow(/W1:2:7/);
    expect(() => decodePlan('W1:1:0')).toThrow(/W1:2:7/);
  });
});

describe('report', () => {
  it('formats times and ratios as peer / unroll', () => {
    expect([0.794, 21.44, 428.1, 3331, 25_600].map(formatMs)).toEqual(['0.79 ms', '21.4 ms', '428 ms', '3.33 s', '25.6 s']);
    expect(ratio(9500, 1000)).toBe('9.5× faster');
    expect(ratio(74, 740)).toBe('10× slower');
    expect(ratio(99.8, 10)).toBe('10× faster');
  });

  const r = (system: WorkloadResult['system'], workload: WorkloadResult['workload'], medianMs: number, extra: Partial<WorkloadResult> = {}): WorkloadResult =>
    ({ system, workload, medianMs, timesMs: [medianMs], ...extra });

  it('puts each peer beside unroll, GFLOP/s for gemm, and a dash for what did not run', () => {
    const results = [r('unroll', 'W1', 500), r('torch', 'W1', 100), r('unroll', 'W4', 1, { size: 256 })];
    const t = speedTable(results, rowKeys(['W1', 'W4']), ['torch'], 'js', {});
    expect(t.header).toEqual(['workload', 'unroll 1T', 'gemm', 'torch 1T', 'unroll 1T vs torch best']);
    expect(t.rows[0]).toEqual(['W1 LSTM train step', '500 ms', 'js', '100 ms', '5.0× slower']);
    expect(t.rows[1]).toEqual(['W4 gemm f32 256³', '33.6 GFLOP/s', 'js', '—', '—']);
    expect(t.rows).toHaveLength(4);
  });

  it('shows unroll and torch at each thread count, the speed-up, and unroll against torch\'s best', () => {
    const results = [r('unroll', 'W1', 80, { threads: 1 }), r('unroll', 'W1', 50, { threads: 2 }),
      r('torch', 'W1', 60, { threads: 1 }), r('torch', 'W1', 66, { threads: 2 }), r('tfjs-wasm', 'W1', 2000)];
    const t = speedTable(results, rowKeys(['W1']), ['torch', 'tfjs-wasm'], 'auto: wasm', {}, [1, 2]);
    expect(t.header).toEqual(['workload', 'unroll 1T', 'unroll 2T', '2T speed-up', 'gemm', 'torch 1T', 'torch 2T',
      'unroll 1T vs torch best', 'unroll 2T vs torch best', 'tfjs-wasm']);
    expect(t.rows[0]).toEqual(['W1 LSTM train step', '80.0 ms', '50.0 ms', '1.60×', 'auto: wasm', '60.0 ms', '66.0 ms',
      '1.3× slower', '1.2× faster', '2.00 s (40× faster)']);
  });

  it('the model check flags a different parameter count or loss, not float32 noise', () => {
    const ok = [r('unroll', 'W1', 1, { parameters: 10, check: [4.176141, 4.171134] }),
      r('torch', 'W1', 1, { parameters: 10, check: [4.1761412, 4.171138] })];
    expect(modelCheck(ok, ['unroll', 'torch'], ['W1']).problems).toEqual([]);
    const bad = [ok[0]!, r('torch', 'W1', 1, { parameters: 11, check: [4.3, 4.171138] })];
    expect(modelCheck(bad, ['unroll', 'torch'], ['W1']).problems).toHaveLength(2);
  });
});
