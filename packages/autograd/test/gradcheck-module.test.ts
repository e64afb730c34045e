// gradcheckModule checks a module's own parameters through its real forward, names them in the
// report, runs float32 modules in float64, and leaves the module exactly as it found it.
import { describe, expect, it } from 'vitest';
import { RandomGenerator, Linear, Module, Parameter, gradcheckModule, matmul, randn, tensor } from '@unroll/autograd';
import type { Tensor } from '@unroll/autograd';

/** y = tanh(x Wᵀ) · s, with an optional bug: W's path is detached (no gradient reaches W). */
class Layer extends Module {
  readonly weight: Parameter;
  readonly scale: Parameter;
  constructor(readonly buggy = false, dtype: 'float32' | 'float64' = 'float64') {
    super();
    const g = new RandomGenerator(3);
    this.weight = this.registerParameter('weight', new Parameter(randn([2, 3], { dtype, generator: g })));
    this.scale = this.registerParameter('scale', new Parameter(randn([2], { dtype, generator: g })));
  }
  forward(x: Tensor): Tensor {
    const w = this.buggy ? this.weight.detach() : this.weight;
    return matmul(x, w, { transB: true }).tanh().mul(this.scale);
  }
}

describe('gradcheckModule', () => {
  const x = randn([4, 3], { dtype: 'float64', requiresGrad: true, generator: new RandomGenerator(1) });

  it('passes a correct module, checking its parameters and the inputs', () => {
    const m = new Layer();
    const r = gradcheckModule(m, (xx) => m.forward(xx!), { inputs: [x] });
    expect(r.ok, r.report).toBe(true);
    const lin = new Linear(3, 2, { dtype: 'float64' });
    expect(gradcheckModule(lin, () => lin.forward(x)).ok).toBe(true);
  });

  it('catches a parameter whose gradient is wrong and names it by its state-dict name', () => {
    const m = new Layer(true);
    const r = gradcheckModule(m, (xx) => m.forward(xx!), { inputs: [x] });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/^gradcheck failed at 6 element\(s\):\nweight \[2, 3\] element \[0, 0\]: analytic 0, numeric /);
    expect(r.report).not.toMatch(/scale|input 0/);
  });

  it('runs a float32 module in float64 and restores values, dtypes and gradients (also when fn throws)', () => {
    const m = new Layer(false, 'float32');
    const before = m.weight.values().slice();
    m.weight.grad = tensor([[1, 2, 3], [4, 5, 6]]);
    const grad = m.weight.grad;
    const r = gradcheckModule(m, () => {
      expect(m.weight.dtype).toBe('float64');
      return m.forward(x);
    });
    expect(r.ok, r.report).toBe(true);
    expect(m.weight.dtype).toBe('float32');
    expect(m.weight.values()).toEqual(before);
    expect(m.weight.grad).toBe(grad);
    expect(() => gradcheckModule(m, () => { throw new Error('boom'); })).toThrow('boom');
    expect(m.weight.dtype).toBe('float32');
    expect(m.weight.values()).toEqual(before);
  });

  it('takes a list of tensors (weights a plain object keeps) and refuses bad arguments', () => {
    const w = randn([2, 3], { dtype: 'float64', requiresGrad: true, generator: new RandomGenerator(2) });
    expect(gradcheckModule([w], () => matmul(x, w, { transB: true }).tanh()).ok).toBe(true);
    expect(() => gradcheckModule({} as Module, () => x)).toThrow('gradcheckModule: module must be a Module or an array of Tensors; got object');
    expect(() => gradcheckModule([tensor([1], { dtype: 'int32' })], () => x)).toThrow('gradcheckModule: parameter 0 is int32');
    expect(() => gradcheckModule([], () => x)).toThrow('gradcheckModule: nothing to check');
  });
});

describe('README: gradcheckModule', () => {
  it('runs as written', () => {
    // --- README snippet ---
    const lin = new Linear(3, 2);                                   // float32 is fine: checked in float64
    const x = randn([4, 3], { dtype: 'float64', requiresGrad: true });
    const r = gradcheckModule(lin, (x) => lin.forward(x).tanh(), { inputs: [x] });
    if (!r.ok) throw new Error(r.report);  // e.g. "weight [2, 3] element [1, 0]: analytic …, numeric …"
    // --- end ---
    expect(lin.weight.dtype).toBe('float32');
    expect(() => gradcheckModule(lin, () => lin.forward(x), { inputs: [x], tol: 1 } as never)).toThrow(/gradcheckModule: unknown option 'tol'/);
  });
});
