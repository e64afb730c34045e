// AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter, 2019).
import type { Tensor } from '../tensor.js';
import { AdamBase, validateAdam, type AdamOptions } from './adam.js';
import type { OptimizerSpec, ParamGroupInput } from './optimizer.js';

const SPEC: OptimizerSpec<Required<AdamOptions>> = {
  name: 'AdamW',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false },
  validate: validateAdam,
};

/**
 * AdamW, exactly as PyTorch 1.13's `torch.optim.AdamW`: Adam's update (see `Adam`), except that
 * the parameter is first shrunk, θ ← θ(1 − γλ), instead of λθ being added to the gradient.
 * `weightDecay` λ defaults to 1e-2; the other options and the state are Adam's.
 */
export class AdamW extends AdamBase {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options?: AdamOptions) {
    super(SPEC, true, params, options);
  }
}
