// Checking optimizer, clipping and scheduler options: each error names the class, the option and the value.
// The options-object helpers themselves live in core (options.ts) and are re-exported here.
export { checkKeys, checkOptions, checkOptionsObject, optionKeys } from '@unroll/core';

/** How a value is shown after "got" in an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'function') return 'a function';
  return (value as object).constructor?.name ?? typeof value;
}

/** What `checkNumber` accepts: bounds, integrality, and whether +Infinity is allowed. */
export interface NumberRule {
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  minExclusive?: boolean;
  /** Largest allowed value (inclusive unless `maxExclusive`). */
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
  /** Allow +Infinity (NaN is never allowed). */
  infinite?: boolean;
}

/** Returns `value` if it is a number obeying `rule`; otherwise throws `<where>: <name> must be …; got …`. */
export function checkNumber(where: string, name: string, value: unknown, rule: NumberRule = {}): number {
  const ok = typeof value === 'number' && !Number.isNaN(value)
    && (Number.isFinite(value) || (rule.infinite === true && value === Infinity))
    && (!rule.integer || Number.isInteger(value))
    && (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min))
    && (rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max));
  if (!ok) throw new RangeError(`${where}: ${name} must be ${ruleText(rule)}; got ${describe(value)}`);
  return value as number;
}

function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const lo = rule.min === undefined ? null : `${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  const hi = rule.max === undefined ? null : `${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  if (lo && hi) return `${kind} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}${rule.maxExclusive ? ')' : ']'}`;
  return [kind, lo ?? hi].filter(Boolean).join(' ') + (rule.infinite ? ' (or Infinity)' : '');
}

/** Returns `value` if it is a boolean; otherwise throws. */
export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${where}: ${name} must be true or false; got ${describe(value)}`);
  return value;
}

