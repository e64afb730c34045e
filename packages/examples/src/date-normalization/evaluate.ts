// Exact-match accuracy of a date model (greedy or beam search) and attention shown as text.
import { TARGET_VOCAB, evalBatches } from './dataset.js';
import type { DateExample } from './dataset.js';
import type { DateModel } from './model.js';

export interface Evaluation {
  /** Fraction of examples whose output is exactly the ISO date. */
  accuracy: number;
  correct: number;
  total: number;
  /** A few wrong outputs: [source, expected, got]. */
  mistakes: [string, string, string][];
}

/** Decodes every example (greedy when beamWidth is undefined) and counts exact matches. */
export function exactMatch(
  model: DateModel, examples: readonly DateExample[],
  opts: { beamWidth?: number; batchSize?: number; maxLength?: number } = {},
): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  const mistakes: [string, string, string][] = [];
  for (const batch of evalBatches(examples, opts.batchSize ?? 250)) {
    const maxLength = opts.maxLength ?? 12;
    const outputs = opts.beamWidth === undefined
      ? model.greedy(batch.src, { maxLength }).map((r) => r.tokens)
      : model.beamSearch(batch.src, { beamWidth: opts.beamWidth, nBest: 1, maxLength }).map((h) => h[0]?.tokens ?? []);
    outputs.forEach((tokens, i) => {
      const got = TARGET_VOCAB.decode(tokens), want = batch.examples[i]!.target;
      if (got === want) correct++;
      else if (mistakes.length < 8) mistakes.push([batch.examples[i]!.source, want, got]);
    });
  }
  model.train(wasTraining);
  return { accuracy: correct / examples.length, correct, total: examples.length, mistakes };
}

/**
 * An attention matrix as text: one row per output character, one column per source character,
 * shaded by weight (' ' < 0.1 ≤ '░' < 0.3 ≤ '▒' < 0.6 ≤ '▓' < 0.85 ≤ '█').
 */
export function attentionText(source: string, output: string, weights: readonly (readonly number[])[]): string {
  const shade = (w: number) => (w < 0.1 ? ' ' : w < 0.3 ? '░' : w < 0.6 ? '▒' : w < 0.85 ? '▓' : '█');
  const rows = weights.map((row, i) => `${(output[i] ?? '⏎').padStart(2)} |${row.map(shade).join('')}|`);
  return [`   |${source}|`, ...rows].join('\n');
}
