// Projection LSTM (projSize) and layer-norm LSTM (layerNorm): the equations written out, the fused
// step path equal to the composed one, gradcheck, shapes, names, the runner/stacks/bidirectional/
// modules, and refusals. PyTorch parity of projSize: reference.test.ts (make_feature_fixtures.py).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, Tensor, gradcheckModule, matmul, mean, stack } from '@unroll/autograd';
import { LSTM, LSTMCell, bidirectional, stackCells, unroll } from '@unroll/rnn';
import type { LSTMState } from '@unroll/rnn';
import { SEED, expectClose, rand, tinySizes } from './helpers.js';

const f64 = { dtype: 'float64' as const };

/** LN over the features, written out: (v − μ)/√(σ² + 1e−5) ⊙ γ + β. */
function ln(v: Tensor, g: Tensor, b: Tensor): Tensor {
  const mu = mean(v, { axes: [1], keepdims: true });
  const d = v.sub(mu);
  return d.div(mean(d.mul(d), { axes: [1], keepdims: true }).add(1e-5).sqrt()).mul(g).add(b);
}

/** One step of Ba et al.'s layer-norm LSTM with an optional projection, from the equations. */
function referenceStep(cell: LSTMCell, s: LSTMState, x: Tensor): LSTMState {
  const H = cell.hiddenSize, n = cell.norms;
  const gx = matmul(x, cell.weightIh, { transB: true }), gh = matmul(s.h, cell.weightHh, { transB: true });
  const a = (n ? ln(gx, n.weightIh, n.biasIh).add(ln(gh, n.weightHh, n.biasHh)) : gx.add(gh)).add(cell.biasIh!).add(cell.biasHh!);
  const blk = (k: number) => a.narrow(1, k * H, H);
  const i = blk(0).sigmoid(), f = blk(1).sigmoid(), g = blk(2).tanh(), o = blk(3).sigmoid();
  const c = f.mul(s.c).add(i.mul(g));
  let h = o.mul((n ? ln(c, n.weightC, n.biasC) : c).tanh());
  if (cell.weightHr) h = matmul(h, cell.weightHr, { transB: true });
  return { h, c };
}

describe('LSTMCell projSize and layerNorm', () => {
  const g = new RandomGenerator(21);
  const T = 5, B = 3, I = 3, H = 4;
  const xs = rand([T, B, I], g);
  const variants = [
    ['projSize 2', { projSize: 2 }],
    ['layerNorm', { layerNorm: true }],
    ['projSize 3 + layerNorm', { projSize: 3, layerNorm: true }],
  ] as const;

  it.each(variants)('%s: unroll equals the equations; fused and composed agree', (_, opts) => {
    const cell = new LSTMCell({ inputSize: I, hiddenSize: H, ...opts, ...f64, generator: g });
    // Non-trivial gains and biases, so a swapped γ/β or a missing LN would show.
    for (const p of Object.values(cell.norms ?? {})) p.data = rand(p.shape, g).add(1).data;
    const P = opts.projSize ?? H;
    const s0 = { h: rand([B, P], g), c: rand([B, H], g) };
    let s: LSTMState = s0;
    const ys: Tensor[] = [];
    for (let t = 0; t < T; t++) { s = referenceStep(cell, s, xs.select(0, t)); ys.push(s.h); }
    const got = unroll(cell, xs, { initialState: s0 });
    expect(got.outputs.shape).toEqual([T, B, P]);
    expectClose(got.outputs, stack(ys, 0), 1e-13, 'outputs');
    expectClose(got.state.c, s.c, 1e-13, 'c');
    cell.fused = false;
    const composed = unroll(cell, xs, { initialState: s0, lengths: [5, 2, 3], reverse: true });
    cell.fused = true;
    const fused = unroll(cell, xs, { initialState: s0, lengths: [5, 2, 3], reverse: true });
    expectClose(fused.outputs, composed.outputs, 1e-13);
    expectClose(fused.state.h, composed.state.h, 1e-13);
    // unroll takes the cell's whole-sequence path (input gemm hoisted), not the step loop.
    const args = { batchFirst: false, reverse: false, lengths: null, initialState: s0 };
    expect(cell.fusedUnroll(xs, args)).not.toBeNull();
    cell.fused = false;
    expect(cell.fusedUnroll(xs, args)).toBeNull();
    cell.fused = true;
  });

  it('layerNorm with other activations hoists too, equal to stepping; batch-first', () => {
    const cell = new LSTMCell({ inputSize: I, hiddenSize: H, layerNorm: true, hiddenActivation: 'identity', coupledGates: true, ...f64, generator: g });
    const xb = xs.permute([1, 0, 2]);
    const a = unroll(cell, xb, { batchFirst: true, lengths: [2, 5, 4] });
    cell.fused = false;
    const b = unroll(cell, xb, { batchFirst: true, lengths: [2, 5, 4] });
    expectClose(a.outputs, b.outputs, 1e-13);
    expectClose(a.state.c, b.state.c, 1e-13);
  });

  it('float32: the compiled sequence agrees with the composed step loop (to float32 rounding), gradients too', () => {
    const make = () => new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 2, layerNorm: true, generator: new RandomGenerator(31) });
    const [a, b] = [make(), make()];
    b.fused = false;
    const x32 = rand([T, B, I], g, { dtype: 'float32' });
    const ra = unroll(a, x32, { lengths: [5, 3, 1] }), rb = unroll(b, x32, { lengths: [5, 3, 1] });
    expectClose(ra.outputs, rb.outputs, 1e-4, 'outputs');
    ra.outputs.sum().add(ra.state.c.sum()).backward();
    rb.outputs.sum().add(rb.state.c.sum()).backward();
    expectClose(a.weightHr!.grad!, b.weightHr!.grad!, 1e-3, 'd weight_hr');
    expectClose(a.norms!.weightHh.grad!, b.norms!.weightHh.grad!, 1e-3, 'd weight_ln_hh');
  });

  it('parameter names, shapes and the state: h [B, P], c [B, H]', () => {
    const cell = new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 2, layerNorm: true, peephole: true });
    expect(cell.namedParameters().map(([n, p]) => `${n}[${p.shape.join(', ')}]`)).toEqual([
      'weight_ih[16, 3]', 'weight_hh[16, 2]', 'bias_ih[16]', 'bias_hh[16]', 'weight_hr[2, 4]', 'weight_ci[4]', 'weight_cf[4]', 'weight_co[4]',
      'weight_ln_ih[16]', 'bias_ln_ih[16]', 'weight_ln_hh[16]', 'bias_ln_hh[16]', 'weight_ln_c[4]', 'bias_ln_c[4]',
    ]);
    expect(cell.outputSize).toBe(2);
    const s = cell.initialState(5);
    expect([s.h.shape, s.c.shape]).toEqual([[5, 2], [5, 4]]);
  });

  it('passes gradcheck for every parameter (projection and layer norm, fused step and composed, with lengths)', () => {
    fc.assert(fc.property(tinySizes, fc.boolean(), (s, fused) => {
      const gg = new RandomGenerator(s.seed);
      const hidden = s.hidden + 1; // room for a projection below it
      const cell = new LSTMCell({ inputSize: s.input, hiddenSize: hidden, projSize: s.hidden, layerNorm: s.seed % 2 === 0, fused, ...f64, generator: gg });
      const x = rand([s.time, s.batch, s.input], gg, { requiresGrad: true });
      const h0 = rand([s.batch, s.hidden], gg, { requiresGrad: true });
      const c0 = rand([s.batch, hidden], gg, { requiresGrad: true });
      const lengths = Array.from({ length: s.batch }, (_, b) => 1 + ((b + s.seed) % s.time));
      // Every parameter: the weights, weight_hr and the layer norms' gains and biases.
      const r = gradcheckModule(cell, (xx, hh, cc) => {
        const out = unroll(cell, xx!, { initialState: { h: hh!, c: cc! }, lengths });
        return [out.outputs, out.state.c];
      }, { inputs: [x, h0, c0] });
      expect(r.ok, r.report).toBe(true);
    }), { seed: SEED, numRuns: 10 });
  });

  it('runs in stackCells, bidirectional and the LSTM module (layers, mask, unbatched)', () => {
    const a = new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 2, ...f64, generator: g });
    const b = new LSTMCell({ inputSize: 2, hiddenSize: H, layerNorm: true, ...f64, generator: g });
    expect(unroll(stackCells([a, b]), xs).outputs.shape).toEqual([T, B, H]);
    expect(bidirectional(a).run(xs, { mask: [[1, 0, 1], [1, 1, 1], [0, 1, 1], [1, 1, 0], [1, 1, 1]] }).outputs.shape).toEqual([T, B, 4]);
    const m = new LSTM({ inputSize: I, hiddenSize: H, projSize: 3, layerNorm: true, numLayers: 2, bidirectional: true, ...f64, generator: g });
    expect(m.namedParameters().map(([n]) => n)).toContain('weight_hr_l1_reverse');
    expect(m.namedParameters().map(([n]) => n)).toContain('bias_ln_c_l0');
    expect(m.cells[1]![0]!.inputSize).toBe(6);
    const r = m.forward(xs, { h: rand([4, B, 3], g), c: rand([4, B, H], g) });
    expect([r.output.shape, r.state.h.shape, r.state.c.shape]).toEqual([[T, B, 6], [4, B, 3], [4, B, H]]);
    const u = m.forward(xs.select(1, 0));
    expect([u.output.shape, u.state.h.shape, u.state.c.shape]).toEqual([[T, 6], [4, 3], [4, H]]);
    expect(() => m.forward(xs, { h: rand([4, B, H], g), c: rand([4, B, H], g) }))
      .toThrow('LSTM.forward: state.h must be [4, 3, 3] ([numLayers · directions, batch, projSize]); got [4, 3, 4]');
  });

  it('refuses a projection not smaller than hiddenSize, bad layerNorm values and orthogonal init with a projection', () => {
    expect(() => new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 4 })).toThrow('LSTMCell: projSize must be an integer in [1, hiddenSize) = [1, 4) (0 or absent: no projection); got 4');
    expect(() => new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 1.5 })).toThrow('LSTMCell: projSize must be an integer in [1, hiddenSize)');
    expect(() => new LSTM({ inputSize: I, hiddenSize: H, projSize: -1 })).toThrow('LSTMCell: projSize must be an integer in [1, hiddenSize)');
    expect(() => new LSTMCell({ inputSize: I, hiddenSize: H, layerNorm: 1 as never })).toThrow('LSTMCell: layerNorm must be a boolean; got 1');
    expect(() => new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 2, recurrentInit: 'orthogonal' })).toThrow("LSTMCell: recurrentInit 'orthogonal' needs square H × H gate blocks");
    const cell = new LSTMCell({ inputSize: I, hiddenSize: H, projSize: 2, ...f64 });
    expect(() => cell.step({ h: rand([B, H], g), c: rand([B, H], g) }, xs.select(0, 0))).toThrow('LSTMCell.step: state.h must be [3, 2]; got [3, 4]');
  });
});
