// The one command-line flag parser of every example script and the char-rnn CLI: each flag is declared
// once (kind, range, default, help), and the same declaration parses the command line (an unknown flag
// gets "did you mean"), checks values read back from a checkpoint and prints --help.

/** A mistake on the command line (unknown flag, bad value); the CLI prints it with a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A parsed flag value: numbers, text and switches; null when a flag without a default is absent. */
export type FlagValue = number | string | boolean | null;

/** One flag. Numbers are checked against [min, max] (bounds excluded when `exclusiveMin`/`exclusiveMax`). */
export interface FlagSpec {
  kind: 'int' | 'float' | 'string' | 'bool' | 'choice';
  help: string;
  /** The value when the flag is absent (null or omitted: none). bool flags default to false. */
  default?: FlagValue;
  /** Placeholder in --help (`--hidden N`). */
  metavar?: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

/** Flags by their camelCase key; on the command line the key is kebab-case (`seqLen` → `--seq-len`). */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** What parsing gives: every flag's value (defaults filled in) and which flags were actually given. */
export interface ParsedFlags {
  values: Record<string, FlagValue>;
  given: Set<string>;
}

/** The command-line spelling of a flag key: `seqLen` → `--seq-len` (a key that is one capital, `T`, stays `--T`). */
export const flagName = (key: string): string => `--${key.replace(/(?<=[a-z0-9])[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Parses `--flag value`, `--flag=value` and bare `--flag` (bool) arguments against `table`.
 * `command` names the subcommand in errors; `others` maps flags of other subcommands to their
 * command, so a misplaced flag says where it belongs.
 */
export function parseFlags(argv: readonly string[], table: FlagTable, command: string, others: Record<string, string> = {}): ParsedFlags {
  const byName = new Map(Object.keys(table).map((key) => [flagName(key), key]));
  const values: Record<string, FlagValue> = {};
  for (const [key, spec] of Object.entries(table)) values[key] = spec.kind === 'bool' ? false : spec.default ?? null;
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      throw new UsageError(`${command}: unexpected argument '${arg}' (flags start with --; a value with spaces needs quotes)`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const key = byName.get(name);
    if (key === undefined) throw new UsageError(unknownFlag(name, command, [...byName.keys()], others));
    const spec = table[key]!;
    if (given.has(key)) throw new UsageError(`${command}: ${name} is given twice`);
    given.add(key);
    if (spec.kind === 'bool') {
      if (eq >= 0) {
        const text = arg.slice(eq + 1);
        if (text !== 'true' && text !== 'false') throw new UsageError(`${name} is a switch: write ${name} (or ${name}=true / ${name}=false); got '${arg}'`);
        values[key] = text === 'true';
      } else {
        values[key] = true;
      }
      continue;
    }
    let text: string;
    if (eq >= 0) {
      text = arg.slice(eq + 1);
    } else {
      // The next flag is not this one's value (a value that starts with -- is written --flag=value).
      if (i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) throw new UsageError(`${name} needs a value (${describeSpec(spec)})`);
      text = argv[++i]!;
    }
    values[key] = parseValue(name, spec, text);
  }
  return { values, given };
}

/** Parses and checks one value given as text; the error names the flag, what it expects and what it got. */
export function parseValue(name: string, spec: FlagSpec, text: string): FlagValue {
  if (spec.kind === 'string') return text;
  if (spec.kind === 'choice') {
    if (!spec.choices!.includes(text)) throw new UsageError(`${name} must be one of ${spec.choices!.join(', ')}; got '${text}'`);
    return text;
  }
  if (spec.kind === 'bool') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new UsageError(`${name} must be true or false; got '${text}'`);
  }
  // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
  const ok = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim());
  const value = ok ? Number(text) : NaN;
  const problem = ok ? checkNumber(spec, value) : null;
  if (!ok || problem) throw new UsageError(`${name} expects ${describeSpec(spec)}; got '${text}'`);
  return value;
}

/**
 * Checks a value that did not come from the command line (e.g. read from a checkpoint) against the
 * flag's rules; returns a description of the problem or null.
 */
export function checkFlagValue(spec: FlagSpec, value: unknown): string | null {
  const bad = `expected ${describeSpec(spec)}; got ${JSON.stringify(value) ?? String(value)}`;
  if (value === null) return (spec.default ?? null) === null ? null : bad;
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? null : bad;
    case 'bool':
      return typeof value === 'boolean' ? null : bad;
    case 'choice':
      return typeof value === 'string' && spec.choices!.includes(value) ? null : bad;
    default:
      return typeof value === 'number' && checkNumber(spec, value) === null ? null : bad;
  }
}

function checkNumber(spec: FlagSpec, value: number): string | null {
  if (!Number.isFinite(value)) return 'not finite';
  if (spec.kind === 'int' && !Number.isSafeInteger(value)) return 'not an integer';
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) return 'too small';
  if (spec.max !== undefined && (spec.exclusiveMax ? value >= spec.max : value > spec.max)) return 'too large';
  return null;
}

/** `an integer ≥ 1`, `a number in (0, 1)`, `one of lstm, gru, rnn` … */
export function describeSpec(spec: FlagSpec): string {
  if (spec.kind === 'string') return 'a text value';
  if (spec.kind === 'bool') return 'true or false';
  if (spec.kind === 'choice') return `one of ${spec.choices!.join(', ')}`;
  const noun = spec.kind === 'int' ? 'an integer' : 'a number';
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) {
    return `${noun} in ${spec.exclusiveMin ? '(' : '['}${min}, ${max}${spec.exclusiveMax ? ')' : ']'}`;
  }
  if (min !== undefined) return `${noun} ${spec.exclusiveMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${noun} ${spec.exclusiveMax ? '<' : '≤'} ${max}`;
  return noun;
}

function unknownFlag(name: string, command: string, known: string[], others: Record<string, string>): string {
  if (!name.startsWith('--') || name === '--') return `${command}: '${name}' is not a flag`;
  if (Object.hasOwn(others, name)) return `${command}: ${name} is a flag of '${others[name]}', not of '${command}'`;
  const close = known.map((k) => [k, editDistance(k, name)] as const).filter(([, d]) => d <= 2).sort((a, b) => a[1] - b[1]);
  const hint = close.length ? ` (did you mean ${close[0]![0]}?)` : '';
  return `${command}: unknown flag ${name}${hint}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The --help lines of a flag table: `  --hidden N   hidden units per layer (default 128)`. */
export function helpLines(table: FlagTable): string[] {
  const rows = Object.entries(table).map(([key, spec]) => {
    const left = `${flagName(key)}${spec.kind === 'bool' ? '' : ` ${spec.metavar ?? (spec.kind === 'choice' ? spec.choices!.join('|') : spec.kind === 'int' ? 'N' : spec.kind === 'float' ? 'X' : 'TEXT')}`}`;
    const dflt = spec.kind === 'bool' || spec.default === null || spec.default === undefined ? '' : ` [default: ${spec.default}]`;
    return [left, `${spec.help}${dflt}`] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`);
}

/** A script's flag values, typed by kind; a flag that is absent and has no default is undefined. */
export type ScriptFlags<T extends FlagTable> = {
  [K in keyof T]: (T[K]['kind'] extends 'int' | 'float' ? number : T[K]['kind'] extends 'bool' ? boolean : string)
    | (T[K] extends { default: number | string | boolean } ? never : undefined);
};

/**
 * The flags of an example script: parses `argv` (default: the process's) against `table` plus a
 * `--help` switch. `--help` prints the usage and exits 0; a usage error prints one line naming the
 * flag (with "did you mean" for a misspelt one) and exits 2.
 */
export function scriptFlags<T extends FlagTable>(script: string, table: T, argv: readonly string[] = process.argv.slice(2)): ScriptFlags<T> {
  const withHelp: FlagTable = { ...table, help: { kind: 'bool', help: 'show this help' } };
  let values: Record<string, FlagValue>;
  try {
    values = parseFlags(argv, withHelp, script).values;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message}\n(${script} --help lists the flags)`);
    process.exit(2);
  }
  if (values.help) {
    console.log([`usage: ${script} [flags]`, ...helpLines(withHelp)].join('\n'));
    process.exit(0);
  }
  const out: Record<string, number | string | boolean | undefined> = {};
  for (const key of Object.keys(table)) out[key] = values[key] ?? undefined;
  return out as ScriptFlags<T>;
}
