// RNN / LSTM / GRU modules (and the variants PyTorch lacks) against PyTorch in float64: outputs,
// final states and gradients w.r.t. input, h0, c0 and every weight. Data: fixtures/make_rnn_fixtures.py,
// and fixtures/make_feature_fixtures.py (unbatched input, projection LSTM).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '@unroll/autograd';
import type { Nested } from '@unroll/autograd';
import { GRU, LSTM, RNN } from '@unroll/rnn';
import { maxDiff } from './helpers.js';

interface Case {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU';
  options: Record<string, unknown>;
  stateDict: Record<string, Nested>;
  input: Nested;
  h0: Nested;
  c0?: Nested;
  lengths: number[] | null;
  output: Nested;
  hn: Nested;
  cn?: Nested;
  lossWeights: { output: Nested; h: Nested; c?: Nested };
  grads: { input: Nested; h0: Nested; c0?: Nested; params: Record<string, Nested> };
}

const load = (file: string) => (JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const data = { cases: [...load('rnn_reference.json'), ...load('feature_reference.json')] };
const TOL = 1e-9;
const t64 = (v: Nested, requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });

function expectMatch(got: Tensor | null, want: Nested, what: string): void {
  expect(got, `${what} is missing`).not.toBeNull();
  const d = maxDiff(got!, t64(want));
  expect(d, `${what}: max |ours − torch| = ${d}`).toBeLessThanOrEqual(TOL);
}

describe.each(data.cases)('$name', (c) => {
  it('matches PyTorch: outputs, final states and every gradient (float64, 1e-9)', () => {
    const opts = { ...c.options, dtype: 'float64' as const } as never;
    const module = c.module === 'LSTM' ? new LSTM(opts) : c.module === 'GRU' ? new GRU(opts) : new RNN(opts);
    // Torch state dicts load as nested arrays, unchanged.
    module.loadStateDict(c.stateDict);
    expect(module.namedParameters().map(([n]) => n)).toEqual(Object.keys(c.stateDict));

    const x = t64(c.input, true);
    const h0 = t64(c.h0, true);
    const c0 = c.c0 ? t64(c.c0, true) : null;
    const state = c0 ? { h: h0, c: c0 } : { h: h0 };
    const lengths = c.lengths ?? undefined;
    const r = (module.forward as (x: Tensor, s: unknown, o: unknown) => { output: Tensor; state: { h: Tensor; c?: Tensor } })(x, state, { lengths });

    expectMatch(r.output, c.output, 'output');
    expectMatch(r.state.h, c.hn, 'h_n');
    if (c.cn) expectMatch(r.state.c ?? null, c.cn, 'c_n');

    let loss = r.output.mul(t64(c.lossWeights.output)).sum().add(r.state.h.mul(t64(c.lossWeights.h)).sum());
    if (c.lossWeights.c) loss = loss.add(r.state.c!.mul(t64(c.lossWeights.c)).sum());
    loss.backward();
    expectMatch(x.grad, c.grads.input, 'd/d input');
    expectMatch(h0.grad, c.grads.h0, 'd/d h0');
    if (c0) expectMatch(c0.grad, c.grads.c0!, 'd/d c0');
    for (const [name, p] of module.namedParameters()) expectMatch(p.grad, c.grads.params[name]!, `d/d ${name}`);
  });
});
