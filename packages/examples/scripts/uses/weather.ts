// Weather reports both ways: a vector → its sentence (one-to-many, like image captioning) and
// the sentence → its vector (many-to-one). Run: pnpm exec tsx --conditions=unroll-source packages/examples/scripts/uses/weather.ts
import { terminalProgress } from '@unroll/train/node';
import { scriptFlags } from '../../src/flags.js';
import { writeOutput } from '../../src/uses/common/output.js';
import { fullRun } from '../../src/uses/common/run.js';
import { describeWeather, trainCaptioner, trainReader, weatherData, weatherLossChart, weatherTables } from '../../src/uses/weather/index.js';

const spec = {
  'caption-steps': { kind: 'int', min: 0, help: 'Adam steps of the vector → sentence model (default 600; 3000 with UNROLL_FULL=1)' },
  'read-steps': { kind: 'int', min: 0, help: 'Adam steps of the sentence → vector model (default 300; 1500 with UNROLL_FULL=1)' },
  hidden: { kind: 'int', min: 0, help: 'LSTM hidden units (default 64)' },
  seed: { kind: 'int', min: 0, help: 'seed of weights and days (default 0)' },
} as const;
const flags = scriptFlags('weather.ts', spec);
const full = fullRun();
const seed = flags.seed ?? 0;
const data = weatherData(seed);
console.log(`${data.train.length} training days, ${data.test.length} held-out days; e.g. ${JSON.stringify(data.train[0])}`);
const captionSteps = flags['caption-steps'] ?? (full ? 3000 : 600);
const caption = trainCaptioner({ steps: captionSteps, hiddenSize: flags.hidden, seed, callbacks: [terminalProgress({ label: 'captioner' })] }, data);
console.log(`vector → sentence: ${caption.seconds.toFixed(1)} s`);
for (const e of caption.examples) console.log(`  ${JSON.stringify(e.weather)}\n    truth:   ${e.truth}\n    written: ${e.written}`);
const readSteps = flags['read-steps'] ?? (full ? 1500 : 300);
const reader = trainReader({ steps: readSteps, hiddenSize: flags.hidden, seed, callbacks: [terminalProgress({ label: 'reader' })] }, data);
console.log(`sentence → vector: ${reader.seconds.toFixed(1)} s`);
for (const e of reader.examples) console.log(`  ${e.sentence}\n    read back: ${JSON.stringify(e.read)}`);
const tables = weatherTables(caption, reader);
console.log(`\n${tables.caption}\n\n${tables.reader}\n\n${describeWeather(caption, reader, data.test.length)}`);
console.log(`\nloss curves: ${writeOutput('weather-loss.svg', weatherLossChart(caption, reader))}`);
