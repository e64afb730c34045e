// The stock example's series: a random walk with drift (the trend) plus a weekly cycle and a
// little day-to-day noise, generated from a seed; and the CSV the repo ships, made from it.
import { RandomGenerator } from '@unroll/autograd';

/** Length, seed and the components of the generated series. */
export interface StockOptions {
  /** Days to generate (default 730). */
  days?: number;
  seed?: number;
  /** Starting level (default 100), mean daily drift (default 0.05) and the walk's daily step σ (default 0.6). */
  start?: number;
  drift?: number;
  walk?: number;
  /** Weekly cycle's size: the Monday…Sunday offsets are this times a fixed profile (default 2). */
  weekly?: number;
  /** σ of day-to-day noise around the level (default 0.3). */
  noise?: number;
}

/** The weekly profile (Monday … Sunday, mean 0): high midweek, low at the weekend. */
export const WEEKLY_PROFILE = [0.2, 0.8, 1.2, 0.9, 0.1, -1.2, -2.0] as const;

/** A generated series with its volume and dates. */
export interface StockSeries {
  /** Closing price per day. */
  price: number[];
  /** Volume per day (also weekly, for a second CSV column). */
  volume: number[];
  /** ISO dates, from Monday 2024-01-01. */
  dates: string[];
}

/**
 * price_t = level_t + weekly · profile[t mod 7] + noise_t, level_t = level_{t−1} + drift + walk · z_t.
 * The best forecast of price_{t+h} from the past is level_t's estimate + drift·h + the weekday's offset.
 */
export function stockSeries(opts: StockOptions = {}): StockSeries {
  const days = opts.days ?? 730, gen = new RandomGenerator(opts.seed ?? 0);
  const drift = opts.drift ?? 0.05, walk = opts.walk ?? 0.6, weekly = opts.weekly ?? 2, noise = opts.noise ?? 0.3;
  let level = opts.start ?? 100;
  const price: number[] = [], volume: number[] = [], dates: string[] = [];
  const day0 = Date.UTC(2024, 0, 1);
  for (let t = 0; t < days; t++) {
    if (t > 0) level += drift + walk * gen.normal();
    const p = level + weekly * WEEKLY_PROFILE[t % 7]! + noise * gen.normal();
    price.push(Math.round(p * 100) / 100);
    volume.push(Math.round(1000 * (5 + WEEKLY_PROFILE[t % 7]! + 0.5 * gen.normal())));
    dates.push(new Date(day0 + t * 86_400_000).toISOString().slice(0, 10));
  }
  return { price, volume, dates };
}

/** The series as CSV text with columns day, date, price, volume. */
export function stockCsv(opts: StockOptions = {}): string {
  const s = stockSeries(opts);
  return ['day,date,price,volume', ...s.price.map((p, t) => `${t},${s.dates[t]},${p.toFixed(2)},${s.volume[t]}`)].join('\n') + '\n';
}
