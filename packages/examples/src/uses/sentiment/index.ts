// Sentiment where word order matters: corpus, bag-of-words and recurrent classifiers, training, scores.
export {
  POSITIVE, NEGATIVE, PATTERNS, PATTERN_WEIGHTS, NEGATION_PATTERNS, ORDER_PATTERNS, SENTIMENT_VOCAB,
  drawReview, encodeWords, sentimentSplits,
} from './data.js';
export type { Pattern, Review, SentimentSplits } from './data.js';
export { SentimentModel, padBatch } from './model.js';
export type { SentimentKind, SentimentModelOptions } from './model.js';
export {
  sentimentCorpus, scoreSentiment, predictSentiment, trainSentiment, sentimentTable, patternTable, describeSentiment, sentimentLossChart,
} from './train.js';
export type { SentimentOptions, SentimentScore, SentimentResult } from './train.js';
