// `char-rnn sample`: loads a checkpoint and prints text it generates from a seed text.
import { existsSync } from 'node:fs';
import { RandomGenerator } from '@unroll/autograd';
import { loadRun, modelOf } from './checkpoint.js';
import { programName } from './options.js';
import type { SampleArgs } from './options.js';
import { checkSampling, sampleText } from './sample.js';

/**
 * Runs `sample`: writes the seed text, then the generated characters as they come (so a long sample
 * shows progress), then a newline, through `write`; returns the seed text and the sample. Unknown
 * characters in the seed text are an error naming the character, before anything is written.
 */
export async function runSample(args: SampleArgs, write: (piece: string) => void = (t) => { process.stdout.write(t); }): Promise<string> {
  if (!existsSync(args.checkpoint)) {
    throw new Error(`sample: there is no checkpoint at '${args.checkpoint}'; train one first (${programName()}) or pass --checkpoint PATH`);
  }
  const run = await loadRun(args.checkpoint);
  checkSampling(args.length, args.temperature, args.topK, run.vocab.size);
  const model = modelOf(run);
  const seedText = args.seedText ?? run.info.defaultSeed;
  run.vocab.encode(seedText, 'the seed text'); // refuse unknown characters before printing anything
  write(seedText);
  const text = seedText + sampleText(model, run.vocab, {
    seedText, length: args.length, temperature: args.temperature, topK: args.topK, generator: new RandomGenerator(args.seed), onText: write,
  });
  write('\n');
  return text;
}
