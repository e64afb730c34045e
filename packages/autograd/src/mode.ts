// Global switches: whether ops record a graph (noGrad) and whether anomaly checks run.

let gradEnabled = true;
let anomalyEnabled = false;

export const isGradEnabled = (): boolean => gradEnabled;
export const isAnomalyEnabled = (): boolean => anomalyEnabled;

/**
 * Runs `fn` with recording off (like `torch.no_grad()`): results have no graph and
 * `requiresGrad` false. `fn` must be synchronous; recording is restored even if it throws.
 */
export function noGrad<T>(fn: () => T): T {
  return withFlag(fn, false, () => gradEnabled, (v) => { gradEnabled = v; });
}

/** Runs `fn` with recording on, even inside `noGrad` (like `torch.enable_grad()`). */
export function enableGrad<T>(fn: () => T): T {
  return withFlag(fn, true, () => gradEnabled, (v) => { gradEnabled = v; });
}

/** Turns anomaly detection on or off globally (off by default: it costs a scan of every result). */
export function setAnomalyDetection(on: boolean): void {
  anomalyEnabled = on;
}

/**
 * Runs `fn` with anomaly detection on: the first op whose output (in forward) or whose
 * input gradient (in backward) holds NaN or Infinity throws an `AnomalyError` naming it.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return withFlag(fn, true, () => anomalyEnabled, (v) => { anomalyEnabled = v; });
}

function withFlag<T>(fn: () => T, value: boolean, get: () => boolean, set: (v: boolean) => void): T {
  const before = get();
  set(value);
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError('noGrad/enableGrad/detectAnomaly take a synchronous function; await inside it would leak the mode');
    }
    return result;
  } finally {
    set(before);
  }
}

/** Thrown in anomaly mode when an op produces NaN or Infinity. */
export class AnomalyError extends Error {
  override name = 'AnomalyError';
}

/** Throws an AnomalyError if `data` holds a non-finite value (only when anomaly mode is on). */
export function checkFinite(data: ArrayLike<number>, what: () => string): void {
  if (!anomalyEnabled) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) throw new AnomalyError(`${what()} holds ${v} (first at flat index ${i})`);
  }
}
