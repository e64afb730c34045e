// The date-normalisation task ("Sunday, November 22nd 2026" → "2026-11-22"): calendar, input
// formats with their parsers, seeded splits and batches, the seq2seq model, its training and evaluation.
export { MONTHS, WEEKDAYS, civilFromDays, daysFromCivil, isValidDate, isoDate, ordinal, weekday } from './calendar.js';
export type { CivilDate } from './calendar.js';
export { FORMATS, FIRST_YEAR, LAST_YEAR, fullYear, parseAny } from './formats.js';
export type { DateFormat } from './formats.js';
export {
  BOS, CharVocab, EOS, FIRST_DAY, LAST_DAY, PAD, SOURCE_VOCAB, TARGET_VOCAB, evalBatches, example, makeSplits,
  sampleExample, toBatch, trainBatches,
} from './dataset.js';
export type { DateBatch, DateExample, SplitOptions, Splits } from './dataset.js';
export { buildDateModel } from './model.js';
export type { CellKind, DateModel, DateModelOptions } from './model.js';
export { attentionText, exactMatch } from './evaluate.js';
export type { Evaluation } from './evaluate.js';
export { trainDateModel } from './train.js';
export type { DateTrainOptions, DateTrainResult } from './train.js';
