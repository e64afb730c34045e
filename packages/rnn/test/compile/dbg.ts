import * as K from '@unroll/core';
import { Generator, Tensor } from '@unroll/autograd';
import { compileCell, unroll } from '@unroll/rnn';
import { UserLSTM } from './cells.js';
const c = compileCell(new UserLSTM(3, 8, new Generator(1), 'float32'), { verify: false });
unroll(c, new Tensor(K.zeros([2, 4, 3])));
