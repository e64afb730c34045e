// The fused paths against the composed ones they replace: LSTM and GRU modules (layers ×
// bidirectional × batchFirst, lengths, variants) give the same outputs, final states and gradients
// in float64; cell.step likewise; which path runs is checked in the recorded graph; scratch buffers
// reused between calls never corrupt a returned or saved value.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import { RandomGenerator, Tensor, noGrad, topologicalOrder } from '@unroll/autograd';
import { GRU, GRUCell, LSTM, LSTMCell, unroll } from '@unroll/rnn';
import type { GRUOptions, LSTMOptions, LSTMState } from '@unroll/rnn';
import { setPointwiseWasm } from '../src/fused/wasm/runtime.js';
import { expectClose, maxDiff, rand } from './helpers.js';

const TOL = 1e-10;
type Module = LSTM | GRU;
type Result = { output: Tensor; state: { h: Tensor; c?: Tensor } };

/** Every op name in the graph that made `t`. */
const opsOf = (t: Tensor): Set<string> => new Set(t.node ? topologicalOrder(t.node).map((n) => n.op) : []);

/**
 * Runs `m` forward and backward (a weighted sum of the output and final states, so every output
 * carries a gradient) and returns the values and the gradients of x, h0, c0 and every parameter.
 */
function run(m: Module, x: Tensor, h0: Tensor, c0: Tensor | null, lengths?: number[]) {
  for (const p of m.parameters()) p.grad = null;
  const xs = new Tensor(x.data, { requiresGrad: true });
  const h = new Tensor(h0.data, { requiresGrad: true });
  const c = c0 ? new Tensor(c0.data, { requiresGrad: true }) : null;
  const state = c ? { h, c } : { h };
  const r = (m.forward as (x: Tensor, s: unknown, o: unknown) => Result)(xs, state, { lengths });
  const g = new RandomGenerator(99);
  const weigh = (t: Tensor) => t.mul(rand(t.shape, g, { dtype: t.dtype as 'float32' | 'float64' })).sum();
  let loss = weigh(r.output).add(weigh(r.state.h));
  if (r.state.c) loss = loss.add(weigh(r.state.c));
  const ops = opsOf(loss);
  loss.backward();
  return {
    ops, output: r.output, h: r.state.h, c: r.state.c ?? null,
    grads: [['x', xs.grad], ['h0', h.grad], ['c0', c?.grad ?? null], ...m.namedParameters().map(([n, p]) => [n, p.grad])] as [string, Tensor | null][],
  };
}

function compare(fused: ReturnType<typeof run>, composed: ReturnType<typeof run>): void {
  expectClose(fused.output, composed.output, TOL, 'output');
  expectClose(fused.h, composed.h, TOL, 'h_n');
  if (composed.c) expectClose(fused.c!, composed.c, TOL, 'c_n');
  fused.grads.forEach(([name, g], i) => {
    const want = composed.grads[i]![1];
    if (want === null) return expect(g, `d/d ${name}`).toBeNull();
    expect(g, `d/d ${name} is missing`).not.toBeNull();
    expectClose(g!, want, TOL, `d/d ${name}`);
  });
}

/** A module and its twin with the same weights running the other path. */
function twins<M extends Module>(make: (fused: boolean) => M): [M, M] {
  const fused = make(true), composed = make(false);
  composed.loadStateDict(fused.stateDict());
  return [fused, composed];
}

interface Case { name: string; module: 'LSTM' | 'GRU'; opts: Partial<LSTMOptions & GRUOptions>; fusedOp: string | null }
const cases: Case[] = [
  { name: 'LSTM', module: 'LSTM', opts: {}, fusedOp: 'lstmSequence' },
  { name: 'LSTM peephole', module: 'LSTM', opts: { peephole: true }, fusedOp: 'lstmSequence' },
  { name: 'LSTM no bias', module: 'LSTM', opts: { bias: false }, fusedOp: 'lstmSequence' },
  { name: 'LSTM forgetBias', module: 'LSTM', opts: { forgetBias: 1 }, fusedOp: 'lstmSequence' },
  { name: 'GRU', module: 'GRU', opts: {}, fusedOp: 'gruSequence' },
  { name: 'GRU reset before', module: 'GRU', opts: { resetAfter: false }, fusedOp: 'gruSequence' },
  { name: 'GRU no bias', module: 'GRU', opts: { bias: false }, fusedOp: 'gruSequence' },
  // Variants without a fused kernel: fused: true must fall back to the composed cells.
  { name: 'LSTM CIFG (composed either way)', module: 'LSTM', opts: { coupledGates: true }, fusedOp: null },
  { name: 'LSTM no forget gate (composed either way)', module: 'LSTM', opts: { forgetGate: false }, fusedOp: null },
  { name: 'LSTM relu σ_h (composed either way)', module: 'LSTM', opts: { hiddenActivation: 'relu' }, fusedOp: null },
];

describe.each(cases)('$name: fused and composed agree (float64, 1e-10)', (c) => {
  for (const numLayers of [1, 2]) {
    for (const bidirectional of [false, true]) {
      for (const batchFirst of [false, true]) {
        it(`numLayers ${numLayers}, bidirectional ${bidirectional}, batchFirst ${batchFirst}, with and without lengths`, () => {
          const g = new RandomGenerator(7 * numLayers + (bidirectional ? 3 : 0) + (batchFirst ? 1 : 0));
          const [T, B, I, H] = [5, 3, 4, 3];
          const make = (fused: boolean) => {
            const o = { inputSize: I, hiddenSize: H, numLayers, bidirectional, batchFirst, dtype: 'float64' as const, generator: g, fused, ...c.opts };
            return c.module === 'LSTM' ? new LSTM(o as LSTMOptions) : new GRU(o as GRUOptions);
          };
          const [fused, composed] = twins(make);
          const rows = numLayers * (bidirectional ? 2 : 1);
          const x = rand(batchFirst ? [B, T, I] : [T, B, I], g);
          const h0 = rand([rows, B, H], g), c0 = c.module === 'LSTM' ? rand([rows, B, H], g) : null;
          for (const lengths of [undefined, [5, 2, 4]]) {
            const f = run(fused, x, h0, c0, lengths), k = run(composed, x, h0, c0, lengths);
            compare(f, k);
            if (c.fusedOp) expect(f.ops.has(c.fusedOp), `the fused run records '${c.fusedOp}'`).toBe(true);
            for (const op of ['lstmSequence', 'gruSequence', 'lstmStep', 'gruStep']) {
              expect(k.ops.has(op), `the composed run records no '${op}'`).toBe(false);
            }
            if (!c.fusedOp) expect(f.ops.has('lstmSequence')).toBe(false);
          }
        });
      }
    }
  }
});

describe('switching paths', () => {
  it('module.fused switches every cell; the cells follow', () => {
    const m = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true });
    expect(m.fused).toBe(true);
    m.fused = false;
    expect(m.cells.flat().every((cell) => (cell as LSTMCell).fused === false)).toBe(true);
    expect(new GRU({ inputSize: 2, hiddenSize: 3, fused: false }).fused).toBe(false);
    expect(() => new LSTM({ inputSize: 2, hiddenSize: 3, fused: 'yes' as unknown as boolean })).toThrow('LSTMCell: fused must be a boolean; got yes');
    expect(() => { m.fused = 1 as unknown as boolean; }).toThrow('LSTM.fused must be a boolean; got 1');
  });

  it('unroll runs the fused op for a standard cell and the step loop when fused is off', () => {
    const cell = new LSTMCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64', generator: new RandomGenerator(1) });
    const xs = rand([4, 2, 2], new RandomGenerator(2), { requiresGrad: true });
    const fused = unroll(cell, xs);
    cell.fused = false;
    const composed = unroll(cell, xs);
    expect(fused.outputs.node?.op).toBe('lstmSequence');
    expect(opsOf(composed.outputs).has('lstmSequence')).toBe(false);
    expect(opsOf(composed.outputs).has('sigmoid')).toBe(true);
    expectClose(fused.outputs, composed.outputs, 0, 'outputs');
  });
});

describe('subclasses that redefine step', () => {
  it('are stepped by unroll (the fused sequence op would skip their change)', () => {
    class ScaledLSTM extends LSTMCell {
      override step(state: LSTMState, x: Tensor) {
        return super.step(state, x.mul(2));
      }
    }
    class ScaledGRU extends GRUCell {
      override step(state: { h: Tensor }, x: Tensor) {
        return super.step(state, x.mul(2));
      }
    }
    const xs = rand([4, 2, 3], new RandomGenerator(2));
    for (const [Sub, Base] of [[ScaledLSTM, LSTMCell], [ScaledGRU, GRUCell]] as const) {
      const sub = new Sub({ inputSize: 3, hiddenSize: 2, dtype: 'float64', generator: new RandomGenerator(1) });
      const base = new Base({ inputSize: 3, hiddenSize: 2, dtype: 'float64', generator: new RandomGenerator(1) });
      const got = unroll(sub as LSTMCell, xs).outputs;
      expect(opsOf(got).has('lstmSequence') || opsOf(got).has('gruSequence')).toBe(false);
      expectClose(got, unroll(base as LSTMCell, xs.mul(2)).outputs, 1e-15, `${Sub.name}`);
    }
  });
});

describe('cell.step: the fused step op equals the composed step', () => {
  const g = new RandomGenerator(5);
  const cells: [string, (fused: boolean) => LSTMCell | GRUCell, string][] = [
    ['LSTMCell', (fused) => new LSTMCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64', generator: new RandomGenerator(8), fused }), 'lstmStep'],
    ['LSTMCell peephole', (fused) => new LSTMCell({ inputSize: 3, hiddenSize: 4, peephole: true, dtype: 'float64', generator: new RandomGenerator(8), fused }), 'lstmStep'],
    ['GRUCell', (fused) => new GRUCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64', generator: new RandomGenerator(8), fused }), 'gruStep'],
  ];
  for (const [name, make, op] of cells) {
    it(`${name}: values, and gradients of x, the state and every parameter`, () => {
      const a = make(true), b = make(false);
      const x = rand([2, 3], g), h = rand([2, 4], g), c = rand([2, 4], g);
      const grads = (cell: LSTMCell | GRUCell) => {
        for (const p of cell.parameters()) p.grad = null;
        const [xx, hh, cc] = [x, h, c].map((t) => new Tensor(t.data, { requiresGrad: true }));
        const r = (cell.step as (s: unknown, x: Tensor) => { state: { h: Tensor; c?: Tensor } })({ h: hh, c: cc }, xx!);
        let loss = r.state.h.mul(rand([2, 4], new RandomGenerator(3))).sum();
        if (r.state.c) loss = loss.add(r.state.c.mul(rand([2, 4], new RandomGenerator(4))).sum());
        const ops = opsOf(loss);
        loss.backward();
        return { r, ops, grads: [xx!.grad!, hh!.grad!, ...(r.state.c ? [cc!.grad!] : []), ...cell.parameters().map((p) => p.grad!)] };
      };
      const fa = grads(a), fb = grads(b);
      expect(fa.ops.has(op)).toBe(true);
      expect(fb.ops.has(op)).toBe(false);
      expectClose(fa.r.state.h, fb.r.state.h, 0, 'h (float64: the same arithmetic)');
      fa.grads.forEach((t, i) => expectClose(t, fb.grads[i]!, TOL, `gradient ${i}`));
    });
  }
});

describe('float32', () => {
  // hidden 8 runs the WebAssembly SIMD forward step, hidden 5 (not a multiple of 4 lanes) and
  // wasm switched off run the JS kernels with the fast σ and tanh; all stay within float32 error.
  const variants: [string, number, boolean][] = [['wasm step', 8, true], ['JS step', 8, false], ['JS step (odd hidden)', 5, true]];
  for (const [what, hidden, wasm] of variants) {
    it(`fused (${what}) stays within float32 error of the composed path, with lengths, both directions`, () => {
      const before = setPointwiseWasm(wasm);
      try {
        for (const Module of [LSTM, GRU]) {
          const [fused, composed] = twins((fused) => new Module({
            inputSize: 4, hiddenSize: hidden, numLayers: 2, bidirectional: true, fused, generator: new RandomGenerator(3),
          }));
          const x = rand([6, 3, 4], new RandomGenerator(4), { dtype: 'float32' });
          const h0 = rand([4, 3, hidden], new RandomGenerator(5), { dtype: 'float32' });
          const c0 = Module === LSTM ? rand([4, 3, hidden], new RandomGenerator(6), { dtype: 'float32' }) : null;
          for (const lengths of [undefined, [6, 2, 4]]) {
            const f = run(fused, x, h0, c0, lengths), k = run(composed, x, h0, c0, lengths);
            expect(f.output.dtype).toBe('float32');
            expectClose(f.output, k.output, 2e-6, `${Module.name} output`);
            expectClose(f.h, k.h, 2e-6, `${Module.name} h_n`);
            f.grads.forEach(([name, grad], i) => {
              const want = k.grads[i]![1];
              if (want === null) return;
              // Relative to the gradient's scale: float32 sums of many terms differ in the last bits.
              const scale = Math.max(...[...want.values()].map(Math.abs));
              expect(maxDiff(grad!, want) / scale, `${Module.name} d/d ${name}`).toBeLessThan(1e-5);
            });
          }
        }
      } finally {
        setPointwiseWasm(before);
      }
    });
  }
});

describe('scratch reuse never reaches returned or saved values', () => {
  it('outputs of an earlier call survive later calls (inference and training), and interleaved backwards are right', () => {
    for (const Module of [LSTM, GRU]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const m = new Module({ inputSize: 3, hiddenSize: 4, numLayers: 2, dtype, generator: new RandomGenerator(11) });
        const xa = rand([5, 2, 3], new RandomGenerator(1), { dtype }), xb = rand([7, 3, 3], new RandomGenerator(2), { dtype });
        const snap = (r: { output: Tensor; state: { h: Tensor } }) => [r.output, r.state.h].map((t) => new Tensor(K.clone(t.data)));

        // Inference: scratch is used for everything but the outputs.
        const ia = noGrad(() => m.forward(xa)), wantA = snap(ia);
        noGrad(() => m.forward(xb));
        expectClose(ia.output, wantA[0]!, 0, 'inference output after another call');
        expectClose(ia.state.h, wantA[1]!, 0, 'inference h after another call');

        // Training: outputs and final states outlive their graph's backward and the buffers it recycles.
        // (One layer, so the next forward takes exactly the buffers this backward recycled.)
        const m1 = new Module({ inputSize: 3, hiddenSize: 4, dtype, generator: new RandomGenerator(12) });
        const ra = m1.forward(xa), wantRa = snap(ra);
        ra.output.sum().add(ra.state.h.sum()).backward();
        const xa2 = rand([5, 2, 3], new RandomGenerator(3), { dtype }); // same shapes, so recycled buffers fit
        for (let round = 0; round < 3; round++) m1.forward(xa2.mul(round + 1)).output.sum().backward();
        m1.forward(xa2);
        expectClose(ra.output, wantRa[0]!, 0, 'recorded output after backward and later calls');
        expectClose(ra.state.h, wantRa[1]!, 0, 'recorded h after backward and later calls');
        if ('c' in ra.state) expect([...(ra.state.c as Tensor).values()].every(Number.isFinite)).toBe(true);

        // Training: two graphs alive at once, backwards in either order, equal one graph at a time.
        const gradsOf = (fn: () => void) => {
          m.zeroGrad();
          fn();
          return m.parameters().map((p) => new Tensor(K.clone(p.grad!.data)));
        };
        const lossOf = (x: Tensor) => { const y = m.forward(x).output; return y.mul(y).sum(); };
        const alone = gradsOf(() => { lossOf(xa).backward(); lossOf(xb).backward(); });
        const interleaved = gradsOf(() => {
          const la = lossOf(xa), lb = lossOf(xb);
          noGrad(() => m.forward(xb)); // and an inference call in between
          lb.backward(); // frees lb's buffers to the pool ...
          const again = m.forward(xb); // ... which this recorded forward takes and overwrites
          la.backward();
          expect(again.output.requiresGrad).toBe(true);
        });
        alone.forEach((g, i) => expectClose(interleaved[i]!, g, dtype === 'float32' ? 1e-6 : 1e-12, `${Module.name} ${dtype} parameter ${i}`));
      }
    }
  });

  it('a second backward through a retained graph gives the same gradients again', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, dtype: 'float64', generator: new RandomGenerator(12) });
    const loss = m.forward(rand([4, 2, 3], new RandomGenerator(3))).output.sum();
    loss.backward(undefined, { retainGraph: true });
    const once = m.parameters().map((p) => new Tensor(K.clone(p.grad!.data)));
    loss.backward();
    m.parameters().forEach((p, i) => expectClose(p.grad!, once[i]!.mul(2), 1e-12, `parameter ${i}`));
  });
});
