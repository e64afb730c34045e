// The children's book ("Doug saw Jane."): corpus, next-word models, training and the mistake count.
export { VOCAB, NAMES, SAW, PERIOD, bookStream, toText, classifySentence, checkSentences, oneWordMemoryRates } from './corpus.js';
export type { SentenceKind, SentenceReport } from './corpus.js';
export { NextWordModel, oneHot } from './model.js';
export type { CellKind, Memory, NextWordModelOptions } from './model.js';
export { trainNextWord, BOOK_MODELS, BOOK_LOSS_FLOOR, bookTable, describeBook, poolSeeds, bookLossChart, shortLabel } from './train.js';
export type { BookModelSpec, BookTrainOptions, BookResult } from './train.js';
