// checkpoint: safetensors files and unroll checkpoints (model, optimizer, extra), with no file-system access.
export { CheckpointError } from './errors.js';
export { encodeSafetensors, encodeSafetensorsChunks, decodeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export type { DecodedSafetensors } from './safetensors.js';
export {
  checkpointBytes, readCheckpoint, loadCheckpointInto, CHECKPOINT_VERSION, CHECKPOINT_METADATA_KEY, MAX_CHECKPOINT_NESTING,
} from './checkpoint.js';
export type { CheckpointContents, Checkpoint, CheckpointValue, LoadCheckpointResult } from './checkpoint.js';
