// The temporal-order problem (Hochreiter & Schmidhuber 1997, Experiments 6a and 6b): data and criterion.
export {
  temporalOrderBatch, temporalOrderCorrect, temporalOrderWindows,
  TEMPORAL_ORDER_SYMBOLS, TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_VARIANTS,
} from './data.js';
export type { TemporalOrderOptions, TemporalOrderBatch, TemporalOrderVariant, TemporalOrderSymbol } from './data.js';
