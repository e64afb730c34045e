// The error compileCell throws when a step cannot be compiled (or compiled and composed disagree).

/** A step compileCell refuses, or a verification that failed; the message says which op and why. */
export class CompileError extends Error {
  override name = 'CompileError';
}
