// @unroll/rnn: recurrent cells, the runner that unrolls any cell, stacking, bidirectional,
// truncated BPTT and PyTorch-compatible RNN / LSTM / GRU modules.
export { mapState, zipState, stateTensors, detachState, selectStateRows, whereState } from './cell.js';
export type { RecurrentCell, StateOf, InitialStateOptions, HiddenState, LSTMState } from './cell.js';
export type { Activation, FloatDType, RecurrentInit } from './cells/common.js';
export { RNNCell } from './cells/rnn-cell.js';
export type { RNNCellOptions } from './cells/rnn-cell.js';
export { LSTMCell } from './cells/lstm-cell.js';
export type { LSTMCellOptions } from './cells/lstm-cell.js';
export { GRUCell } from './cells/gru-cell.js';
export type { GRUCellOptions } from './cells/gru-cell.js';
export { unroll } from './unroll.js';
export type { UnrollOptions, UnrollResult, Lengths } from './unroll.js';
export { CellLayer, cellLayer } from './layer.js';
export type { SequenceLayer, RunOptions, CellLayerOptions } from './layer.js';
export { StackedCells, stackCells, StackedLayers, stackLayers } from './stacked.js';
export type { StackOptions, StackedState, StatesOfCells, StatesOfLayers, LayerLike, LayerStateOf } from './stacked.js';
export { Bidirectional, bidirectional } from './bidirectional.js';
export type { MergeMode, BidirectionalOptions, BidirectionalState, BidirectionalOutputs } from './bidirectional.js';
export { chunks, tbptt } from './tbptt.js';
export type { ChunkOptions, TensorRecord, TBPTTStep } from './tbptt.js';
export { RNN, LSTM, GRU } from './modules.js';
export type { RecurrentModuleOptions, RNNOptions, LSTMOptions, GRUOptions, RecurrentForwardOptions } from './modules.js';
