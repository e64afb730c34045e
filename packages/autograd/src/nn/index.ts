// nn: modules, layers, initializers and losses.
export { Parameter } from './parameter.js';
export { Module, StateDictError } from './module.js';
export type { StateValue, LoadStateDictOptions, LoadStateDictResult } from './module.js';
