// The backward engine: accumulation, pruning, broadcast reduction, recording modes, deep graphs,
// multi-output and user-defined ops, and anomaly reports that name the op.
import { describe, expect, it } from 'vitest';
import * as K from '@unroll/core';
import {
  AnomalyError, Tensor, add, backward, cast, defineOp, detectAnomaly, enableGrad, gradcheck, isAnomalyEnabled, isGradEnabled,
  log, mul, noGrad, setAnomalyDetection, sqrt, sum, tanh, tensor, topologicalOrder,
} from '@unroll/autograd';

const f64 = (v: K.Nested) => tensor(v, { dtype: 'float64', requiresGrad: true });

// A two-output op: [sin x, cos x]; its rule reads both output gradients.
const sinCos = defineOp({
  name: 'sinCos',
  inputs: ['x'],
  save: 'inputs',
  forward: ([x]) => ({ outputs: [K.map(x!, Math.sin), K.map(x!, Math.cos)] }),
  backward: ({ dys: [ds, dc], inputs: [x] }) => [
    () => K.sub(K.mul(ds!, K.map(x!, Math.cos)), K.mul(dc!, K.map(x!, Math.sin))),
  ],
});

// A user's fused op: y = a·x + b·x² with per-input rules (x: a + 2bx; a: x; b: x²).
const quadratic = defineOp({
  name: 'quadratic',
  inputs: ['x', 'a', 'b'],
  save: 'inputs',
  forward: ([x, a, b]) => K.add(K.mul(a!, x!), K.mul(b!, K.square(x!))),
  backward: ({ dy, inputs: [x, a, b] }) => [
    () => K.mul(dy, K.add(a!, K.mul(K.scale(b!, 2), x!))),
    () => K.mul(dy, x!),
    () => K.mul(dy, K.square(x!)),
  ],
});

describe('backward', () => {
  it('accumulates both paths of a diamond', () => {
    const x = f64([1, 2, 3]);
    const a = x.mul(2), b = x.mul(x);
    a.add(b).sum().backward();
    // d/dx (2x + x²) = 2 + 2x.
    expect(x.grad!.toArray()).toEqual([4, 6, 8]);
  });

  it('gives no gradient to an unused input, nor to one used only by an unused result', () => {
    const x = f64([1, 2]), unused = f64([5]), sideInput = f64([3, 4]);
    const side = mul(x, sideInput); // recorded, but the loss does not depend on it
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
    expect(unused.grad).toBeNull();
    expect(sideInput.grad).toBeNull();
    expect(side.grad).toBeNull();
  });

  it('prunes the walk to nodes that lead to inputs needing a gradient', () => {
    const x = f64([1, 2]), constant = tensor([3, 4], { dtype: 'float64' });
    const frozen = constant.mul(2).tanh(); // no input requires a gradient: not recorded
    const y = x.mul(frozen).sum();
    expect(frozen.node).toBeNull();
    expect(topologicalOrder(y.node!).map((n) => n.op)).toEqual(['mul', 'sum']);
  });

  it('reduces broadcast gradients to each input shape (rank difference and size-1 dims)', () => {
    const a = f64([[1], [2], [3]]); // [3, 1]
    const b = f64([10, 20, 30, 40]); // [4]
    const c = f64(2); // []
    mul(add(a, b), c).sum().backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(a.grad!.toArray()).toEqual([[8], [8], [8]]);
    expect(b.grad!.toArray()).toEqual([6, 6, 6, 6]);
    expect(c.grad!.shape).toEqual([]);
    expect(c.grad!.item()).toBe(4 * (1 + 2 + 3) + 3 * (10 + 20 + 30 + 40));
  });

  it('accumulates across two backward calls until zeroGrad', () => {
    const x = f64([1, 2]);
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('keeps a leaf gradient separate from the arrays backward used (optimizers write .grad in place)', () => {
    const x = f64([1, 2]);
    const seed = tensor([5, 6], { dtype: 'float64' });
    x.mul(1).backward(seed);
    (x.grad!.data.data as Float64Array)[0] = 100;
    expect(seed.toArray()).toEqual([5, 6]);
  });

  it('takes an explicit seed gradient (Tensor or ndarray) for a non-scalar output', () => {
    const x = f64([[1, 2], [3, 4]]);
    const y = x.mul(3);
    y.backward(tensor([[1, 0], [0, 2]], { dtype: 'float64' }), { retainGraph: true });
    expect(x.grad!.toArray()).toEqual([[3, 0], [0, 6]]);
    x.zeroGrad();
    backward(y, K.fromNested([[1, 1], [1, 1]], { dtype: 'float32' })); // cast to the output's dtype
    expect(x.grad!.toArray()).toEqual([[3, 3], [3, 3]]);
    expect(x.grad!.dtype).toBe('float64');
  });

  it('backward on a leaf puts the seed in its own grad', () => {
    const x = f64(2);
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });

  it('retainGrad keeps a non-leaf gradient; other non-leaves keep none', () => {
    const x = f64([0.5, -1]);
    const h = x.mul(2).retainGrad();
    const t = h.tanh();
    t.sum().backward();
    const expected = h.values().map((v) => 1 - Math.tanh(v) ** 2);
    expect(Array.from(h.grad!.values())).toEqual(Array.from(expected));
    expect(t.grad).toBeNull();
    // d/dx = 2·(1 − tanh²(2x)): the retained gradient did not stop the flow to x.
    expect(Array.from(x.grad!.values())).toEqual(Array.from(expected).map((v) => 2 * v));
  });

  it('retainGrad on the root keeps the seed', () => {
    const x = f64([1, 2]);
    const s = x.mul(x).sum().retainGrad();
    s.backward();
    expect(s.grad!.item()).toBe(1);
  });

  it('retainGraph allows a second backward through the same graph', () => {
    const x = f64([1, 2]);
    const loss = x.tanh().mul(x).sum();
    loss.backward(undefined, { retainGraph: true });
    const first = Array.from(x.grad!.values());
    loss.backward();
    Array.from(x.grad!.values()).forEach((v, i) => expect(v).toBeCloseTo(2 * first[i]!, 14));
  });

  it('walks a 10,000-op chain without overflowing the stack', () => {
    const x = f64([1]);
    let y: Tensor = x;
    for (let i = 0; i < 10_000; i++) y = y.mul(1.0001);
    y.sum().backward();
    expect(x.grad!.item()).toBeCloseTo(1.0001 ** 10_000, 8);
  });

  it('walks a 10,000-deep chain of adds of two branches (a deep diamond ladder)', () => {
    const x = f64([1]);
    let y: Tensor = x;
    // Each level: y ← 0.5·y + 0.5·y, so d(out)/dx = 1, and every level has two paths to the next.
    for (let i = 0; i < 10_000; i++) y = add(y.mul(0.5), y.mul(0.5));
    sum(y).backward();
    expect(x.grad!.item()).toBeCloseTo(1, 10);
  });
});

describe('recording modes', () => {
  it('noGrad records nothing', () => {
    const x = f64([1, 2]);
    const y = noGrad(() => x.mul(2).tanh());
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
  });

  it('enableGrad records again inside noGrad', () => {
    const x = f64([1, 2]);
    const y = noGrad(() => enableGrad(() => x.mul(2)));
    expect(y.requiresGrad).toBe(true);
    expect(y.node!.op).toBe('mul');
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it('restores the mode when the function throws, and refuses an async function', () => {
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(async () => 1)).toThrow('take a synchronous function');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach cuts the graph: the detached factor is a constant', () => {
    const x = f64([2, 3]);
    const y = x.mul(x).detach();
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    y.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 9]); // x², not 3x²
  });
});

describe('ops defined with defineOp', () => {
  it('a two-output op gets both output gradients, and zeros for an unused output', () => {
    const x = f64([0.3, -1.2]);
    const [s, c] = sinCos.applyMulti([x], undefined);
    expect(s!.outputIndex).toBe(0);
    expect(c!.outputIndex).toBe(1);
    expect(s!.node).toBe(c!.node);
    add(s!, c!).sum().backward();
    const v = [0.3, -1.2];
    expect(Array.from(x.grad!.values())).toEqual(v.map((t) => Math.cos(t) - Math.sin(t)));
    x.zeroGrad();
    sinCos.applyMulti([x], undefined)[1]!.sum().backward();
    expect(Array.from(x.grad!.values())).toEqual(v.map((t) => -Math.sin(t)));
  });

  it('the zeros standing in for an unused output have that output\'s dtype, not the loss\'s', () => {
    // [x, 2x] in float64; the loss reaches only output 0, through a cast to float32. A float32
    // zero for output 1 would make this rule's sum float32 and round the gradient 0.1.
    const pair = defineOp({
      name: 'selfAndDouble',
      inputs: ['x'],
      forward: ([x]) => ({ outputs: [K.clone(x!), K.scale(x!, 2)] }),
      backward: ({ dys: [d0, d1] }) => [() => K.add(K.scale(d1!, 2), d0!)],
    });
    const x = f64([1, 2]);
    const [y0] = pair.applyMulti([x], undefined);
    cast(mul(y0!, 0.1), 'float32').sum().backward();
    expect(x.grad!.toArray()).toEqual([0.1, 0.1]);
  });

  it('a two-output op passes gradcheck on both outputs', () => {
    const r = gradcheck((x) => sinCos.applyMulti([x], undefined), [f64([[0.3, -1.2, 2]])], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
    expect(r.ok, r.report).toBe(true);
  });

  it('a user-defined op with three inputs passes gradcheck with broadcasting', () => {
    const r = gradcheck(
      (x, a, b) => tanh(quadratic.apply([x, a, b], undefined)),
      [f64([[0.5, -1], [2, 0.25]]), f64([0.7, -0.3]), f64(0.4)],
      { eps: 1e-6, atol: 1e-5, rtol: 1e-3 },
    );
    expect(r.ok, r.report).toBe(true);
  });

  it('nondifferentiable inputs may be int32 and get no gradient', () => {
    const pick = defineOp({
      name: 'pickRow',
      inputs: ['x', 'row'],
      nondifferentiable: [1],
      forward: ([x, row]) => K.indexSelect(x!, 0, row!),
      backward: ({ dy, inputs, shapes: [shape] }) => [() => K.indexAdd(shape!, 0, inputs[1]!, dy)],
      save: 'inputs',
    });
    const x = f64([[1, 2], [3, 4]]), row = tensor([1, 1], { dtype: 'int32' });
    pick.apply([x, row], undefined).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 0], [2, 2]]);
    expect(row.grad).toBeNull();
  });
});

describe('anomaly detection', () => {
  it('is off by default and only inside detectAnomaly (or setAnomalyDetection)', () => {
    expect(isAnomalyEnabled()).toBe(false);
    expect(log(tensor([0], { dtype: 'float64' })).item()).toBe(-Infinity);
    expect(detectAnomaly(() => isAnomalyEnabled())).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    setAnomalyDetection(true);
    try {
      expect(() => log(tensor([0]))).toThrow(AnomalyError);
    } finally {
      setAnomalyDetection(false);
    }
  });

  it('names the forward op that produced a non-finite value', () => {
    const x = f64([[1, 0]]);
    expect(() => detectAnomaly(() => log(x))).toThrow("op 'log' output 0 [1, 2] holds -Infinity (first at flat index 1)");
  });

  it('names the op whose gradient is not finite in backward (sqrt at 0)', () => {
    const x = f64([4, 0]);
    const y = detectAnomaly(() => sqrt(x)); // forward is finite: sqrt(0) = 0
    expect(y.values()[1]).toBe(0);
    expect(() => detectAnomaly(() => y.sum().backward())).toThrow(AnomalyError);
    const x2 = f64([4, 0]);
    expect(() => detectAnomaly(() => sqrt(x2).sum().backward()))
      .toThrow("gradient of op 'sqrt' input 'x' [2] holds Infinity (first at flat index 1)");
  });
});
