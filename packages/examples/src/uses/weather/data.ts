// Weather reports: a vector (high, low, wind, rain, humidity) and its sentence
// "High is 65 F . Low is 45 F . Wind is 10 mph . Rain is 30 % . Humidity is 55 % .", generated from a seed.
import type { RandomGenerator } from '@unroll/autograd';

/** The five fields, their units in the sentence, and the values each takes (multiples of 5). */
export const FIELDS = [
  { name: 'high', word: 'High', unit: 'F' },
  { name: 'low', word: 'Low', unit: 'F' },
  { name: 'wind', word: 'Wind', unit: 'mph' },
  { name: 'rain', word: 'Rain', unit: '%' },
  { name: 'humidity', word: 'Humidity', unit: '%' },
] as const;
/** A field's name. */
export type FieldName = (typeof FIELDS)[number]['name'];

/** [high, low, wind, rain, humidity]: °F, °F, mph, % chance, % relative humidity. */
export type Weather = readonly [number, number, number, number, number];

/** Each field's range, used to scale the vector to [0, 1] for the networks. */
export const FIELD_RANGES: readonly (readonly [number, number])[] = [[45, 100], [20, 90], [0, 30], [0, 100], [20, 100]];

const steps = (lo: number, hi: number, by: number) => Array.from({ length: (hi - lo) / by + 1 }, (_, i) => lo + i * by);
const HIGHS = steps(45, 100, 5), SPREADS = steps(10, 25, 5), WINDS = steps(0, 30, 5), RAINS = steps(0, 100, 10), HUMIDITIES = steps(20, 100, 10);

/** A random day: high 45–100 °F, low 10–25 °F below it, wind 0–30 mph, rain 0–100 %, humidity 20–100 %. */
export function drawWeather(gen: RandomGenerator): Weather {
  const pick = (xs: number[]) => xs[gen.int(xs.length)]!;
  const high = pick(HIGHS);
  return [high, high - pick(SPREADS), pick(WINDS), pick(RAINS), pick(HUMIDITIES)];
}

/** How many different days drawWeather can produce. */
export const WEATHER_COUNT = HIGHS.length * SPREADS.length * WINDS.length * RAINS.length * HUMIDITIES.length;

/** The sentence's words: "High is 65 F . Low is 45 F . …" (five clauses of five tokens). */
export function weatherWords(w: Weather): string[] {
  return FIELDS.flatMap((f, i) => [f.word, 'is', String(w[i]), f.unit, '.']);
}

/** The sentence as text: "High is 65 F. Low is 45 F. …". */
export const weatherText = (w: Weather): string => weatherWords(w).join(' ').replace(/ \./g, '.');

/** Special tokens: padding/begin (0) and end of sentence (1). */
export const BOS = 0, EOS = 1;
/** The vocabulary: <bos>, <eos>, the words, and the numbers 0, 5, …, 100. */
export const WEATHER_VOCAB: readonly string[] = [
  '<bos>', '<eos>', ...new Set(FIELDS.flatMap((f) => [f.word, f.unit])), 'is', '.', ...steps(0, 100, 5).map(String),
];
const IDS = new Map(WEATHER_VOCAB.map((w, i) => [w, i]));

/** Token ids of the sentence, ending with <eos>. */
export function encodeWeather(w: Weather): number[] {
  return [...weatherWords(w).map((word) => {
    const id = IDS.get(word);
    if (id === undefined) throw new RangeError(`weather: '${word}' is not in the vocabulary`);
    return id;
  }), EOS];
}

/** Words of token ids, up to (not including) <eos>. */
export function decodeWeather(ids: readonly number[]): string[] {
  const end = ids.indexOf(EOS);
  return (end < 0 ? ids : ids.slice(0, end)).map((id) => WEATHER_VOCAB[id] ?? '?');
}

/** The vector scaled to [0, 1] per field. */
export const scaleWeather = (w: Weather): number[] => w.map((v, i) => (v - FIELD_RANGES[i]![0]) / (FIELD_RANGES[i]![1] - FIELD_RANGES[i]![0]));
/** Back from [0, 1] to the fields' units. */
export const unscaleWeather = (s: readonly number[]): number[] => s.map((v, i) => FIELD_RANGES[i]![0] + v * (FIELD_RANGES[i]![1] - FIELD_RANGES[i]![0]));

/** Training days and held-out days. */
export interface WeatherSplits {
  train: Weather[];
  test: Weather[];
}

/** Distinct days for training and held-out days for testing: no test vector occurs in training. */
export function weatherSplits(trainSize: number, testSize: number, gen: RandomGenerator): WeatherSplits {
  if (trainSize + testSize > WEATHER_COUNT / 2) throw new RangeError(`weather: at most ${WEATHER_COUNT / 2} days in all`);
  const seen = new Set<string>();
  const draw = (n: number) => {
    const out: Weather[] = [];
    while (out.length < n) {
      const w = drawWeather(gen), key = w.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(w);
    }
    return out;
  };
  const train = draw(trainSize);
  return { train, test: draw(testSize) };
}
