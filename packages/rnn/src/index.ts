/**
 * Recurrent cells, the runner that unrolls any cell, stacking, bidirectional, truncated BPTT,
 * PyTorch-compatible RNN / LSTM / GRU modules and seq2seq.
 * @module @unroll/rnn
 */
export { mapState, zipState, stateTensors, detachState, selectStateRows, whereState } from './cell.js';
export type { RecurrentCell, StateOf, InitialStateOptions, HiddenState, LSTMState } from './cell.js';
export { CellBase } from './cell-base.js';
export type { CellBaseOptions, StateShape, ParameterInit } from './cell-base.js';
export type { Activation, FloatDType, RecurrentInit } from './cells/common.js';
export { RNNCell } from './cells/rnn-cell.js';
export type { RNNCellOptions } from './cells/rnn-cell.js';
export { LSTMCell } from './cells/lstm-cell.js';
export type { LSTMCellOptions } from './cells/lstm-cell.js';
export { GRUCell } from './cells/gru-cell.js';
export type { GRUCellOptions } from './cells/gru-cell.js';
export { unroll } from './unroll.js';
export type { UnrollOptions, UnrollResult, Lengths, FusedUnroll, FusedUnrollArgs } from './unroll.js';
export { compileCell, withoutCompilation } from './compile/compile-cell.js';
export type { CompileCellOptions, CompiledCell } from './compile/compile-cell.js';
export { CompileError } from './compile/errors.js';
export { lstmSequence } from './fused/lstm-sequence.js';
export type { LSTMSequenceWeights, FusedSequenceOptions } from './fused/lstm-sequence.js';
export { gruSequence } from './fused/gru-sequence.js';
export type { GRUSequenceWeights, GRUSequenceOptions } from './fused/gru-sequence.js';
export { lstmStep } from './fused/lstm-step.js';
export type { LSTMStepPeepholes } from './fused/lstm-step.js';
export { gruStep } from './fused/gru-step.js';
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
export { Encoder } from './seq2seq/encoder.js';
export type { EncoderOptions, EncodeOptions, EncoderOutput } from './seq2seq/encoder.js';
export { Decoder } from './seq2seq/decoder.js';
export type { DecoderOptions, DecoderState, DecoderMemory, DecoderAdvance, AttentionOrder } from './seq2seq/decoder.js';
export { AdditiveAttention, DotAttention, GeneralAttention, createAttention, attend, lengthMask } from './seq2seq/attention.js';
export type { Attention, AttentionKind, AttentionOptions, Attended } from './seq2seq/attention.js';
export { identityBridge, zeroBridge, LinearBridge } from './seq2seq/bridge.js';
export type { Bridge, BridgeFn, BridgeModule, StateSource, LinearBridgeOptions } from './seq2seq/bridge.js';
export { Seq2Seq } from './seq2seq/seq2seq.js';
export type { Seq2SeqOptions, Encoded, ForwardOptions, LossOptions, Seq2SeqOutput } from './seq2seq/seq2seq.js';
export { greedyDecode } from './seq2seq/greedy.js';
export type { DecodeOptions, GreedyResult } from './seq2seq/greedy.js';
export { sampleDecode, samplingDistribution } from './seq2seq/sample.js';
export type { SampleOptions, SamplingOptions, SamplingDistribution } from './seq2seq/sample.js';
export { beamSearch } from './seq2seq/beam.js';
export type { BeamSearchOptions, Hypothesis, LengthPenalty } from './seq2seq/beam.js';
export { padSequences } from './seq2seq/tokens.js';
export type { PaddedBatch } from './seq2seq/tokens.js';
