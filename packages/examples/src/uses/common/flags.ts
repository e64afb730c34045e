// A tiny command-line flag reader for the uses' scripts: `--name value` and `--flag`, with clear errors.

/** What a script accepts: each flag's kind and one line of help. */
export type FlagSpec = Record<string, { kind: 'number' | 'string' | 'boolean'; help: string }>;
/** The parsed values, typed by the spec (absent flags are undefined). */
export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]?: S[K]['kind'] extends 'number' ? number : S[K]['kind'] extends 'boolean' ? boolean : string;
};

/** The usage text: one line per flag. */
export function usage(script: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([name, s]) =>
    `  --${name}${s.kind === 'boolean' ? '' : ` <${s.kind}>`}`.padEnd(26) + s.help);
  return [`usage: ${script} [flags]`, ...lines].join('\n');
}

/** Parses `argv` against `spec`; throws a `RangeError` naming the flag on anything unknown or malformed. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): FlagValues<S> {
  const out: Record<string, number | string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new RangeError(`unexpected argument '${arg}' (flags start with --)`);
    const name = arg.slice(2);
    const s = spec[name];
    if (!s) throw new RangeError(`unknown flag --${name}; known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (s.kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new RangeError(`--${name} needs a value`);
    if (s.kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new RangeError(`--${name} must be a number; got '${value}'`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out as FlagValues<S>;
}
