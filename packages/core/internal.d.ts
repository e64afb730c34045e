// Types of `@unroll/core/internal` for Node10 module resolution (see internal.js beside it).
export * from './dist/internal.js';
