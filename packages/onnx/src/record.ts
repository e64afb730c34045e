// Recording: runs the user's function once under autograd's `trace`, keeping every op application
// with the line of user code that made it (for error messages), and without building a backward graph.
import { Tensor, noGrad, trace } from '@unroll/autograd';
import { withoutCompilation } from '@unroll/rnn';
import type { TracedOp } from '@unroll/autograd';
import { installSequenceHooks } from './sequence-hooks.js';

/** One op application as the exporter sees it. `inputs` may hold null for an absent optional input. */
export interface RecordedOp {
  readonly op: string;
  readonly attrs: unknown;
  /** Input names in order (the op spec's, or the exporter's own for a sequence op it recorded itself). */
  readonly inputNames: readonly string[];
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  /** The first stack frame outside unroll's own packages: the user code that applied the op. */
  readonly where: string;
}

export interface Recording {
  readonly ops: readonly RecordedOp[];
  /** What `fn` returned. */
  readonly result: unknown;
}

/** Records `fn(...inputs)`: every op application in order, with the user code that applied it. */
export function record(fn: (...xs: Tensor[]) => unknown, inputs: readonly Tensor[]): Recording {
  const ops: RecordedOp[] = [];
  const push = (op: RecordedOp) => ops.push(op);
  const observe = (t: TracedOp) => {
    // inputNames names each input given (an absent optional one is left out of both lists).
    push({ op: t.op, attrs: t.attrs, inputNames: t.inputNames, inputs: t.inputs, outputs: t.outputs, where: userFrame() });
  };
  const restore = installSequenceHooks((op) => push({ ...op, where: userFrame() }));
  // Deep module stacks (module → layers → runner → op) would hide the user's frame behind the default 10.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  try {
    // Compiled cells step their composed definition: ONNX cannot hold generated kernels.
    const result = withoutCompilation(() => noGrad(() => trace(() => fn(...inputs), observe)));
    return { ops, result };
  } finally {
    Error.stackTraceLimit = limit;
    restore();
  }
}

// Frames inside unroll's packages (source or built) and Node's internals are not the user's code.
const INTERNAL = /[\\/]packages[\\/](core|autograd|rnn|onnx)[\\/](src|dist)[\\/]|[\\/]node_modules[\\/]|node:internal|@unroll[\\/]/;

/** The first stack frame of the caller's code, e.g. `at forward (model.ts:12:7)`. */
export function userFrame(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1).map((l) => l.trim());
  // Frames without a file position are built-ins (Array.forEach, new Promise).
  return frames.find((f) => !INTERNAL.test(f) && /:\d+:\d+\)?$/.test(f)) ?? frames[frames.length - 1] ?? '(unknown location)';
}
