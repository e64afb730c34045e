// The README's optimizer/schedule snippet, run as written (so the docs cannot rot).
import { describe, expect, it } from 'vitest';
import { CosineAnnealingWarmRestarts, NAdam, OneCycleLR, Parameter, ReduceLROnPlateau, SGD, Tensor, zeros } from '@unroll/autograd';

describe('README: Learning-rate schedules', () => {
  it('runs as written', () => {
    // --- README snippet ---
    const w = new Parameter(zeros([3]));
    const nadam = new NAdam([w], { lr: 2e-3, weightDecay: 1e-4 });
    const restarts = new CosineAnnealingWarmRestarts(nadam, { t0: 10, tMult: 2, etaMin: 1e-5 });

    const sgd = new SGD([new Parameter(zeros([3]))], { lr: 0.1, momentum: 0.9 });
    const oneCycle = new OneCycleLR(sgd, { maxLr: 0.5, epochs: 4, stepsPerEpoch: 25 });   // also cycles momentum 0.95 ↔ 0.85

    const plateau = new ReduceLROnPlateau(new SGD([new Parameter(zeros([3]))], { lr: 0.1 }), { patience: 2, factor: 0.5 });
    for (let epoch = 0; epoch < 4; epoch++) {
      for (let batch = 0; batch < 25; batch++) {
        // … loss.backward(); nadam.step(); sgd.step();
        oneCycle.step();
      }
      restarts.step();
      plateau.step(/* validation loss */ 1);                                   // no improvement: halves lr after 3 epochs
    }
    const saved = JSON.stringify({ optimizer: nadam.stateDict(), schedule: restarts.stateDict() });
    // --- end ---
    expect(oneCycle.lastEpoch).toBe(100);
    expect(oneCycle.getLastLr()[0]).toBeLessThan(1e-3); // from 0.5 at the peak down to ~0 (one step past the minimum)
    expect(sgd.paramGroups[0]!.momentum).toBeCloseTo(0.95, 2);
    expect(() => oneCycle.step()).toThrow(/past the end of the cycle/);
    expect(plateau.getLastLr()).toEqual([0.05]);
    expect(restarts.getLastLr()[0]).toBeLessThan(2e-3);
    const back = JSON.parse(saved) as { schedule: { lastEpoch: number } };
    expect(back.schedule.lastEpoch).toBe(4);
    expect(w.grad).toBeNull();
    expect(w).toBeInstanceOf(Tensor);
  });
});
