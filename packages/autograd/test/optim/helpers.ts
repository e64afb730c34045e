// Shared by the optim tests: the PyTorch fixtures, building optimizers by name, and parameter setup.
import { readFileSync } from 'node:fs';
import * as K from '@unroll/core';
import { Adagrad, Adam, Adamax, AdamW, NAdam, Parameter, RAdam, RMSprop, SGD, Tensor, type Optimizer } from '@unroll/autograd';

export const readFixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;

export interface OptimizerCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'Adagrad' | 'RMSprop' | 'NAdam' | 'RAdam' | 'Adamax';
  options: Record<string, unknown>;
  /** Param groups by parameter index, with their own options. */
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  /** Steps at which parameter 1 has no gradient. */
  noGradSteps?: number[];
  /** expected[t][i]: parameter i (flat) after step t (gradients repeat when a case runs longer than the list). */
  expected: number[][][];
  /** NAdam cases: what PyTorch 1.13's torch.optim.NAdam (which counts μₜ twice) gives instead. */
  torch113?: number[][][];
}
export interface OptimizerFixture {
  shapes: number[][];
  init: number[][];
  /** grads[t][i]: the gradient of parameter i (flat) at step t. */
  grads: number[][][];
  cases: OptimizerCase[];
}

export const optimizerFixture = readFixture<OptimizerFixture>('optimizers');

const CLASSES = { SGD, Adam, AdamW, Adagrad, RMSprop, NAdam, RAdam, Adamax } as const;

/** The optimizer a fixture case describes, over `params`. */
export function makeOptimizer(c: Pick<OptimizerCase, 'optimizer' | 'options' | 'groups'>, params: Parameter[]): Optimizer {
  const Cls = CLASSES[c.optimizer] as unknown as new (p: unknown, o: unknown) => Optimizer;
  const input = c.groups ? c.groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]!) })) : params;
  return new Cls(input, c.options);
}

/** The fixture's initial parameters as fresh Parameters of `dtype`. */
export function initialParams(dtype: 'float32' | 'float64' = 'float64'): Parameter[] {
  const f = optimizerFixture;
  return f.init.map((values, i) => new Parameter(K.cast(K.fromData(Float64Array.from(values), f.shapes[i]!), dtype)));
}

/** Sets every parameter's gradient to step t's (null where the case says so). */
export function setGrads(params: Parameter[], t: number, noGradSteps: number[] = []): void {
  const f = optimizerFixture;
  params.forEach((p, i) => {
    const skip = i === 1 && noGradSteps.includes(t % f.grads.length);
    const values = f.grads[t % f.grads.length]![i]!;
    p.grad = skip ? null : new Tensor(K.cast(K.fromData(Float64Array.from(values), f.shapes[i]!), p.dtype));
  });
}

/** The largest |a − b| over two equal-length lists. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    m = d > m || Number.isNaN(d) ? d : m;
  }
  return m;
}
