// A tiny CSV reader for one numeric column: a header row, comma-separated fields, "quoted" fields
// (with "" for a quote), and errors that name the file, line and column.

/** A CSV that cannot give the requested numbers: a missing column, a non-numeric value, a ragged row. */
export class CsvError extends Error {
  override name = 'CsvError';
}

/** Splits one CSV line into fields (quotes may wrap a field; "" inside quotes is one quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field.trim());
  return fields;
}

/** Options of readCsvColumn. */
export interface CsvColumnOptions {
  /** How the source is named in errors (default 'CSV'). */
  source?: string;
}

/**
 * The values of column `column` of a CSV text (header row first), as numbers.
 * Throws a `CsvError` when the column is missing (listing the columns there are), when a row has
 * too few fields, or when a value is empty or not a number (naming the line and the value).
 * Blank lines are skipped.
 */
export function readCsvColumn(text: string, column: string, opts: CsvColumnOptions = {}): number[] {
  const source = opts.source ?? 'CSV';
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new CsvError(`${source} is empty: expected a header row`);
  const header = splitCsvLine(lines[headerAt]!);
  const index = header.indexOf(column);
  if (index < 0) throw new CsvError(`${source} has no column '${column}'; its columns are: ${header.map((h) => `'${h}'`).join(', ')}`);
  const values: number[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const fields = splitCsvLine(lines[i]!);
    const where = `${source} line ${i + 1}, column '${column}'`;
    if (fields.length <= index) throw new CsvError(`${where}: the row has ${fields.length} field(s), the header ${header.length}`);
    const raw = fields[index]!;
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value)) throw new CsvError(`${where}: ${raw === '' ? 'the value is empty' : `'${raw}' is not a number`}`);
    values.push(value);
  }
  if (values.length === 0) throw new CsvError(`${source} has a header but no rows`);
  return values;
}
