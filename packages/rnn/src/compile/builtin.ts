// How the built-in cells run their variants that have no hand-written kernel: compiled from their
// composed step, the same way compileCell compiles a user's cell.
import type { Tensor } from '@unroll/autograd';
import type { RecurrentCell } from '../cell.js';
import type { FusedUnrollArgs, UnrollResult } from '../unroll.js';
import { CodegenUnavailableError } from './codegen.js';
import { compilationSuspended, compiledUnroll } from './compile-cell.js';

/**
 * The whole sequence through the compiled step of a built-in cell; null (the runner then steps the
 * cell) where the engine forbids generating code (a Content-Security-Policy without 'unsafe-eval').
 * Built-ins are checked against their composed step by the test suite, so they skip `verify`.
 */
export function compiledUnrollBuiltin<S>(cell: RecurrentCell<S>, xs: Tensor, args: FusedUnrollArgs<S>): UnrollResult<S> | null {
  if (compilationSuspended()) return null;
  try {
    return compiledUnroll(cell, xs, args, { verify: false, tolerance: undefined });
  } catch (e) {
    if (e instanceof CodegenUnavailableError) return null;
    throw e;
  }
}
