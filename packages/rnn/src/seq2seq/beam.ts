// Batched beam search: B sources × K hypotheses decoded as B·K rows, the K best extensions of
// each source kept at every step, with length normalisation for the final ranking.
import * as K from '@unroll/core';
import { Tensor, checkOptions, indexSelect, noGrad, optionKeys } from '@unroll/autograd';
import { selectStateRows } from '../cell.js';
import type { DecoderMemory } from './decoder.js';
import { resolveMaxLength } from './greedy.js';
import type { DecodeOptions } from './greedy.js';
import type { Seq2Seq } from './seq2seq.js';

/**
 * How a hypothesis of n generated tokens (end token included) with log-probability log P is scored:
 * 'none' — log P; 'average' — log P / n; `{ alpha }` — GNMT (Wu et al. 2016): log P / ((5 + n) / 6)^α.
 */
export type LengthPenalty = 'none' | 'average' | { readonly alpha: number };

export interface BeamSearchOptions extends DecodeOptions {
  /** K, the hypotheses kept per source (default 5). Width 1 is greedy decoding. */
  beamWidth?: number;
  /** Default 'none' (plain log-probability, as Sutskever et al. 2014). */
  lengthPenalty?: LengthPenalty;
  /** Most hypotheses returned per source (default beamWidth). */
  nBest?: number;
}

/** Every option of `beamSearch`; any other key is refused. */
const BEAM_SEARCH_OPTIONS = optionKeys<BeamSearchOptions>({ srcLengths: true, maxLength: true, beamWidth: true, lengthPenalty: true, nBest: true });

/** One decoded hypothesis. */
export interface Hypothesis {
  /** The generated tokens, without the start and end tokens. */
  tokens: number[];
  /** log P normalised by the length penalty: what the hypotheses are sorted by. */
  score: number;
  /** Σ log p of every generated token, the end token included. */
  logProb: number;
  /** True when it ended with the end token (false: cut at maxLength). */
  finished: boolean;
  /** α per generated step (end token included) over the real source positions; null without attention. */
  attention: number[][] | null;
}

/** A hypothesis as a linked list back to the start, so the beam shares prefixes. */
interface Node {
  readonly token: number;
  readonly parent: Node | null;
  readonly attention: number[] | null;
}

/**
 * Beam search over src int32 [B, S]. Each source keeps K hypotheses; at each step the K best of
 * their K·V one-token extensions (by log-probability; ties to the lower row, then the lower id)
 * are taken. An extension ending in eosId is set aside as finished; the source is done when its
 * BEST extension is finished (so width 1 is exactly greedy decoding) or at maxLength, where the
 * unfinished hypotheses are added with `finished: false`. Returns, per source, up to nBest
 * hypotheses sorted by score (best first). Runs without recording gradients.
 */
export function beamSearch<SE, SD>(model: Seq2Seq<SE, SD>, src: Tensor, opts: BeamSearchOptions = {}): Hypothesis[][] {
  const who = 'beamSearch';
  checkOptions(who, opts, BEAM_SEARCH_OPTIONS);
  const width = opts.beamWidth ?? 5;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`${who}: beamWidth must be a positive integer; got ${String(opts.beamWidth)}`);
  const nBest = opts.nBest ?? width;
  if (!Number.isInteger(nBest) || nBest < 1) throw new RangeError(`${who}: nBest must be a positive integer; got ${String(opts.nBest)}`);
  const normalize = lengthScore(who, opts.lengthPenalty ?? 'none');
  return noGrad(() => {
    const enc = model.encode(src, { srcLengths: opts.srcLengths });
    const maxLength = resolveMaxLength(who, opts.maxLength, enc.sourceLength);
    const B = src.shape[0]!, S = enc.sourceLength, V = model.decoder.vocabSize, R = B * width;
    // Row b·K + k holds hypothesis k of source b: the encoder's results are repeated K times.
    const repeat = new Int32Array(R);
    for (let r = 0; r < R; r++) repeat[r] = Math.floor(r / width);
    const rows = new Tensor(K.fromData(repeat, [R]));
    let state = selectStateRows(enc.state, rows);
    const memory: DecoderMemory | null = enc.memory && {
      memory: indexSelect(enc.memory.memory, 0, rows),
      keys: indexSelect(enc.memory.keys, 0, rows),
      mask: enc.memory.mask && indexSelect(enc.memory.mask, 0, rows),
    };
    // Only hypothesis 0 of each source is live at first: the K copies would otherwise all extend alike.
    let scores = new Float64Array(R).fill(-Infinity);
    for (let b = 0; b < B; b++) scores[b * width] = 0;
    let nodes: (Node | null)[] = new Array<Node | null>(R).fill(null);
    let ids = new Int32Array(R).fill(model.bosId);
    const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    const top = new TopK(width);

    for (let t = 0; t < maxLength && done.includes(false); t++) {
      const r = model.decoder.step(state, new Tensor(K.fromData(ids, [R])), memory);
      const logp = K.contiguous(K.logSoftmax(r.logits.data, 1));
      const att = r.attention?.values();
      const parents = new Int32Array(R), nextIds = new Int32Array(R).fill(model.eosId);
      const nextScores = new Float64Array(R).fill(-Infinity);
      const nextNodes = new Array<Node | null>(R).fill(null);
      for (let b = 0; b < B; b++) {
        const base = b * width;
        for (let k = 0; k < width; k++) parents[base + k] = base;
        if (done[b]) continue;
        top.reset();
        for (let k = 0; k < width; k++) {
          const row = base + k, s = scores[row]!;
          if (s === -Infinity) continue;
          for (let v = 0; v < V; v++) top.offer(s + logp[row * V + v]!, row, v);
        }
        let alive = 0;
        for (let i = 0; i < top.size; i++) {
          const { score, row, token } = top.at(i);
          const node: Node = {
            token, parent: nodes[row]!,
            attention: att ? Array.from(att.subarray(row * S, row * S + enc.lengths[b]!)) : null,
          };
          if (token === model.eosId) {
            finished[b]!.push(hypothesis(node, score, true, normalize));
            if (i === 0) done[b] = true;
          } else {
            const j = base + alive++;
            parents[j] = row; nextIds[j] = token; nextScores[j] = score; nextNodes[j] = node;
          }
        }
        if (done[b] || alive === 0) {
          done[b] = true;
          for (let k = 0; k < width; k++) nextScores[base + k] = -Infinity;
        } else if (t === maxLength - 1) {
          for (let k = 0; k < alive; k++) finished[b]!.push(hypothesis(nextNodes[base + k]!, nextScores[base + k]!, false, normalize));
        }
      }
      state = selectStateRows(r.state, new Tensor(K.fromData(parents, [R])));
      ids = nextIds;
      scores = nextScores;
      nodes = nextNodes;
    }
    return finished.map((hyps) => hyps.sort((a, b) => b.score - a.score || b.logProb - a.logProb).slice(0, nBest));
  });
}

/** The scoring function of a length penalty (checked). */
function lengthScore(who: string, p: LengthPenalty): (logProb: number, n: number) => number {
  if (p === 'none') return (lp) => lp;
  if (p === 'average') return (lp, n) => lp / n;
  if (typeof p === 'object' && p !== null && typeof p.alpha === 'number' && p.alpha >= 0 && Number.isFinite(p.alpha)) {
    const alpha = p.alpha;
    return (lp, n) => lp / ((5 + n) / 6) ** alpha;
  }
  throw new RangeError(`${who}: lengthPenalty must be 'none', 'average' or { alpha: number ≥ 0 } (GNMT); got ${JSON.stringify(p)}`);
}

/** Walks a node back to the start: tokens (end token dropped) and per-step attention. */
function hypothesis(node: Node, logProb: number, ended: boolean, normalize: (lp: number, n: number) => number): Hypothesis {
  const steps: Node[] = [];
  for (let n: Node | null = node; n; n = n.parent) steps.push(n);
  steps.reverse();
  const tokens = (ended ? steps.slice(0, -1) : steps).map((n) => n.token);
  const attention = steps[0]!.attention ? steps.map((n) => n.attention!) : null;
  return { tokens, score: normalize(logProb, steps.length), logProb, finished: ended, attention };
}

/** The k largest (score, row, token) offers; ties go to the earlier offer (lower row, then lower id). */
class TopK {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  private readonly tokens: Int32Array;
  size = 0;
  constructor(private readonly k: number) {
    this.scores = new Float64Array(k);
    this.rows = new Int32Array(k);
    this.tokens = new Int32Array(k);
  }
  reset(): void {
    this.size = 0;
  }
  offer(score: number, row: number, token: number): void {
    if (Number.isNaN(score) || score === -Infinity) return;
    if (this.size === this.k && !(score > this.scores[this.size - 1]!)) return;
    // Insertion from the end; strict > keeps earlier offers ahead of equal later ones.
    let i = this.size < this.k ? this.size++ : this.size - 1;
    while (i > 0 && score > this.scores[i - 1]!) {
      this.scores[i] = this.scores[i - 1]!; this.rows[i] = this.rows[i - 1]!; this.tokens[i] = this.tokens[i - 1]!;
      i--;
    }
    this.scores[i] = score; this.rows[i] = row; this.tokens[i] = token;
  }
  at(i: number): { score: number; row: number; token: number } {
    return { score: this.scores[i]!, row: this.rows[i]!, token: this.tokens[i]! };
  }
}
