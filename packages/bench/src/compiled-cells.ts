// Cells written as a user writes them (public ops only), for the compileCell rows of `pnpm bench`.
import * as K from '@unroll/core';
import { LayerNorm, Module, Parameter, Tensor, matmul, sigmoid, split, tanh } from '@unroll/autograd';

type DT = 'float32' | 'float64';

/** An LSTM written as a user writes a cell (the rnn README's example): public ops only. */
export class MyLSTM extends Module {
  readonly outputSize: number;
  readonly weightX: Parameter; readonly weightH: Parameter; readonly bias: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly dtype: DT = 'float32') {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize), G = 4 * hiddenSize;
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k, { dtype }));
    this.weightX = this.registerParameter('weight_x', u([G, inputSize]));
    this.weightH = this.registerParameter('weight_h', u([G, hiddenSize]));
    this.bias = this.registerParameter('bias', u([G]));
  }
  initialState(batch: number) {
    const z = () => new Tensor(K.zeros([batch, this.hiddenSize], { dtype: this.dtype }));
    return { h: z(), c: z() };
  }
  step(state: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = matmul(x, this.weightX, { transB: true }).add(matmul(state.h, this.weightH, { transB: true })).add(this.bias);
    const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
    const h = sigmoid(o).mul(tanh(c));
    return { state: { h, c }, output: h };
  }
}

/** Minimal gated unit (Zhou et al. 2016): f = σ(W_f x + U_f h + b_f), h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h), h' = h + f ⊙ (h̃ − h). */
export class MGU extends Module {
  readonly outputSize: number;
  readonly wf: Parameter; readonly uf: Parameter; readonly bf: Parameter;
  readonly wh: Parameter; readonly uh: Parameter; readonly bh: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number) {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize), H = hiddenSize;
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k));
    this.wf = this.registerParameter('wf', u([H, inputSize]));
    this.uf = this.registerParameter('uf', u([H, H]));
    this.bf = this.registerParameter('bf', u([H]));
    this.wh = this.registerParameter('wh', u([H, inputSize]));
    this.uh = this.registerParameter('uh', u([H, H]));
    this.bh = this.registerParameter('bh', u([H]));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize])) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = state.h;
    const f = sigmoid(matmul(x, this.wf, { transB: true }).add(matmul(h, this.uf, { transB: true })).add(this.bf));
    const hh = tanh(matmul(x, this.wh, { transB: true }).add(matmul(f.mul(h), this.uh, { transB: true })).add(this.bh));
    const next = h.add(f.mul(hh.sub(h)));
    return { state: { h: next }, output: next };
  }
}

/** A GRU as a user writes it (PyTorch's equations and gate order r|z|n, both biases). */
export class MyGRU extends Module {
  readonly outputSize: number;
  readonly wx: Parameter; readonly wh: Parameter; readonly bx: Parameter; readonly bh: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly dtype: DT = 'float32') {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize), G = 3 * hiddenSize;
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k, { dtype }));
    this.wx = this.registerParameter('wx', u([G, inputSize]));
    this.wh = this.registerParameter('wh', u([G, hiddenSize]));
    this.bx = this.registerParameter('bx', u([G]));
    this.bh = this.registerParameter('bh', u([G]));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize], { dtype: this.dtype })) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const H = this.hiddenSize;
    const [xr, xz, xn] = split(matmul(x, this.wx, { transB: true }).add(this.bx), H, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = split(matmul(state.h, this.wh, { transB: true }).add(this.bh), H, 1) as [Tensor, Tensor, Tensor];
    const r = sigmoid(xr.add(hr)), z = sigmoid(xz.add(hz));
    const n = tanh(xn.add(r.mul(hn)));
    const h = n.add(z.mul(state.h.sub(n)));
    return { state: { h }, output: h };
  }
}

/** IndRNN (Li et al. 2018): h' = relu(W x + u ⊙ h + b), an elementwise recurrence (no recurrent gemm). */
export class IndRNN extends Module {
  readonly outputSize: number;
  readonly w: Parameter; readonly u: Parameter; readonly b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly dtype: DT = 'float32') {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize);
    this.w = this.registerParameter('w', new Parameter(K.randUniform([hiddenSize, inputSize], -k, k, { dtype })));
    this.u = this.registerParameter('u', new Parameter(K.randUniform([hiddenSize], 0, 1, { dtype })));
    this.b = this.registerParameter('b', new Parameter(K.randUniform([hiddenSize], -k, k, { dtype })));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize], { dtype: this.dtype })) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const h = matmul(x, this.w, { transB: true }).add(this.u.mul(state.h)).add(this.b).relu();
    return { state: { h }, output: h };
  }
}

/** Layer-norm LSTM (Ba et al. 2016): gate pre-activations and the cell state layer-normalized. */
export class LayerNormLSTM extends MyLSTM {
  readonly lnGates: LayerNorm; readonly lnCell: LayerNorm;
  constructor(inputSize: number, hiddenSize: number, dtype: DT = 'float32') {
    super(inputSize, hiddenSize, dtype);
    this.lnGates = this.registerModule('ln_gates', new LayerNorm(4 * hiddenSize, { dtype }));
    this.lnCell = this.registerModule('ln_cell', new LayerNorm(hiddenSize, { dtype }));
  }
  override step(state: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = this.lnGates.forward(matmul(x, this.weightX, { transB: true }).add(matmul(state.h, this.weightH, { transB: true })));
    const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
    const h = sigmoid(o).mul(tanh(this.lnCell.forward(c)));
    return { state: { h, c }, output: h };
  }
}

/**
 * Minimal RNN (Chen 2017): z = tanh(W x), u = σ(U_h h + U_z z + b), h' = u ⊙ h + (1 − u) ⊙ z. Its step is
 * little more than one recurrent gemm (z and U_z z depend on x alone and are hoisted), so, like the tanh
 * RNN, it shows how much a compiled step gains when the composed one is mostly gemm.
 */
export class MinimalRNN extends Module {
  readonly outputSize: number;
  readonly w: Parameter; readonly uh: Parameter; readonly uz: Parameter; readonly b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number) {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize), H = hiddenSize;
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k));
    this.w = this.registerParameter('w', u([H, inputSize]));
    this.uh = this.registerParameter('uh', u([H, H]));
    this.uz = this.registerParameter('uz', u([H, H]));
    this.b = this.registerParameter('b', u([H]));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize])) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const z = tanh(matmul(x, this.w, { transB: true }));
    const u = sigmoid(matmul(state.h, this.uh, { transB: true }).add(matmul(z, this.uz, { transB: true })).add(this.b));
    const h = u.mul(state.h).add(u.neg().add(1).mul(z));
    return { state: { h }, output: h };
  }
}

/** Update-gate RNN (Collins et al. 2017): [c, g] = W x + U h + b, h' = σ(g) ⊙ h + (1 − σ(g)) ⊙ tanh(c). */
export class UGRNN extends Module {
  readonly outputSize: number;
  readonly wx: Parameter; readonly wh: Parameter; readonly b: Parameter;
  constructor(readonly inputSize: number, readonly hiddenSize: number) {
    super();
    this.outputSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize), G = 2 * hiddenSize;
    const u = (shape: number[]) => new Parameter(K.randUniform(shape, -k, k));
    this.wx = this.registerParameter('wx', u([G, inputSize]));
    this.wh = this.registerParameter('wh', u([G, hiddenSize]));
    this.b = this.registerParameter('b', u([G]));
  }
  initialState(batch: number) {
    return { h: new Tensor(K.zeros([batch, this.hiddenSize])) };
  }
  step(state: { h: Tensor }, x: Tensor) {
    const [c, g] = split(matmul(x, this.wx, { transB: true }).add(matmul(state.h, this.wh, { transB: true })).add(this.b), this.hiddenSize, 1) as [Tensor, Tensor];
    const u = sigmoid(g);
    const h = u.mul(state.h).add(u.neg().add(1).mul(tanh(c)));
    return { state: { h }, output: h };
  }
}

/** An LSTM with peephole connections (Gers et al. 2002) written by a user: diagonal weights from c into i, f and o. */
export class PeepholeLSTM extends MyLSTM {
  readonly peepI: Parameter; readonly peepF: Parameter; readonly peepO: Parameter;
  constructor(inputSize: number, hiddenSize: number) {
    super(inputSize, hiddenSize);
    const k = 1 / Math.sqrt(hiddenSize);
    const u = () => new Parameter(K.randUniform([hiddenSize], -k, k));
    this.peepI = this.registerParameter('peep_i', u());
    this.peepF = this.registerParameter('peep_f', u());
    this.peepO = this.registerParameter('peep_o', u());
  }
  override step(state: { h: Tensor; c: Tensor }, x: Tensor) {
    const gates = matmul(x, this.weightX, { transB: true }).add(matmul(state.h, this.weightH, { transB: true })).add(this.bias);
    const [i, f, g, o] = split(gates, this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = sigmoid(f.add(this.peepF.mul(state.c))).mul(state.c).add(sigmoid(i.add(this.peepI.mul(state.c))).mul(tanh(g)));
    const h = sigmoid(o.add(this.peepO.mul(c))).mul(tanh(c));
    return { state: { h, c }, output: h };
  }
}
