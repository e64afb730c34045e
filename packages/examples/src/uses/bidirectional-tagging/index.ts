// Bidirectional tagging: mark each token whose twin appears later; needs the future.
export { twinBatch, twinTags, twinProbability, bestAccuracyWithoutFuture } from './data.js';
export type { TwinOptions, TwinBatch } from './data.js';
export { TwinTagger } from './model.js';
export type { TaggerOptions } from './model.js';
export { trainTagger, scoreTags, positionRuleScore, taggingTestSet, taggingTable, describeTagging, taggingCharts } from './train.js';
export type { TaggingOptions, TaggingScore, TaggingResult } from './train.js';
