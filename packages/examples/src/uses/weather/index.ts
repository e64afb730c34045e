// Weather reports both ways: vector → sentence (one-to-many) and sentence → vector (many-to-one).
export {
  FIELDS, FIELD_RANGES, WEATHER_COUNT, WEATHER_VOCAB, BOS, EOS, drawWeather, weatherWords, weatherText, encodeWeather, decodeWeather,
  scaleWeather, unscaleWeather, weatherSplits,
} from './data.js';
export type { FieldName, Weather, WeatherSplits } from './data.js';
export { WeatherCaptioner, WeatherReader, FORGET_BIAS } from './model.js';
export type { WeatherModelOptions } from './model.js';
export { weatherData, scoreCaptions, trainCaptioner, trainReader, weatherTables, describeWeather, weatherLossChart } from './train.js';
export type { WeatherTrainOptions, CaptionScore, CaptionResult, ReaderResult } from './train.js';
