// @unroll/onnx/node: writing an exported model to disk (Node only); the main entry stays environment-free.
import { writeAtomically } from '@unroll/autograd/node';

/**
 * Writes ONNX model bytes (from `exportOnnx`) to `path` atomically, as checkpoints are written: a
 * temporary file beside it, flushed, then renamed over `path`; on any error an existing file is untouched.
 */
export async function saveOnnx(path: string, bytes: Uint8Array): Promise<void> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`saveOnnx: bytes must be a Uint8Array (from exportOnnx); got ${typeof bytes}`);
  if (bytes.length === 0) throw new RangeError('saveOnnx: bytes is empty; expected an ONNX model from exportOnnx');
  await writeAtomically(path, 'saveOnnx', () => [bytes]);
}
