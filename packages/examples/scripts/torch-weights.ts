// Weights interop: loads a PyTorch LSTM's state dict (saved as JSON by data/make_torch_lstm.py)
// into @unroll/rnn's LSTM, runs it on the same input and prints how far it is from torch's output.
//
//   pnpm exec tsx --conditions=unroll-source packages/examples/scripts/torch-weights.ts
import { readFileSync } from 'node:fs';
import { tensor } from '@unroll/autograd';
import type { Nested, Tensor } from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';

interface TorchLSTMFile {
  description: string;
  options: { inputSize: number; hiddenSize: number; numLayers: number };
  stateDict: Record<string, Nested>;
  input: Nested;
  output: Nested;
  h_n: Nested;
  c_n: Nested;
}

const file = new URL('../data/torch-lstm.json', import.meta.url);
const data = JSON.parse(readFileSync(file, 'utf8')) as TorchLSTMFile;
console.log(`loaded ${data.description}`);

const maxAbsDiff = (a: Tensor, b: Nested) => {
  const x = a.values(), y = tensor(b, { dtype: 'float64' }).values();
  if (x.length !== y.length) throw new Error(`shape mismatch: ${a.shape} vs ${y.length} values`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

for (const dtype of ['float32', 'float64'] as const) {
  const lstm = new LSTM({ ...data.options, dtype });
  // PyTorch's names and layouts are ours: the nested arrays load as they are.
  lstm.loadStateDict(data.stateDict);
  const { output, state } = lstm.forward(tensor(data.input, { dtype }));
  const diffs = { output: maxAbsDiff(output, data.output), h_n: maxAbsDiff(state.h, data.h_n), c_n: maxAbsDiff(state.c, data.c_n) };
  console.log(`${dtype}: output ${JSON.stringify(output.shape)}; max |unroll − torch|: ` +
    Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
  // torch computed in float32, so both runs agree with it to float32 precision.
  if (Math.max(...Object.values(diffs)) > 1e-5) {
    console.error('the outputs disagree with torch');
    process.exitCode = 1;
  }
}
