// Time series (the stock example): an LSTM forecasts the next H values of a series from a window of
// its past, against the naive and seasonal-naive baselines. Any CSV column works:
//   pnpm exec tsx --conditions=unroll-source packages/examples/scripts/uses/time-series.ts [--csv FILE --column NAME]
import { terminalProgress } from '@unroll/train/node';
import { scriptFlags } from '../../src/flags.js';
import { writeOutput } from '../../src/uses/common/output.js';
import {
  defaultCsvPath, describeForecast, forecastChart, forecastLossChart, forecastTable, readSeriesCsv, trainForecaster,
} from '../../src/uses/time-series/index.js';

const spec = {
  csv: { kind: 'string', help: 'CSV file with a header row (default: the shipped stock.csv)' },
  column: { kind: 'string', help: 'numeric column to forecast (default price)' },
  window: { kind: 'int', min: 0, help: 'past values each forecast reads (default 28)' },
  horizon: { kind: 'int', min: 0, help: 'steps forecast at once (default 7)' },
  season: { kind: 'int', min: 0, help: 'period of the seasonal-naive baseline (default 7)' },
  steps: { kind: 'int', min: 0, help: 'Adam steps (default 400; on the shipped CSV longer runs overfit its 584 training days: 2000 steps gave a higher test MAE)' },
  seed: { kind: 'int', min: 0, help: 'seed of the weights and batches (default 0)' },
} as const;

try {
  const flags = scriptFlags('time-series.ts', spec);
  const path = flags.csv ?? defaultCsvPath(), column = flags.column ?? 'price';
  const series = readSeriesCsv(column, path);
  console.log(`${path}: column '${column}', ${series.length} values, from ${series[0]} to ${series[series.length - 1]}`);
  const steps = flags.steps ?? 400;
  const r = trainForecaster(series, {
    steps, window: flags.window, horizon: flags.horizon, season: flags.season, seed: flags.seed,
    callbacks: [terminalProgress()],
  });
  console.log(`trained in ${r.seconds.toFixed(1)} s; tested on the last ${series.length - r.testStart} values\n`);
  console.log(forecastTable(r));
  console.log(`\n${describeForecast(r)}`);
  console.log(`\nplots: ${writeOutput('time-series-forecast.svg', forecastChart(r, `Forecasts of '${column}' on the test part`))}, ` +
    `${writeOutput('time-series-loss.svg', forecastLossChart(r))}`);
} catch (e) {
  // Bad flags or a bad CSV: say what is wrong, without a stack trace.
  console.error(`time-series: ${(e as Error).message}`);
  process.exit(1);
}
