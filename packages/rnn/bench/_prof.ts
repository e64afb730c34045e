import { Tensor, manualSeed, noGrad } from '@unroll/autograd';
import * as K from '@unroll/core';
import { LSTM } from '@unroll/rnn';
const V = 65, H = 256, B = 32, T = 64;
manualSeed(1);
const rnn = new LSTM({ inputSize: V, hiddenSize: H });
const oneHot = K.zeros([T, B, V]); for (let k = 0; k < T * B; k++) oneHot.data[k * V + (k * 7919) % V] = 1;
const x = new Tensor(oneHot);
for (let i = 0; i < 100; i++) noGrad(() => rnn.forward(x));
