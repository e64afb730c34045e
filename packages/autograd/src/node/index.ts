/**
 * What needs Node's file system: checkpoint and safetensors files. The main entry stays environment-free.
 * @module @unroll/autograd/node
 */
export { saveCheckpoint, loadCheckpoint, saveSafetensors, loadSafetensors } from './checkpoint-file.js';
