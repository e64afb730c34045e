/**
 * What needs Node: checkpoints on disk and the terminal progress bar.
 * @module @unroll/train/node
 */
export { saveCheckpoints } from './checkpoints.js';
export type { CheckpointOptions, CheckpointCallback } from './checkpoints.js';
export { terminalProgress } from './terminal-progress.js';
export type { TerminalProgress, TerminalProgressOptions } from './terminal-progress.js';
