// @unroll/autograd/node: what needs Node's file system (checkpoint and safetensors files); the main entry stays environment-free.
export { saveCheckpoint, loadCheckpoint, saveSafetensors, loadSafetensors, writeAtomically } from './checkpoint-file.js';
