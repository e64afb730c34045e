// `char-rnn sample`: loads a checkpoint and prints text it generates from a seed text.
import { existsSync } from 'node:fs';
import { Generator } from '@unroll/autograd';
import { loadRun, modelOf } from './checkpoint.js';
import { programName } from './options.js';
import type { SampleArgs } from './options.js';
import { checkSampling, sampleText } from './sample.js';

/**
 * Runs `sample`: returns the seed text followed by `length` generated characters (and prints it
 * when `print` is given). Unknown characters in the seed text are an error naming the character.
 */
export async function runSample(args: SampleArgs, print: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Promise<string> {
  if (!existsSync(args.checkpoint)) {
    throw new Error(`sample: there is no checkpoint at '${args.checkpoint}'; train one first (${programName()}) or pass --checkpoint PATH`);
  }
  const run = await loadRun(args.checkpoint);
  checkSampling(args.length, args.temperature, args.topK, run.vocab.size);
  const model = modelOf(run);
  const seedText = args.seedText ?? run.info.defaultSeed;
  const text = seedText + sampleText(model, run.vocab, {
    seedText, length: args.length, temperature: args.temperature, topK: args.topK, generator: new Generator(args.seed),
  });
  print(text);
  return text;
}
