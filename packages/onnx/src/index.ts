// @unroll/onnx: export a recorded function (a model's forward, a decoder step) as an ONNX model.
export { exportOnnx, exportableOps, DEFAULT_OPSET, SUPPORTED_OPSETS } from './export.js';
export type { ExportOptions } from './export.js';
