// Seq2Seq: encoder → bridge → decoder, trained with teacher forcing (or scheduled sampling) on
// padded batches, with a loss that ignores padding; decoding lives in greedy.ts, sample.ts and beam.ts.
import * as K from '@unroll/core';
import { Module, Tensor, checkOptions, crossEntropy, noGrad, optionKeys, reshape, stack } from '@unroll/autograd';
import type { CrossEntropyOptions, RandomGenerator } from '@unroll/autograd';
import { adoptPart } from '../adopt.js';
import { checkIds } from './tokens.js';
import { applyBridge, checkBridgedState } from './bridge.js';
import type { Bridge } from './bridge.js';
import type { Decoder, DecoderMemory, DecoderState } from './decoder.js';
import type { Encoder } from './encoder.js';
import type { Lengths } from '../unroll.js';
import { greedyDecode } from './greedy.js';
import type { DecodeOptions, GreedyResult } from './greedy.js';
import { beamSearch } from './beam.js';
import type { BeamSearchOptions, Hypothesis } from './beam.js';
import { sampleDecode } from './sample.js';
import type { SampleOptions } from './sample.js';

export interface Seq2SeqOptions<SE, SD> {
  encoder: Encoder<SE>;
  decoder: Decoder<SD>;
  /** encoder's final state → the decoder cell's initial state: identityBridge(), zeroBridge(cell), a LinearBridge or any function. */
  bridge: Bridge<SE, SD>;
  /** Target id fed to the decoder first (start of sequence). */
  bosId: number;
  /** Target id that ends a sequence: every target row ends with it, decoding stops on it. */
  eosId: number;
  /** Target pad id, ignored by the loss (default: the decoder embedding's paddingIdx). */
  padId?: number;
}

/** A source batch run through the encoder and the bridge: what decoding starts from. */
export interface Encoded<SD> {
  /** The decoder's first state (the bridged cell state, h̃ = 0). */
  state: DecoderState<SD>;
  /** The encoder outputs prepared for attention, or null without attention. */
  memory: DecoderMemory | null;
  /** Each source row's real length. */
  lengths: number[];
  /** Source width S. */
  sourceLength: number;
}

export interface ForwardOptions {
  /** Each source row's real length (default: from trailing source pad ids, or the full width). */
  srcLengths?: Lengths;
  /**
   * Probability of feeding the TRUE previous token at each step and row (teacher forcing); otherwise
   * the model's own most likely previous token is fed (scheduled sampling, Bengio et al. 2015).
   * Default 1.
   */
  teacherForcing?: number;
  /** Random source of the teacher-forcing coin flips (default: the default generator). */
  generator?: RandomGenerator;
}

export interface Seq2SeqOutput {
  /** [B, T, V] */
  logits: Tensor;
  /** α [B, T, S] (0 on source padding), or null without attention. */
  attention: Tensor | null;
}

export interface LossOptions extends ForwardOptions {
  /** Passed to crossEntropy (ignoreIndex is always the pad id). */
  labelSmoothing?: CrossEntropyOptions['labelSmoothing'];
}

// Every option each method understands; any other key is refused (one line per new option).
const ENCODE_OPTIONS = optionKeys<{ srcLengths?: Lengths }>({ srcLengths: true });
const FORWARD_OPTIONS = optionKeys<ForwardOptions>({ srcLengths: true, teacherForcing: true, generator: true });
const LOSS_OPTIONS = optionKeys<LossOptions>({ srcLengths: true, teacherForcing: true, generator: true, labelSmoothing: true });

/**
 * An encoder–decoder model. Targets are int32 [B, T]: each row's tokens, then `eosId`, then `padId`
 * to the batch's width; the decoder reads `bosId` then the targets shifted right. Registered
 * children: 'encoder', 'decoder', and 'bridge' when it is a Module.
 */
export class Seq2Seq<SE, SD> extends Module {
  readonly encoder: Encoder<SE>;
  readonly decoder: Decoder<SD>;
  readonly bridge: Bridge<SE, SD>;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  private readonly template: SD;

  constructor(opts: Seq2SeqOptions<SE, SD>) {
    super();
    const who = 'Seq2Seq';
    const { encoder, decoder, bridge } = opts;
    if (!encoder || typeof encoder.forward !== 'function') throw new TypeError(`${who}: encoder must be an Encoder`);
    if (!decoder || typeof decoder.advance !== 'function') throw new TypeError(`${who}: decoder must be a Decoder`);
    if (typeof bridge !== 'function' && typeof (bridge as { forward?: unknown } | undefined)?.forward !== 'function') {
      throw new TypeError(`${who}: bridge must be a function (encoderState) => decoderState or an object with forward (e.g. LinearBridge); use identityBridge() when the states match`);
    }
    if (decoder.attention && decoder.attention.memorySize !== encoder.outputSize) {
      throw new RangeError(`${who}: the decoder's attention reads memorySize ${decoder.attention.memorySize}, but the encoder outputs ${encoder.outputSize} features`);
    }
    const V = decoder.vocabSize;
    const padId = opts.padId ?? decoder.embedding.paddingIdx;
    if (padId === null || padId === undefined) throw new TypeError(`${who}: padId is needed (or give the decoder a paddingIdx)`);
    for (const [name, id] of [['bosId', opts.bosId], ['eosId', opts.eosId], ['padId', padId]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`${who}: ${name} (${String(id)}) must be an id of the target vocabulary [0, ${V})`);
    }
    if (opts.eosId === padId) throw new RangeError(`${who}: eosId and padId must differ (the loss ignores padding but must learn to stop); both are ${padId}`);
    this.encoder = this.registerModule('encoder', encoder);
    this.decoder = this.registerModule('decoder', decoder);
    this.bridge = bridge;
    adoptPart(this, 'bridge', bridge, who, 'bridge', false);
    this.bosId = opts.bosId;
    this.eosId = opts.eosId;
    this.padId = padId;
    this.template = decoder.cell.initialState(1);
    // Run the bridge once on a zero encoder state, so a mismatch fails here and says why.
    noGrad(() => checkBridgedState(who, applyBridge(bridge, encoder.initialState(1)), this.template, 1));
  }

  /** Encodes src int32 [B, S] and bridges to the decoder's first state. */
  encode(src: Tensor, opts: { srcLengths?: Lengths } = {}): Encoded<SD> {
    checkOptions('Seq2Seq.encode', opts, ENCODE_OPTIONS);
    const enc = this.encoder.forward(src, { lengths: opts.srcLengths });
    const batch = src.shape[0]!;
    const cellState = applyBridge(this.bridge, enc.state);
    checkBridgedState('Seq2Seq.encode', cellState, this.template, batch);
    const padded = enc.lengths.some((l) => l < src.shape[1]!);
    const memory = this.decoder.attention ? this.decoder.prepare(enc.outputs, padded ? enc.mask : null) : null;
    const dtype = enc.outputs.dtype === 'float64' ? 'float64' : 'float32';
    return { state: this.decoder.initialState(cellState, batch, dtype), memory, lengths: enc.lengths, sourceLength: src.shape[1]! };
  }

  /**
   * Runs the decoder over the targets: src int32 [B, S], targets int32 [B, T] → logits [B, T, V]
   * and attention [B, T, S]. Step t reads bosId (t = 0) or the previous token — the target's with
   * probability `teacherForcing`, else the model's own argmax.
   */
  forward(src: Tensor, targets: Tensor, opts: ForwardOptions = {}): Seq2SeqOutput {
    const who = 'Seq2Seq.forward';
    checkOptions(who, opts, FORWARD_OPTIONS);
    const ratio = opts.teacherForcing ?? 1;
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new RangeError(`${who}: teacherForcing must be in [0, 1]; got ${String(ratio)}`);
    const { batch, time } = checkIds(who, 'targets', targets, this.decoder.vocabSize, 'the target vocabulary');
    checkIds(who, 'src', src, this.encoder.vocabSize, 'the source vocabulary');
    if (src.shape[0] !== batch) throw new K.ShapeError(`${who}: src has ${src.shape[0]} rows but targets has ${batch}; batch sizes must match`);
    const enc = this.encode(src, { srcLengths: opts.srcLengths });
    const y = targets.values();
    const gen = opts.generator ?? K.defaultGenerator;
    let state = enc.state;
    const hidden: Tensor[] = [], logits: Tensor[] = [], attention: Tensor[] = [];
    let previous: K.TypedArray | null = null; // argmax of the last step's logits, when sampling
    for (let t = 0; t < time; t++) {
      const ids = new Int32Array(batch);
      for (let b = 0; b < batch; b++) {
        if (t === 0) ids[b] = this.bosId;
        else if (ratio >= 1 || gen.uniform() < ratio) ids[b] = y[b * time + t - 1]!;
        else ids[b] = previous![b]!;
      }
      const r = this.decoder.advance(state, new Tensor(K.fromData(ids, [batch])), enc.memory);
      state = r.state;
      if (r.attention) attention.push(r.attention);
      if (ratio >= 1) {
        hidden.push(r.hidden);
      } else {
        const l = this.decoder.project(r.hidden);
        logits.push(l);
        previous = K.argmax(l.data, 1).data;
      }
    }
    // With full teacher forcing the projection runs once over [B, T, ·] instead of T times.
    const out = ratio >= 1
      ? reshape(this.decoder.project(stack(hidden, 1)), [batch, time, this.decoder.vocabSize])
      : stack(logits, 1);
    return { logits: out, attention: attention.length ? stack(attention, 1) : null };
  }

  /**
   * Mean cross entropy per real target token (padding ignored) of `forward(src, targets, opts)`;
   * returns it with the logits and attention.
   */
  loss(src: Tensor, targets: Tensor, opts: LossOptions = {}): Seq2SeqOutput & { loss: Tensor } {
    const { labelSmoothing, ...forwardOpts } = checkOptions('Seq2Seq.loss', opts, LOSS_OPTIONS);
    const out = this.forward(src, targets, forwardOpts);
    return { ...out, loss: crossEntropy(out.logits, targets, { ignoreIndex: this.padId, labelSmoothing }) };
  }

  /** Greedy decoding of src int32 [B, S]: one result per row (see greedyDecode). */
  greedy(src: Tensor, opts: DecodeOptions = {}): GreedyResult[] {
    return greedyDecode(this, src, opts);
  }

  /** Sampling decoding of src int32 [B, S] (temperature, topK, topP, generator): one result per row (see sampleDecode). */
  sample(src: Tensor, opts: SampleOptions = {}): GreedyResult[] {
    return sampleDecode(this, src, opts);
  }

  /** Batched beam search over src int32 [B, S]: per row, hypotheses best first (see beamSearch). */
  beamSearch(src: Tensor, opts: BeamSearchOptions = {}): Hypothesis[][] {
    return beamSearch(this, src, opts);
  }
}
