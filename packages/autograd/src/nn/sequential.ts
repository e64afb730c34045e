// Sequential: modules applied one after another, named '0', '1', … as in torch.nn.Sequential.
import type { Tensor } from '../tensor.js';
import { describe } from './checks.js';
import { Module } from './module.js';

/** A module with a one-tensor forward: what Sequential can chain. */
export type ForwardModule = Module & { forward(x: Tensor): Tensor };

/**
 * Chains modules: forward(x) = mₙ(…m₁(m₀(x))). Children are registered as '0', '1', …, so
 * parameter names read `0.weight`, `2.bias` as in PyTorch and train()/eval() reach every child.
 * Shapes: whatever the first module takes → whatever the last returns.
 */
export class Sequential extends Module {
  private readonly layers: ForwardModule[] = [];

  constructor(...modules: ForwardModule[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end (named by its position); returns this. */
  append(module: ForwardModule): this {
    const i = this.layers.length;
    if (!(module instanceof Module)) throw new TypeError(`Sequential: module ${i} must be a Module; got ${describe(module)}`);
    if (typeof (module as Partial<ForwardModule>).forward !== 'function') {
      throw new TypeError(`Sequential: module ${i} (${module.constructor.name}) has no forward(x) method`);
    }
    this.registerModule(String(i), module);
    this.layers.push(module);
    return this;
  }

  /** How many modules it chains. */
  get length(): number {
    return this.layers.length;
  }

  /** The module at position i (negative counts from the end). */
  at(i: number): ForwardModule {
    const n = this.layers.length;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`Sequential.at: index ${i} is out of range for ${n} modules`);
    return this.layers[i < 0 ? i + n : i]!;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<ForwardModule> {
    return this.layers[Symbol.iterator]();
  }

  /** Each module's output feeds the next; x comes back unchanged when there are none. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}
