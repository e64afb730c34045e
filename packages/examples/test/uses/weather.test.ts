// Weather days and sentences (seeding, ranges, the vocabulary, held-out days), caption scoring,
// and a tiny training run of both directions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomGenerator, tensor } from '@unroll/autograd';
import {
  EOS, FIELD_RANGES, WEATHER_COUNT, WEATHER_VOCAB, WeatherCaptioner, decodeWeather, drawWeather, encodeWeather, scaleWeather,
  scoreCaptions, trainCaptioner, trainReader, unscaleWeather, weatherSplits, weatherText,
} from '../../src/uses/weather/index.js';

describe('drawWeather', () => {
  it('is seeded and stays in range: low 10–25 °F under the high, multiples of 5 or 10', () => {
    expect(drawWeather(new RandomGenerator(1))).toEqual(drawWeather(new RandomGenerator(1)));
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const [high, low, wind, rain, humidity] = drawWeather(new RandomGenerator(seed));
      expect(high - low).toBeGreaterThanOrEqual(10);
      expect(high - low).toBeLessThanOrEqual(25);
      expect([high % 5, low % 5, wind % 5, rain % 10, humidity % 10]).toEqual([0, 0, 0, 0, 0]);
      [high, low, wind, rain, humidity].forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(FIELD_RANGES[i]![0]);
        expect(v).toBeLessThanOrEqual(FIELD_RANGES[i]![1]);
      });
    }), { seed: 2, numRuns: 200 });
  });

  it('writes the sentence and encodes it with the vocabulary, both ways', () => {
    const w = [65, 45, 10, 30, 50] as const;
    expect(weatherText(w)).toBe('High is 65 F. Low is 45 F. Wind is 10 mph. Rain is 30 %. Humidity is 50 %.');
    const ids = encodeWeather(w);
    expect(ids.length).toBe(26);
    expect(ids[25]).toBe(EOS);
    expect(decodeWeather(ids).join(' ').replace(/ \./g, '.')).toBe(weatherText(w));
    expect(new Set(WEATHER_VOCAB).size).toBe(WEATHER_VOCAB.length);
    const back = unscaleWeather(scaleWeather(w));
    back.forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 10));
  });
});

describe('weatherSplits', () => {
  it('draws distinct days and holds the test days out of training', () => {
    const s = weatherSplits(500, 100, new RandomGenerator(3));
    expect(s).toEqual(weatherSplits(500, 100, new RandomGenerator(3)));
    const keys = [...s.train, ...s.test].map((w) => w.join(','));
    expect(new Set(keys).size).toBe(600);
    expect(() => weatherSplits(WEATHER_COUNT, 1, new RandomGenerator(0))).toThrow(RangeError);
  });
});

describe('scoreCaptions', () => {
  it('counts exact sentences, tokens and numbers', () => {
    const a = encodeWeather([65, 45, 10, 30, 50]), b = encodeWeather([70, 50, 5, 0, 90]);
    const wrongNumber = [...b];
    wrongNumber[2] = a[2]!; // "High is 65" instead of 70
    const s = scoreCaptions([a, wrongNumber], [a, b]);
    expect(s.exactSentence).toBe(0.5);
    expect(s.token).toBeCloseTo(51 / 52, 12);
    expect(s.number).toBe(9 / 10);
    const short = scoreCaptions([a.slice(0, 13)], [a]);
    expect(short.token).toBeCloseTo(13 / 26, 12);
    expect(short.exactSentence).toBe(0);
  });
});

describe('weather models', () => {
  it('the captioner writes until <eos> or the length limit', () => {
    const m = new WeatherCaptioner({ hiddenSize: 8, generator: new RandomGenerator(1) });
    const written = m.write(tensor([scaleWeather([65, 45, 10, 30, 50])]), 7);
    expect(written[0]!.length).toBeLessThanOrEqual(7);
    expect(written[0]!.slice(0, -1)).not.toContain(EOS);
  });

  it('a tiny training run of each direction lowers its loss', () => {
    const data = weatherSplits(200, 20, new RandomGenerator(4));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const c = trainCaptioner({ steps: 30, batchSize: 8, hiddenSize: 16, lr: 0.02, seed: 1 }, data);
    expect(mean(c.losses.slice(-5))).toBeLessThan(mean(c.losses.slice(0, 5)) * 0.7);
    expect(c.test.token).toBeGreaterThan(0);
    const r = trainReader({ steps: 30, batchSize: 8, hiddenSize: 16, lr: 0.02, seed: 1 }, data);
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) * 0.8);
    expect(Object.keys(r.mae)).toEqual(['high', 'low', 'wind', 'rain', 'humidity']);
  });
});
