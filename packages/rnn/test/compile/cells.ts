// User cells written with public ops only (as a user would), for the compileCell tests and benchmark:
// a minimal gated unit, an IndRNN, a layer-norm LSTM and a plain LSTM.
import * as K from '@unroll/core';
import { LayerNorm, Module, Parameter, Tensor, matmul, concat, sigmoid, split, tanh } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';

type DT = 'float32' | 'float64';
const param = (shape: number[], g: RandomGenerator, dtype: DT) => new Parameter(K.randUniform(shape, -0.6, 0.6, { dtype, generator: g }));
const zeros = (batch: number, n: number, dtype: DT) => new Tensor(K.zeros([batch, n], { dtype }));

/**
 * Minimal gated unit (Zhou et al. 2016): f = σ(W_f x + U_f h + b_f), h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h),
 * h' = h + f ⊙ (h̃ − h). Written with separate x and h products, so compileCell hoists the x ones.
 */
export class MGU extends Module {
  readonly outputSize: number;
  readonly wf: Parameter; readonly uf: Parameter; readonly bf: Parameter;
  readonly wh: Parameter; readonly uh: Parameter; readonly bh: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator, readonly dtype: DT = 'float64') {
    super();
    this.outputSize = hiddenSize;
    const I = inputSize, H = hiddenSize;
    this.wf = this.registerParameter('wf', param([H, I], g, dtype));
    this.uf = this.registerParameter('uf', param([H, H], g, dtype));
    this.bf = this.registerParameter('bf', param([H], g, dtype));
    this.wh = this.registerParameter('wh', param([H, I], g, dtype));
    this.uh = this.registerParameter('uh', param([H, H], g, dtype));
    this.bh = this.registerParameter('bh', param([H], g, dtype));
  }
  initialState(batch: number) {
    return { h: zeros(batch, this.hiddenSize, this.dtype) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = state.h;
    const f = sigmoid(matmul(x, this.wf, { transB: true }).add(matmul(h, this.uf, { transB: true })).add(this.bf));
    const hTilde = tanh(matmul(x, this.wh, { transB: true }).add(matmul(f.mul(h), this.uh, { transB: true })).add(this.bh));
    const next = h.add(f.mul(hTilde.sub(h)));
    return { state: { h: next }, output: next };
  }
}

/** The MGU written with [x, h] concatenated (one product per gate): nothing to hoist, still compiles. */
export class ConcatMGU extends MGU {
  readonly wfc: Parameter; readonly whc: Parameter;
  constructor(inputSize: number, hiddenSize: number, g: RandomGenerator, dtype: DT = 'float64') {
    super(inputSize, hiddenSize, g, dtype);
    this.wfc = this.registerParameter('wfc', param([hiddenSize, inputSize + hiddenSize], g, dtype));
    this.whc = this.registerParameter('whc', param([hiddenSize, inputSize + hiddenSize], g, dtype));
  }
  override step(state: { h: Tensor }, x: Tensor) {
    const h = state.h;
    const f = sigmoid(matmul(concat([x, h], 1), this.wfc, { transB: true }).add(this.bf));
    const hTilde = tanh(matmul(concat([x, f.mul(h)], 1), this.whc, { transB: true }).add(this.bh));
    const next = h.add(f.mul(hTilde.sub(h)));
    return { state: { h: next }, output: next };
  }
}

/** IndRNN (Li et al. 2018): h' = relu(W x + u ⊙ h + b) — an elementwise recurrence, no recurrent gemm. */
export class IndRNN extends Module {
  readonly outputSize: number;
  readonly w: Parameter; readonly u: Parameter; readonly b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator, readonly dtype: DT = 'float64') {
    super();
    this.outputSize = hiddenSize;
    this.w = this.registerParameter('w', param([hiddenSize, inputSize], g, dtype));
    this.u = this.registerParameter('u', param([hiddenSize], g, dtype));
    this.b = this.registerParameter('b', param([hiddenSize], g, dtype));
  }
  initialState(batch: number) {
    return { h: zeros(batch, this.hiddenSize, this.dtype) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = matmul(x, this.w, { transB: true }).add(this.u.mul(state.h)).add(this.b).relu();
    return { state: { h }, output: h };
  }
}

/**
 * A plain LSTM as a user writes it (PyTorch's gate order i|f|g|o, one bias):
 * [i, f, g, o] = W x + U h + b;  c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g);  h' = σ(o) ⊙ tanh(c').
 */
export class UserLSTM extends Module {
  readonly outputSize: number;
  readonly w: Parameter; readonly u: Parameter; readonly b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator, readonly dtype: DT = 'float64') {
    super();
    this.outputSize = hiddenSize;
    const H = hiddenSize, k = 1 / Math.sqrt(H);
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k, { dtype, generator: g }));
    this.w = this.registerParameter('w', u([4 * H, inputSize]));
    this.u = this.registerParameter('u', u([4 * H, H]));
    this.b = this.registerParameter('b', u([4 * H]));
  }
  initialState(batch: number) {
    return { h: zeros(batch, this.hiddenSize, this.dtype), c: zeros(batch, this.hiddenSize, this.dtype) };
  }
  step(state: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = matmul(x, this.w, { transB: true }).add(matmul(state.h, this.u, { transB: true })).add(this.b);
    const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
    const h = sigmoid(o).mul(tanh(c));
    return { state: { h, c }, output: h };
  }
}

/** Layer-norm LSTM (Ba et al. 2016): the gate pre-activations and the cell state are layer-normalized. */
export class LayerNormLSTM extends UserLSTM {
  readonly lnGates: LayerNorm; readonly lnCell: LayerNorm;
  constructor(inputSize: number, hiddenSize: number, g: RandomGenerator, dtype: DT = 'float64') {
    super(inputSize, hiddenSize, g, dtype);
    this.lnGates = this.registerModule('ln_gates', new LayerNorm(4 * hiddenSize, { dtype }));
    this.lnCell = this.registerModule('ln_cell', new LayerNorm(hiddenSize, { dtype }));
    // Non-trivial affine parameters, so their gradients are tested too.
    for (const p of [...this.lnGates.parameters(), ...this.lnCell.parameters()]) {
      (p.data.data as Float64Array).set(K.contiguous(K.randUniform(p.shape, 0.5, 1.5, { dtype, generator: g })));
    }
  }
  override step(state: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = this.lnGates.forward(matmul(x, this.w, { transB: true }).add(matmul(state.h, this.u, { transB: true })));
    const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
    const h = sigmoid(o).mul(tanh(this.lnCell.forward(c)));
    return { state: { h, c }, output: h };
  }
}

/**
 * A cell with four input projections of both orientations (for compileCell's projection groups): x·Aᵀ + a
 * split in two, x·Cᵀ + c, and x·D, x·E with D, E [I, H]; `frozen` leaves C without a gradient (the group's
 * weight gradients then come one gemm per member).
 */
export class ManyProjections extends Module {
  readonly outputSize: number;
  readonly A: Parameter; readonly a: Parameter; readonly C: Parameter; readonly c: Parameter;
  readonly D: Parameter; readonly E: Parameter; readonly U: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, g: RandomGenerator, readonly dtype: DT = 'float64', frozen = false) {
    super();
    this.outputSize = hiddenSize;
    const I = inputSize, H = hiddenSize;
    this.A = this.registerParameter('A', param([2 * H, I], g, dtype));
    this.a = this.registerParameter('a', param([2 * H], g, dtype));
    this.C = this.registerParameter('C', param([H, I], g, dtype));
    this.c = this.registerParameter('c', param([H], g, dtype));
    this.D = this.registerParameter('D', param([I, H], g, dtype));
    this.E = this.registerParameter('E', param([I, H], g, dtype));
    this.U = this.registerParameter('U', param([H, H], g, dtype));
    if (frozen) this.C.requiresGrad_(false);
  }
  initialState(batch: number) {
    return { h: zeros(batch, this.hiddenSize, this.dtype) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = state.h, H = this.hiddenSize;
    const [p, q] = split(matmul(x, this.A, { transB: true }).add(this.a), H, 1) as [Tensor, Tensor];
    const r = matmul(x, this.C, { transB: true }).add(this.c);
    const z = sigmoid(p.add(matmul(h, this.U, { transB: true })));
    const n = tanh(q.add(z.mul(h)).add(matmul(x, this.D)));
    const next = n.add(z.mul(r)).add(matmul(x, this.E).mul(h));
    return { state: { h: next }, output: next };
  }
}
