/**
 * What needs Node's file system: checkpoint and safetensors files, and the atomic writer behind them.
 * The main entry stays environment-free.
 * @module @unroll/autograd/node
 */
export { saveCheckpoint, loadCheckpoint, saveSafetensors, loadSafetensors, writeAtomically } from './checkpoint-file.js';
