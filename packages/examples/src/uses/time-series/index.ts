// Time series (the stock example): a generated series, a CSV column reader, LSTM multi-step
// forecasts and the naive baselines.
export { CsvError, readCsvColumn, splitCsvLine } from './csv.js';
export type { CsvColumnOptions } from './csv.js';
export { stockSeries, stockCsv, WEEKLY_PROFILE } from './data.js';
export type { StockOptions, StockSeries } from './data.js';
export {
  Forecaster, forecastOrigins, naiveForecast, seasonalNaiveForecast, scoreForecasts, predictForecasts, trainForecaster,
  forecastTable, describeForecast, forecastChart, forecastLossChart,
} from './forecast.js';
export type { ForecastOptions, ErrorScore, ForecastResult } from './forecast.js';
export { defaultCsvPath, readSeriesCsv } from './files.js';
