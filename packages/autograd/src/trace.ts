// Tracing: observe every op application inside a function, recorded for autograd or not.
// Exporters (ONNX) and compilers (compileCell) read a function's program this way.
import type { OpSpec } from './define-op.js';
import type { Tensor } from './tensor.js';

/** One op application seen while tracing. Tensors are the very objects the op read and returned. */
export interface TracedOp {
  readonly op: string;
  readonly spec: OpSpec<unknown>;
  readonly attrs: unknown;
  /**
   * The inputs in the spec's input order. An absent optional input (a fused LSTM without biases)
   * is left out; `inputNames` names each one given.
   */
  readonly inputs: readonly Tensor[];
  readonly inputNames: readonly string[];
  readonly outputs: readonly Tensor[];
}

export type TraceObserver = (application: TracedOp) => void;

let tracer: TraceObserver | null = null;

/** The observer of the innermost `trace` call, if any (read by defineOp on every application). */
export const activeTracer = (): TraceObserver | null => tracer;

/**
 * Runs `fn`, calling `observe` for every op application inside it, in order, and returns what
 * `fn` returned. Tensors made without an op (`tensor`, `zeros`, numbers lifted beside a tensor)
 * appear only as inputs: a reader treats those it was not given as constants. Traces nest (the
 * inner observer sees its own span only). `fn` must be synchronous.
 */
export function trace<T>(fn: () => T, observe: TraceObserver): T {
  const outer = tracer;
  tracer = observe;
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('trace: takes a synchronous function');
    return result;
  } finally {
    tracer = outer;
  }
}
