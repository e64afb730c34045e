// The stock series (seeding, the shipped CSV), the CSV reader and its errors, the baselines and
// scores, and a tiny training run of the forecaster.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CsvError, WEEKLY_PROFILE, defaultCsvPath, forecastOrigins, naiveForecast, readCsvColumn, readSeriesCsv, scoreForecasts,
  seasonalNaiveForecast, splitCsvLine, stockCsv, stockSeries, trainForecaster,
} from '../../src/uses/time-series/index.js';

describe('stockSeries', () => {
  it('is seeded, dated from Monday 2024-01-01, and has a weekly cycle', () => {
    const a = stockSeries({ days: 70, seed: 1 });
    expect(a).toEqual(stockSeries({ days: 70, seed: 1 }));
    expect(a.price).not.toEqual(stockSeries({ days: 70, seed: 2 }).price);
    expect(a.dates[0]).toBe('2024-01-01');
    expect(a.dates[7]).toBe('2024-01-08');
    expect(WEEKLY_PROFILE.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12);
    // Without the walk and the noise, the price is the trend plus the weekly profile exactly.
    const clean = stockSeries({ days: 21, walk: 0, noise: 0, drift: 0.5, weekly: 2, start: 10 });
    clean.price.forEach((p, t) => expect(p).toBeCloseTo(10 + 0.5 * t + 2 * WEEKLY_PROFILE[t % 7]!, 2));
  });

  it('the shipped stock.csv is exactly what stockCsv() writes (seed 0, 730 days)', () => {
    expect(readFileSync(defaultCsvPath(), 'utf8')).toBe(stockCsv());
    expect(readSeriesCsv('price')).toEqual(stockSeries().price);
    expect(readSeriesCsv('volume').length).toBe(730);
  });
});

describe('readCsvColumn', () => {
  const csv = 'day,date,price\n0,2024-01-01,1.5\n1,2024-01-02,2\n\n2,"2024-01-03",-3e-1\n';

  it('reads a numeric column, skipping blank lines, with quoted fields', () => {
    expect(readCsvColumn(csv, 'price')).toEqual([1.5, 2, -0.3]);
    expect(readCsvColumn(csv, 'day')).toEqual([0, 1, 2]);
    expect(splitCsvLine('a, "b, c" ,"say ""hi"""')).toEqual(['a', 'b, c', 'say "hi"']);
    expect(readCsvColumn('x\r\n1\r\n2\r\n', 'x')).toEqual([1, 2]);
  });

  it('names the missing column and lists the ones there are', () => {
    expect(() => readCsvColumn(csv, 'close', { source: 'prices.csv' }))
      .toThrow(new CsvError("prices.csv has no column 'close'; its columns are: 'day', 'date', 'price'"));
  });

  it('names the line and the value that is not a number', () => {
    expect(() => readCsvColumn(csv, 'date', { source: 'prices.csv' }))
      .toThrow(new CsvError("prices.csv line 2, column 'date': '2024-01-01' is not a number"));
    expect(() => readCsvColumn('a,b\n1,\n', 'b')).toThrow(/line 2, column 'b': the value is empty/);
    expect(() => readCsvColumn('a,b\n1\n', 'b')).toThrow(/line 2, column 'b': the row has 1 field\(s\), the header 2/);
    expect(() => readCsvColumn('', 'b')).toThrow(/empty/);
    expect(() => readCsvColumn('a,b\n', 'b')).toThrow(/no rows/);
  });

  it('reports a file that cannot be read', () => {
    expect(() => readSeriesCsv('price', '/nonexistent/prices.csv')).toThrow(/cannot read the CSV file \/nonexistent\/prices.csv/);
  });
});

describe('baselines and scores', () => {
  const y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  it('naive repeats the last value; seasonal naive the value a season back', () => {
    expect(naiveForecast(y, 5, 3)).toEqual([5, 5, 5]);
    expect(seasonalNaiveForecast(y, 5, 3, 2)).toEqual([4, 5, 4]);
    expect(seasonalNaiveForecast(y, 6, 3, 7)).toEqual([0, 1, 2]);
  });

  it('seasonal naive is exact on a purely periodic series', () => {
    const periodic = Array.from({ length: 60 }, (_, t) => WEEKLY_PROFILE[t % 7]!);
    const origins = forecastOrigins(0, 60, 14, 7);
    const s = scoreForecasts(periodic, origins, origins.map((t) => seasonalNaiveForecast(periodic, t, 7, 7)));
    expect(s.mae).toBeCloseTo(0, 12);
  });

  it('MAE and RMSE by hand; origins keep window and horizon inside the range', () => {
    const s = scoreForecasts(y, [2, 4], [[3, 5], [5, 5]]); // errors 0, 1 | 0, −1
    expect(s.mae).toBe(0.5);
    expect(s.rmse).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(s.maeByStep).toEqual([0, 1]);
    expect(forecastOrigins(0, 10, 3, 2)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(forecastOrigins(0, 10, 3, 2, 3)).toEqual([2, 5]);
  });
});

describe('trainForecaster', () => {
  it('a tiny training run lowers the loss and scores every test origin', () => {
    const series = stockSeries({ days: 200, seed: 3 }).price;
    const r = trainForecaster(series, { steps: 40, window: 14, horizon: 7, hiddenSize: 8, batchSize: 16, lr: 0.02, seed: 1 });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) * 0.8);
    expect(r.testOrigins).toBe(forecastOrigins(r.testStart - 14 + 1, 200, 14, 7).length);
    expect(r.scores.lstm.maeByStep.length).toBe(7);
  });

  it('refuses a series too short for the window', () => {
    expect(() => trainForecaster([1, 2, 3, 4, 5], { window: 28 })).toThrow(/too short/);
  });
});
