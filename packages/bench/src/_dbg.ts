import * as K from '@unroll/core';
import { Tensor } from '@unroll/autograd';
import { GRUCell } from '@unroll/rnn';
import { traceStep } from '../../rnn/src/compile/program.js';
import { makePlan } from '../../rnn/src/compile/plan.js';
import { MyGRU } from './compiled-cells.js';
for (const cell of [new MyGRU(5, 8), new GRUCell({ inputSize: 5, hiddenSize: 8, fused: false }), new GRUCell({ inputSize: 5, hiddenSize: 8, fused: false, resetAfter: false })]) {
  const plan = makePlan(traceStep(cell as any, 4, 'float32', cell.initialState(4)));
  console.log(plan.projections.map((p) => `N=${p.N} bias=${!!p.bias} views=${[...p.views.values()]}`), 'xInputs', plan.xInputs.length, 'pInputs', plan.pInputs.map((v) => v.shape));
}
