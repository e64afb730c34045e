// Options objects: every public function that takes one refuses keys it does not understand, so a
// misspelt option (`{ lenghts }`) fails loudly instead of being ignored. Each error names the function.

/**
 * Refuses keys that are not options: a misspelt option would otherwise be silently ignored.
 * PyTorch's snake_case names get a hint with the camelCase name used here.
 */
export function checkKeys(where: string, given: object, allowed: readonly string[], what = 'option'): void {
  for (const key of Object.keys(given)) {
    if (allowed.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== key && allowed.includes(camel) ? ` (did you mean '${camel}'?)` : '';
    throw new TypeError(`${where}: unknown ${what} '${key}'${hint}; ${what}s are ${allowed.join(', ')}`);
  }
}

/** A plain options object (or undefined, read as `{}`); anything else is refused. */
export function checkOptionsObject<T extends object>(where: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: options must be an object; got ${show(value)}`);
  }
  return value;
}

/**
 * The keys of an options type as a list for `checkOptions`. The record must name every key of `T`
 * (the compiler refuses a missing or extra one), so adding an option is one line beside its type.
 * @example const RUN_OPTIONS = optionKeys<RunOptions<unknown>>({ batchFirst: true, initialState: true, lengths: true });
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/**
 * An options object checked in one call: undefined reads as `{}`, a non-object is refused, and so is
 * any key not in `known`. Build `known` with `optionKeys` so the list cannot fall behind the type.
 */
export function checkOptions<T extends object>(where: string, value: T | undefined, known: readonly string[]): T {
  const opts = checkOptionsObject(where, value);
  checkKeys(where, opts, known);
  return opts;
}

/** How a value that should have been an options object is shown after "got". */
function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return (value as object).constructor?.name ?? typeof value;
}
