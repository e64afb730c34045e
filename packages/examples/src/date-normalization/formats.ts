// The ways a date is written in the task's inputs ("Nov 22, 2026", "22.11.26", "Sunday, November
// 22nd 2026", …), each with the parser that reads it back, so the task is checked to be well posed.
import { MONTHS, WEEKDAYS, isValidDate, ordinal, weekday } from './calendar.js';
import type { CivilDate } from './calendar.js';

/** One way of writing a date. */
export interface DateFormat {
  readonly name: string;
  format(date: CivilDate): string;
  /** The date written `text` in this format, or null (wrong shape, impossible date, wrong weekday). */
  parse(text: string): CivilDate | null;
}

/** Two-digit years stand for 1950–2049 (yy ≥ 50 → 19yy), the span the task draws dates from. */
export const FIRST_YEAR = 1950;
export const LAST_YEAR = 2049;
export const fullYear = (yy: number): number => (yy >= 50 ? 1900 + yy : 2000 + yy);

const pad2 = (n: number) => String(n).padStart(2, '0');
const yy = (y: number) => pad2(y % 100);
const mon = (m: number) => MONTHS[m - 1]!.slice(0, 3);
const dow = (d: CivilDate) => WEEKDAYS[weekday(d)]!;

/** A format from a writer and a pattern whose fields the parser reads: pattern pieces are named below. */
function fmt(name: string, format: (d: CivilDate) => string, pattern: string): DateFormat {
  const FIELDS: Record<string, string> = {
    YYYY: '(?<year>\\d{4})', YY: '(?<yy>\\d{2})', MM: '(?<month>\\d{2})', M: '(?<month>\\d{1,2})',
    DD: '(?<day>\\d{2})', D: '(?<day>\\d{1,2})', Do: '(?<day>\\d{1,2})(?<suffix>st|nd|rd|th)',
    MMMM: '(?<monthName>[A-Z][a-z]+)', MMM: '(?<monthAbbr>[A-Z][a-z]{2})', MON: '(?<monthUpper>[A-Z]{3})',
    dddd: '(?<weekday>[A-Z][a-z]+)', ddd: '(?<weekdayAbbr>[A-Z][a-z]{2})',
  };
  const source = pattern.replace(/\{(\w+)\}/g, (_, f: string) => {
    const re = FIELDS[f];
    if (!re) throw new Error(`format ${name}: unknown field {${f}}`);
    return re;
  }).replace(/[.]/g, '\\.');
  const re = new RegExp(`^${source}$`);
  return {
    name,
    format,
    parse(text) {
      const g = re.exec(text)?.groups;
      if (!g) return null;
      const year = g.year !== undefined ? Number(g.year) : fullYear(Number(g.yy));
      let month = g.month !== undefined ? Number(g.month) : 0;
      if (g.monthName !== undefined) month = MONTHS.indexOf(g.monthName as (typeof MONTHS)[number]) + 1;
      if (g.monthAbbr !== undefined) month = MONTHS.findIndex((m) => m.slice(0, 3) === g.monthAbbr) + 1;
      if (g.monthUpper !== undefined) month = MONTHS.findIndex((m) => m.slice(0, 3).toUpperCase() === g.monthUpper) + 1;
      const day = Number(g.day);
      if (!isValidDate(year, month, day)) return null;
      const date = { year, month, day };
      if (g.suffix !== undefined && ordinal(day) !== `${day}${g.suffix}`) return null;
      if (g.weekday !== undefined && g.weekday !== dow(date)) return null;
      if (g.weekdayAbbr !== undefined && g.weekdayAbbr !== dow(date).slice(0, 3)) return null;
      // Numbers must be written exactly as the writer writes them (no "022", no missing zero).
      return format(date) === text ? date : null;
    },
  };
}

/** Every input format of the task. None is ambiguous: a string parses under at most one meaning. */
export const FORMATS: readonly DateFormat[] = [
  fmt('iso', (d) => `${d.year}-${pad2(d.month)}-${pad2(d.day)}`, '{YYYY}-{MM}-{DD}'),
  fmt('ymd-slash', (d) => `${d.year}/${pad2(d.month)}/${pad2(d.day)}`, '{YYYY}/{MM}/{DD}'),
  fmt('compact', (d) => `${d.year}${pad2(d.month)}${pad2(d.day)}`, '{YYYY}{MM}{DD}'),
  fmt('us-slash', (d) => `${d.month}/${d.day}/${d.year}`, '{M}/{D}/{YYYY}'),
  fmt('us-slash-short', (d) => `${pad2(d.month)}/${pad2(d.day)}/${yy(d.year)}`, '{MM}/{DD}/{YY}'),
  fmt('eu-dot', (d) => `${pad2(d.day)}.${pad2(d.month)}.${d.year}`, '{DD}.{MM}.{YYYY}'),
  fmt('eu-dot-short', (d) => `${pad2(d.day)}.${pad2(d.month)}.${yy(d.year)}`, '{DD}.{MM}.{YY}'),
  fmt('day-month-year', (d) => `${d.day} ${MONTHS[d.month - 1]} ${d.year}`, '{D} {MMMM} {YYYY}'),
  fmt('month-day-year', (d) => `${MONTHS[d.month - 1]} ${d.day}, ${d.year}`, '{MMMM} {D}, {YYYY}'),
  fmt('mon-day-year', (d) => `${mon(d.month)} ${d.day}, ${d.year}`, '{MMM} {D}, {YYYY}'),
  fmt('day-mon-year', (d) => `${d.day} ${mon(d.month)} ${d.year}`, '{D} {MMM} {YYYY}'),
  fmt('day-MON-year', (d) => `${pad2(d.day)}-${mon(d.month).toUpperCase()}-${d.year}`, '{DD}-{MON}-{YYYY}'),
  fmt('weekday-long', (d) => `${dow(d)}, ${MONTHS[d.month - 1]} ${ordinal(d.day)} ${d.year}`, '{dddd}, {MMMM} {Do} {YYYY}'),
  fmt('weekday-short', (d) => `${dow(d).slice(0, 3)} ${d.day} ${mon(d.month)} ${d.year}`, '{ddd} {D} {MMM} {YYYY}'),
  fmt('ordinal-of', (d) => `the ${ordinal(d.day)} of ${MONTHS[d.month - 1]} ${d.year}`, 'the {Do} of {MMMM} {YYYY}'),
];

/** Every (format, date) reading of `text` across all formats. */
export function parseAny(text: string): { format: string; date: CivilDate }[] {
  const out: { format: string; date: CivilDate }[] = [];
  for (const f of FORMATS) {
    const date = f.parse(text);
    if (date) out.push({ format: f.name, date });
  }
  return out;
}
