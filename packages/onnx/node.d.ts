// Types of `@unroll/onnx/node` for Node10 module resolution (see node.js beside it).
export * from './dist/node/index.js';
