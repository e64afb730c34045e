// Learning-rate schedules for char-rnn: a linear warm-up, then cosine decay, step decay or a constant.
import { LambdaLR } from '@unroll/autograd';
import type { SchedulableOptimizer } from '@unroll/autograd';

/** The schedules `--schedule` offers (each after the linear warm-up). */
export const SCHEDULES = ['cosine', 'step', 'constant'] as const;
/** One of SCHEDULES. */
export type ScheduleKind = (typeof SCHEDULES)[number];

/** How the learning rate moves over training (all counts in optimizer steps). */
export interface ScheduleConfig {
  schedule: ScheduleKind;
  /** Steps of linear warm-up from lr/warmup to lr (0: none). */
  warmup: number;
  /** Total training steps (the cosine reaches its floor here). */
  steps: number;
  /** cosine: the final lr as a fraction of lr. */
  minLrFactor: number;
  /** step: steps between decays (counted after warm-up). */
  stepSize: number;
  /** step: factor applied at each decay. */
  gamma: number;
}

/**
 * The lr factor (multiplying the base lr) before optimizer step `e` (0-based):
 * warm-up (e + 1)/W for e < W, then
 * cosine  m + (1 − m)(1 + cos(π·min(e − W, S − W)/(S − W)))/2  (held at m past the end),
 * step    γ^⌊(e − W)/stepSize⌋, or constant 1.
 */
export function lrFactor(cfg: ScheduleConfig, e: number): number {
  if (e < cfg.warmup) return (e + 1) / cfg.warmup;
  const after = e - cfg.warmup;
  switch (cfg.schedule) {
    case 'constant':
      return 1;
    case 'step':
      return cfg.gamma ** Math.floor(after / cfg.stepSize);
    case 'cosine': {
      const span = Math.max(1, cfg.steps - cfg.warmup);
      const progress = Math.min(after, span) / span;
      return cfg.minLrFactor + ((1 - cfg.minLrFactor) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** A scheduler applying `lrFactor` to the optimizer (call `step()` after each optimizer step). */
export function makeScheduler(optimizer: SchedulableOptimizer, cfg: ScheduleConfig): LambdaLR {
  return new LambdaLR(optimizer, { lrLambda: (e) => lrFactor(cfg, e) });
}
