// Encoder: an embedding and any recurrent cell or sequence layer (a stack, a bidirectional pair),
// unrolled over a padded batch of source ids; its outputs are what the decoder attends to.
import * as K from '@unroll/core';
import { Embedding, Module, Tensor, checkOptions, optionKeys } from '@unroll/autograd';
import type { RandomGenerator } from '@unroll/autograd';
import type { InitialStateOptions, RecurrentCell } from '../cell.js';
import { checkFloatDType, checkSize } from '../cells/common.js';
import type { FloatDType } from '../cells/common.js';
import { isSequenceLayer } from '../layer.js';
import type { SequenceLayer } from '../layer.js';
import { checkCell, unroll } from '../unroll.js';
import type { Lengths } from '../unroll.js';
import { adoptPart } from '../adopt.js';
import { lengthMask } from './attention.js';
import { checkIds, resolveLengths } from './tokens.js';

export interface EncoderOptions<S> {
  /** Source vocabulary size: ids lie in [0, vocabSize). */
  vocabSize: number;
  /** Features of each token's embedding (the rnn's inputSize). */
  embeddingDim: number;
  /** The source pad id: its embedding stays zero, and trailing pads give each row's length when no lengths are passed. */
  paddingIdx?: number;
  /**
   * What reads the embedded source: any RecurrentCell (`stackCells([...])` for depth) or any
   * sequence layer (`bidirectional(f, b)`, `stackLayers([...])`).
   */
  rnn: RecurrentCell<S> | SequenceLayer<S>;
  /**
   * Read each source sequence from its last real token back to its first (Sutskever et al. 2014):
   * the first source words end up closest to the decoder. Outputs stay in source order. Cells only.
   */
  reverseSource?: boolean;
  /** Embedding dtype (default float32; match the rnn's). */
  dtype?: FloatDType;
  generator?: RandomGenerator;
}

export interface EncodeOptions {
  /** Each source row's real length (default: from trailing pad ids, or the full width). */
  lengths?: Lengths;
}

const ENCODE_OPTIONS = optionKeys<EncodeOptions>({ lengths: true });

/** What an encoder returns. */
export interface EncoderOutput<S> {
  /** The rnn's output at every source position [B, S, outputSize]; zero on padding. */
  outputs: Tensor;
  /** The rnn's state after each row's last real token. */
  state: S;
  /** Each row's real length. */
  lengths: number[];
  /** int32 [B, S]: 1 on real positions, 0 on padding. */
  mask: Tensor;
}

const OPTIONS = ['vocabSize', 'embeddingDim', 'paddingIdx', 'rnn', 'reverseSource', 'dtype', 'generator'];

/**
 * The encoder of a seq2seq model: src ids int32 [B, S] → embeddings [B, S, E] → the rnn, unrolled
 * batch-first with each row's length (padded steps leave the state alone) → outputs [B, S, F] and
 * the final state S. Registered children: 'embedding', 'rnn' (when it is a Module).
 */
export class Encoder<S> extends Module {
  readonly embedding: Embedding;
  readonly rnn: RecurrentCell<S> | SequenceLayer<S>;
  readonly reverseSource: boolean;
  readonly vocabSize: number;
  /** Features of each output position (what attention reads). */
  readonly outputSize: number;

  constructor(opts: EncoderOptions<S>) {
    super();
    const who = 'Encoder';
    for (const k of Object.keys(opts)) if (!OPTIONS.includes(k)) throw new TypeError(`${who}: unknown option '${k}' (known: ${OPTIONS.join(', ')})`);
    this.vocabSize = checkSize(who, 'vocabSize', opts.vocabSize);
    const dim = checkSize(who, 'embeddingDim', opts.embeddingDim);
    const rnn = opts.rnn;
    if (!isSequenceLayer(rnn)) checkCell(who, rnn, 'rnn');
    if (rnn.inputSize !== dim) {
      throw new RangeError(`${who}: rnn.inputSize (${rnn.inputSize}) must equal embeddingDim (${dim})`);
    }
    this.reverseSource = opts.reverseSource ?? false;
    if (this.reverseSource && isSequenceLayer(rnn)) {
      throw new TypeError(`${who}: reverseSource needs a cell as rnn; a sequence layer decides its own direction (use cellLayer(cell, { reverse: true }))`);
    }
    this.rnn = rnn;
    this.outputSize = rnn.outputSize;
    this.embedding = this.registerModule('embedding', new Embedding(this.vocabSize, dim, {
      paddingIdx: opts.paddingIdx, dtype: checkFloatDType(who, opts.dtype), generator: opts.generator,
    }));
    adoptPart(this, 'rnn', rnn, who, 'rnn');
  }

  /** The rnn's initial state for `batch` rows (the shape a bridge starts from). */
  initialState(batch: number, opts?: InitialStateOptions): S {
    return this.rnn.initialState(batch, opts);
  }

  /** src int32 [B, S] → outputs [B, S, F], final state, lengths and the padding mask. */
  forward(src: Tensor, opts: EncodeOptions = {}): EncoderOutput<S> {
    const who = 'Encoder.forward';
    checkOptions(who, opts, ENCODE_OPTIONS);
    const { batch, time } = checkIds(who, 'src', src, this.vocabSize, 'the source vocabulary');
    const lengths = resolveLengths(who, 'src', src, opts.lengths, this.embedding.paddingIdx);
    const full = lengths.every((l) => l === time);
    const xs = this.embedding.forward(src);
    const runOpts = { batchFirst: true, lengths: full ? undefined : lengths };
    const r = isSequenceLayer(this.rnn)
      ? this.rnn.run(xs, runOpts)
      : unroll(this.rnn, xs, { ...runOpts, reverse: this.reverseSource });
    const outputs = r.outputs as unknown;
    if (!(outputs instanceof Tensor) || outputs.rank !== 3 || outputs.shape[0] !== batch || outputs.shape[1] !== time) {
      throw new K.ShapeError(`${who}: the rnn must return outputs [${batch}, ${time}, features] (batch-first); got ${outputs instanceof Tensor ? K.fmt(outputs.shape) : typeof outputs} (bidirectional merge 'none' cannot be attended to)`);
    }
    return { outputs, state: r.state, lengths, mask: lengthMask(lengths, time) };
  }
}
