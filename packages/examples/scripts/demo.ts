// A small real demo: a two-layer network learns y = sin(x) on [-π, π] with Adam,
// printing its loss as it falls. Run: pnpm demo
import { Adam, Linear, Module, Tensor, manualSeed, mseLoss, randUniform, tensor } from '@unroll/autograd';

class MLP extends Module {
  readonly hidden = this.registerModule('hidden', new Linear(1, 32));
  readonly out = this.registerModule('out', new Linear(32, 1));
  forward(x: Tensor): Tensor {
    return this.out.forward(this.hidden.forward(x).tanh());
  }
}

manualSeed(0);
const x = randUniform([256, 1], -Math.PI, Math.PI);
const y = tensor(x.values().map(Math.sin)).reshape([256, 1]);
const model = new MLP();
const optimizer = new Adam(model.parameters(), { lr: 0.01 });

console.log(`fitting sin(x) with a ${model.numParameters()}-parameter network`);
for (let step = 1; step <= 600; step++) {
  optimizer.zeroGrad();
  const loss = mseLoss(model.forward(x), y);
  loss.backward();
  optimizer.step();
  if (step === 1 || step % 100 === 0) console.log(`step ${String(step).padStart(3)}  mse ${loss.item().toFixed(5)}`);
}
