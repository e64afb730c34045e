// What the compileCell tests share: the composed reference of a cell, and one run that collects
// outputs, final state and every gradient.
import { RandomGenerator, mul, sum } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';
import { stateTensors, unroll } from '@unroll/rnn';
import type { RecurrentCell, UnrollOptions } from '@unroll/rnn';
import { rand } from '../helpers.js';

/** The composed definition: the cell's own step in the runner's loop (no whole-sequence path). */
export function composed<S>(cell: RecurrentCell<S>): RecurrentCell<S> {
  return { inputSize: cell.inputSize, outputSize: cell.outputSize, initialState: (b, o) => cell.initialState(b, o), step: (s, x) => cell.step(s, x) };
}

/** Outputs, final state, and the gradients of a fixed random contraction of both w.r.t. xs, h0 and every parameter. */
export function runAll(cell: RecurrentCell<any>, params: Tensor[], xs: Tensor, h0: unknown, opts: UnrollOptions<any>, seed: number): number[][] {
  for (const p of params) p.grad = null;
  xs.grad = null;
  const h0s = stateTensors(h0).map(([, t]) => t);
  h0s.forEach((t) => { t.grad = null; });
  const r = unroll(cell, xs, { ...opts, initialState: h0 });
  const g = new RandomGenerator(seed);
  const dtype = r.outputs.dtype as 'float32' | 'float64';
  let loss = sum(mul(r.outputs, rand(r.outputs.shape, g, { dtype })));
  for (const [, t] of stateTensors(r.state)) loss = loss.add(sum(mul(t, rand(t.shape, g, { dtype }))));
  loss.backward();
  const vals = [r.outputs, ...stateTensors(r.state).map(([, t]) => t)].map((t) => [...t.values()]);
  const grads = [xs, ...h0s, ...params].map((t) => (t.grad ? [...t.grad.values()] : new Array<number>(t.size).fill(0)));
  return [...vals, ...grads];
}

export function maxError(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => { m = Math.max(m, Math.abs(v - b[i]![j]!)); }));
  return m;
}

