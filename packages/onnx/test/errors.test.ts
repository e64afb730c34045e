// Bad input gets a clear error: the op and the user code that recorded it, the output or input at
// fault, the option not understood, the dynamic axis the graph fixes.
import { describe, expect, it } from 'vitest';
import { Linear, Tensor, defineOp, manualSeed, randn, tensor, zeros } from '@unroll/autograd';
import { LSTM, LSTMCell, unroll } from '@unroll/rnn';
import { exportOnnx } from '../src/index.js';

// A user op with no ONNX form.
const squareOp = defineOp({
  name: 'onnxTestSquare',
  inputs: ['x'],
  forward: ([x]) => x!,
  backward: ({ dy }) => [() => dy],
});

describe('exportOnnx refuses', () => {
  it('an op with no ONNX form, naming the op and the line of user code that applied it', () => {
    const x = randn([2, 3]);
    const userFunction = (t: Tensor) => squareOp.apply([t.tanh()], undefined);
    expect(() => exportOnnx(userFunction, [x])).toThrow(/op 'onnxTestSquare' has no ONNX form \(applied at userFunction \(.*errors\.test\.ts:\d+:\d+\)\)/);
  });

  it('a result that is not a Tensor, naming where it sits', () => {
    const x = randn([2, 3]);
    expect(() => exportOnnx((t) => ({ y: t.exp(), n: 3 }), [x])).toThrow("exportOnnx: fn must return a Tensor, an array or a record of Tensors; 'n' is number");
    expect(() => exportOnnx((t) => [t.exp(), [null]], [x])).toThrow("'output1.0' is null");
    expect(() => exportOnnx(() => undefined, [x])).toThrow('its result is undefined');
  });

  it('an input the graph never reads', () => {
    expect(() => exportOnnx((a) => a.exp(), [randn([2]), randn([3])])).toThrow("exportOnnx: input 'input1' [3] is never read by the graph");
  });

  it('inputs that are not Tensors, unknown options, bad names, an opset it does not write', () => {
    const x = randn([2]);
    expect(() => exportOnnx((t) => t, [[1, 2] as never])).toThrow('exportOnnx: exampleInputs[0] must be a Tensor; got object');
    expect(() => exportOnnx((t) => t.exp(), [x], { dynamic_axes: {} } as never)).toThrow("exportOnnx: unknown option 'dynamic_axes'");
    expect(() => exportOnnx((t) => t.exp(), [x], { inputNames: ['a', 'b'] })).toThrow('inputNames must be 1 non-empty strings');
    expect(() => exportOnnx((t) => t.exp(), [x], { inputNames: ['y'], outputNames: ['y'] })).toThrow("'y' names both an input and an output");
    const lin = new Linear(2, 2);
    expect(() => exportOnnx((t) => lin.forward(t), [randn([1, 2])], { module: lin, inputNames: ['weight'] }))
      .toThrow("exportOnnx: 'weight' names an input or output and a parameter of the module");
    expect(() => exportOnnx((t) => t.exp(), [x], { metadata: { n: 1 as never } })).toThrow("metadata values must be strings; 'n' is number");
    expect(() => exportOnnx((t) => t.exp(), [x], { opset: 12 })).toThrow('exportOnnx: opset must be one of 17, 18, 19, 20; got 12');
    expect(() => exportOnnx((t) => t.exp(), [x], { dynamicAxes: { x: [0] } })).toThrow("dynamicAxes names 'x', which is not an input");
    expect(() => exportOnnx((t) => t.exp(), [x], { dynamicAxes: { input: [1] } })).toThrow('axis 1 is not an axis of input [2]');
    expect(() => exportOnnx((a, b) => a.add(b.sum()), [randn([2, 3]), randn([3, 3])], { dynamicAxes: { input0: { 0: 'n' }, input1: { 0: 'n' } } }))
      .toThrow("'n' is 2 on input0 but 3 on input1");
  });
});

describe('dynamic axes the graph fixes are refused', () => {
  it('a literal size in user code (the function fails at another size)', () => {
    const x = randn([2, 3, 4]);
    expect(() => exportOnnx((t) => t.reshape([2, 12]), [x], { dynamicAxes: { input: { 0: 'batch' } } }))
      .toThrow(/fn failed on inputs grown along the dynamic axes \(input \[3, 3, 4\]\).*fixes an axis declared dynamic/);
  });

  it('a constant made in JavaScript that changes with the axis and is not uniform', () => {
    manualSeed(1);
    const x = randn([2, 3]);
    expect(() => exportOnnx((t) => t.add(randn(t.shape)), [x], { dynamicAxes: { input: { 0: 'batch' } } }))
      .toThrow(/op 'add' \(applied at .*errors\.test\.ts.*\): a tensor made inside the function \(not by an op\) of shape \[2, 3\] changes with the dynamic axes and is not uniform/);
  });

  it('but a zeros tensor of the batch size follows it (Expand of a scalar)', () => {
    const x = randn([2, 3]);
    expect(() => exportOnnx((t) => t.add(zeros(t.shape)), [x], { dynamicAxes: { input: { 0: 'batch' } } })).not.toThrow();
  });

  it('time, when a cell is exported as its ops unrolled over the example time steps', () => {
    const cell = new LSTMCell({ inputSize: 2, hiddenSize: 3, forgetGate: false });
    const x = randn([4, 2, 2]);
    expect(() => exportOnnx((xs) => unroll(cell, xs).outputs, [x], { dynamicAxes: { input: { 0: 'time' } } }))
      .toThrow(/the function applies different ops when the dynamic axes change \(time 5 \(example 4\)/);
    // Fixed time is fine.
    expect(() => exportOnnx((xs) => unroll(cell, xs).outputs, [x], { dynamicAxes: { input: { 1: 'batch' } } })).not.toThrow();
  });

  it('lengths given as numbers cannot follow a dynamic batch', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3 });
    const x = randn([4, 2, 2]);
    expect(() => exportOnnx((xs) => lstm.forward(xs, undefined, { lengths: [4, 2] }).output, [x], { dynamicAxes: { input: { 1: 'batch' } } }))
      .toThrow(/lengths must have one entry per sequence/);
    // With fixed batch they are constants of the graph.
    expect(() => exportOnnx((xs) => lstm.forward(xs, undefined, { lengths: [4, 2] }).output, [x], { dynamicAxes: { input: { 0: 'time' } } })).not.toThrow();
  });

  it('lengths that match two inputs by value are ambiguous', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3 });
    const x = randn([4, 2, 2]);
    const a = tensor([4, 2], { dtype: 'int32' }), b = tensor([4, 2], { dtype: 'int32' });
    expect(() => exportOnnx((xs, l, m) => [lstm.forward(xs, undefined, { lengths: l }).output, m.reshape([2, 1])], [x, a, b]))
      .toThrow(/lengths \[4, 2\] equal the values of several inputs \(input1, input2\)/);
  });
});
