// For tools that resolve modules the Node10 way and ignore "exports" (tslab, older bundlers):
// `@unroll/onnx/node` then finds this file, which forwards to the built subpath.
export * from './dist/node/index.js';
