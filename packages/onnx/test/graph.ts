// Reading an exported model back (onnx-proto), to check what the graph holds.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export function decode(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** How many nodes of each op type the model has. */
export function opCounts(bytes: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of decode(bytes).graph!.node) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}
