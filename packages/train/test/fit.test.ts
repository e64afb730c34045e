import { describe, expect, it } from 'vitest';
import {
  Adam, RandomGenerator, Linear, Module, SGD, StepLR, Tensor, clipGradNorm, isGradEnabled, mseLoss, randUniform, tensor,
} from '@unroll/autograd';
import { LSTM } from '@unroll/rnn';
import { NonFiniteLossError, earlyStopping, fit, fitSync } from '@unroll/train';
import type { StepEnd } from '@unroll/train';

/** y = 2x₀ − x₁ + 0.5, batches of 8 from a seeded stream. */
function* regression(seed: number): Generator<{ x: Tensor; y: Tensor }> {
  const g = new RandomGenerator(seed);
  for (;;) {
    const x = randUniform([8, 2], -1, 1, { generator: g, dtype: 'float64' });
    const v = x.toArray() as number[][];
    yield { x, y: tensor(v.map(([a, b]) => [2 * a! - b! + 0.5]), { dtype: 'float64' }) };
  }
}

const linear = () => new Linear(2, 1, { generator: new RandomGenerator(1), dtype: 'float64' });
const mse = (model: Linear) => (b: { x: Tensor; y: Tensor }) => mseLoss(model.forward(b.x), b.y);

describe('fit', () => {
  it('is exactly the hand-written loop: zeroGrad, loss, backward, clip, step, schedule', () => {
    const a = linear(), b = linear();
    const optA = new SGD(a.parameters(), { lr: 0.3, momentum: 0.9 }), optB = new SGD(b.parameters(), { lr: 0.3, momentum: 0.9 });
    const schedA = new StepLR(optA, { stepSize: 5, gamma: 0.5 }), schedB = new StepLR(optB, { stepSize: 5, gamma: 0.5 });
    const lrs: number[] = [], norms: number[] = [];
    const r = fitSync({
      model: a, optimizer: optA, scheduler: schedA, data: regression(3), loss: mse(a), steps: 20, clipGradNorm: 0.5,
      callbacks: [{ onStepEnd: (e) => { lrs.push(e.lr); norms.push(e.gradNorm); } }],
    });
    const data = regression(3);
    const handLosses: number[] = [], handNorms: number[] = [];
    for (let s = 0; s < 20; s++) {
      const batch = data.next().value!;
      optB.zeroGrad();
      const loss = mse(b)(batch);
      loss.backward();
      handNorms.push(clipGradNorm(b.parameters(), 0.5));
      optB.step();
      schedB.step();
      handLosses.push(loss.item());
    }
    expect(r.losses).toEqual(handLosses);
    expect(norms).toEqual(handNorms);
    expect(a.weight.toArray()).toEqual(b.weight.toArray());
    expect(lrs.slice(0, 6)).toEqual([0.3, 0.3, 0.3, 0.3, 0.3, 0.15]);
    expect(r).toMatchObject({ step: 20, stopReason: 'steps' });
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]! / 10);
  });

  it('pulls no batch past `steps`, counts from initialStep, and stops when the data ends', () => {
    const model = linear();
    let pulled = 0;
    function* counted() { for (const b of regression(0)) { pulled++; yield b; } }
    const r = fitSync({ model, optimizer: new Adam(model.parameters()), data: counted(), loss: mse(model), initialStep: 10, steps: 15 });
    expect([r.step, r.losses.length, pulled]).toEqual([15, 5, 5]);
    const batches = [...Array(3)].map(() => regression(1).next().value!);
    const ended = fitSync({ model, optimizer: new Adam(model.parameters()), data: batches, loss: mse(model), steps: 10 });
    expect(ended).toMatchObject({ step: 3, stopReason: 'data' });
  });

  it('reads async iterables and awaits async callbacks (fit); fitSync refuses them', async () => {
    const model = linear();
    async function* slow() { for (const b of regression(2)) { await new Promise((r) => setTimeout(r, 1)); yield b; } }
    const seen: number[] = [];
    const r = await fit({
      model, optimizer: new Adam(model.parameters(), { lr: 0.05 }), data: slow(), loss: mse(model), steps: 6,
      callbacks: [{ onStepEnd: async (e) => { await new Promise((res) => setTimeout(res, 1)); seen.push(e.step); } }],
    });
    expect(r.step).toBe(6);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => fitSync({ model, optimizer: new Adam(model.parameters()), data: slow(), loss: mse(model), steps: 2 }))
      .toThrow(/fitSync: the data or a callback returned a promise; use `await fit/);
  });

  it('fails inside the loop when async data rejects: onEnd sees the error and the data source is closed', async () => {
    const model = linear();
    let closed = false, ended: string | undefined;
    async function* flaky() {
      try {
        let n = 0;
        for (const b of regression(0)) { if (++n === 4) throw new Error('disk gone'); yield b; }
      } finally { closed = true; }
    }
    await expect(fit({
      model, optimizer: new Adam(model.parameters()), data: flaky(), loss: mse(model), steps: 10,
      callbacks: [{ onEnd: (r) => { ended = `${r.stopReason} after step ${r.step}: ${r.error?.message}`; } }],
    })).rejects.toThrow('disk gone');
    expect(ended).toBe('error after step 3: disk gone');
    expect(closed).toBe(true);
    let syncClosed = false;
    function* gen() { try { yield* regression(0); } finally { syncClosed = true; } }
    expect(() => fitSync({
      model, optimizer: new Adam(model.parameters()), data: gen(), loss: mse(model), steps: 3,
      callbacks: [{ onStepEnd: async () => {} }],
    })).toThrow('fitSync: the data or a callback returned a promise');
    expect(syncClosed).toBe(true);
  });

  it('carries the recurrent state between batches with its graph cut (truncated BPTT)', () => {
    const lstm = new LSTM({ inputSize: 1, hiddenSize: 3, generator: new RandomGenerator(0), dtype: 'float64' });
    const g = new RandomGenerator(5);
    const chunks = Array.from({ length: 4 }, () => randUniform([5, 2, 1], -1, 1, { generator: g, dtype: 'float64' }));
    const given: (Tensor | undefined)[] = [];
    const returned: Tensor[] = [];
    const h0 = { h: tensor([[[0.1, 0.2, 0.3], [0, 0, 0]]], { dtype: 'float64' }), c: tensor([[[0, 0, 0], [0, 0, 0]]], { dtype: 'float64' }) };
    type S = { h: Tensor; c: Tensor };
    const r = fitSync<Tensor, S>({
      model: lstm, optimizer: new SGD(lstm.parameters(), { lr: 0.1 }), data: chunks, initialState: h0,
      loss: (x, { state }) => {
        given.push(state?.h);
        const out = lstm.forward(x, state);
        returned.push(out.state.h);
        return { loss: out.output.mul(out.output).mean(), state: out.state };
      },
    });
    expect(given[0]!.toArray()).toEqual(h0.h.toArray());
    for (let k = 1; k < 4; k++) {
      expect(given[k]!.toArray()).toEqual(returned[k - 1]!.toArray());   // the values carry on …
      expect(given[k]!.requiresGrad).toBe(false);                         // … the graph does not
      expect(given[k]!.node).toBeFalsy();
    }
    expect(r.state!.h.toArray()).toEqual(returned[3]!.toArray());
  });

  it('evaluates every evalEvery steps and after the last, in eval mode without gradients', () => {
    const model = linear();
    const calls: [number, boolean, boolean][] = [];
    const r = fitSync({
      model, optimizer: new Adam(model.parameters()), data: regression(0), loss: mse(model), steps: 7, evalEvery: 3,
      evaluate: ({ step }) => { calls.push([step, model.training, isGradEnabled()]); return 1 / step; },
    });
    expect(calls).toEqual([[3, false, false], [6, false, false], [7, false, false]]);
    expect(r.evaluations).toEqual([{ step: 3, metrics: { val_loss: 1 / 3 } }, { step: 6, metrics: { val_loss: 1 / 6 } }, { step: 7, metrics: { val_loss: 1 / 7 } }]);
    expect(model.training).toBe(true);
  });

  it('tells callbacks in order: eval end, then step end (with the metrics), then end; stop() ends the run', () => {
    const model = linear();
    const log: string[] = [];
    const r = fitSync({
      model, optimizer: new Adam(model.parameters()), data: regression(0), loss: mse(model), steps: 100, evalEvery: 2,
      evaluate: ({ step }) => ({ val_acc: step / 10 }),
      callbacks: [{
        onEvalEnd: (e) => { log.push(`eval ${e.step}`); },
        onStepEnd: (e: StepEnd) => { log.push(`step ${e.step}${e.evaluated ? ` ${e.metrics!.val_acc}` : ''}`); if (e.step === 3) e.stop('enough'); },
        onEnd: (res) => { log.push(`end ${res.stopReason}`); },
      }],
    });
    expect(log).toEqual(['step 1', 'eval 2', 'step 2 0.2', 'step 3', 'eval 3', 'end enough']);
    expect(r.stopReason).toBe('enough');
  });

  it('refuses unknown options and wrong kinds, naming them', () => {
    const model = linear();
    const base = { model, optimizer: new Adam(model.parameters()), data: regression(0), loss: mse(model) };
    expect(() => fitSync({ ...base, step: 3 } as never)).toThrow("fitSync: unknown option 'step'; the options are model, optimizer");
    expect(() => fitSync({ ...base, clipGradNorm: 0 })).toThrow('fitSync: clipGradNorm must be a positive number');
    expect(() => fitSync({ ...base, steps: 1.5 })).toThrow('fitSync: steps must be an integer ≥ 0; got 1.5');
    expect(() => fitSync({ ...base, data: 3 as never })).toThrow('fitSync: data must be an iterable or async iterable of batches; got number 3');
    expect(() => fitSync({ ...base, evalEvery: 2 })).toThrow('fitSync: evalEvery is given but evaluate is not');
    expect(() => fitSync({ ...base, callbacks: [{ onStep: () => {} } as never] })).toThrow('callbacks[0] has none of onStart, onStepEnd, onEvalEnd, onEnd');
    expect(() => fitSync({ ...base, steps: 1, loss: () => tensor([1, 2]) })).toThrow('fitSync: loss must return a scalar Tensor or { loss, state }; got a Tensor of shape [2] at step 1');
    expect(() => earlyStopping({ patient: 3 } as never)).toThrow("earlyStopping: unknown option 'patient'");
  });
});

describe('the non-finite guard', () => {
  it('stops at the first NaN loss, names the step, leaves the weights of the step before, and tells onEnd', () => {
    const model = linear();
    let ended: string | undefined;
    let before: unknown;
    const run = () => fitSync({
      model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: regression(0), steps: 10,
      loss: (b, { step }) => {
        if (step === 4) before = model.weight.toArray();
        return step === 4 ? mseLoss(model.forward(b.x), b.y).mul(NaN) : mseLoss(model.forward(b.x), b.y);
      },
      callbacks: [{ onEnd: (r) => { ended = `${r.stopReason} at ${r.step}: ${r.error?.name}`; } }],
    });
    expect(run).toThrow(NonFiniteLossError);
    expect(run).toThrow(/the loss at step \d+ is NaN; training stopped before the update/);
    expect(ended).toMatch(/^error at \d+: NonFiniteLossError$/);
    expect(model.weight.toArray()).toEqual(before);
  });

  it('catches a diverging learning rate (gradient or weights overflow) before the weights are used', () => {
    const model = linear();
    let error: NonFiniteLossError | undefined;
    try {
      fitSync({ model, optimizer: new SGD(model.parameters(), { lr: 1e300 }), data: regression(0), loss: mse(model), steps: 50 });
    } catch (e) { error = e as NonFiniteLossError; }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error!.message).toMatch(/^fitSync: (the loss at step|the gradient norm at step|the update of step) \d+/);
    expect(error!.step).toBeGreaterThan(0);
  });
});

describe('earlyStopping', () => {
  const run = (cb: ReturnType<typeof earlyStopping>, values: number[], model: Module = linear()) => fitSync({
    model, optimizer: new SGD(model.parameters(), { lr: 0.01 }), data: regression(0), loss: mse(model as Linear), steps: values.length,
    evalEvery: 1, evaluate: ({ step }) => values[step - 1]!, callbacks: [cb],
  });

  it('stops after `patience` evaluations without improvement by more than minDelta', () => {
    const cb = earlyStopping({ patience: 2, minDelta: 0.01 });
    const r = run(cb, [1, 0.5, 0.495, 0.6, 0.3, 0.1]);
    expect(r.step).toBe(4);
    expect(r.stopReason).toBe('val_loss did not improve for 2 evaluations (best 0.5 at step 2)');
    expect([cb.best, cb.bestStep]).toEqual([0.5, 2]);
  });

  it('stops once a target is reached (max mode for accuracies) and can put the best weights back', () => {
    const model = linear();
    const best: unknown[] = [];
    const cb = earlyStopping({ monitor: 'val_loss', target: 0.2, restoreBestWeights: model });
    const r = fitSync({
      model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: regression(0), loss: mse(model), steps: 10, evalEvery: 1,
      evaluate: ({ step }) => { if (step === 2) best.push(model.weight.toArray()); return [0.5, 0.1, 0.3][step - 1] ?? 1; },
      callbacks: [cb],
    });
    expect(r.stopReason).toBe('val_loss reached 0.2 at step 2');
    expect(model.weight.toArray()).toEqual(best[0]);
    const acc = earlyStopping({ monitor: 'val_accuracy', target: 0.99 });
    const r2 = fitSync({
      model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), data: regression(0), loss: mse(model), steps: 10, evalEvery: 1,
      evaluate: ({ step }) => ({ val_accuracy: step / 4 }), callbacks: [acc],
    });
    expect(r2.step).toBe(4);
    expect(() => run(earlyStopping({ monitor: 'val_acc' }), [1])).toThrow("earlyStopping: the evaluation reports no 'val_acc'; it reports val_loss");
  });
});
