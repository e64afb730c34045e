// Linear scales and "nice" tick values for the SVG plots.

/** Maps [d0, d1] onto [r0, r1]. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Short labels: 1200 → "1.2k", 0.00012 → "1.2e-4". */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  if (a < 1e-3) return v.toExponential(1).replace('e-', 'e-');
  return String(Number(v.toPrecision(4)));
}

/** Escapes text for SVG. */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Refuses option names a function does not know (a misspelt option must not be silently ignored). */
export function checkOptionNames(where: string, opts: object, known: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${where}: options must be an object; got ${String(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}'; the options are ${known.join(', ')}`);
  }
}
