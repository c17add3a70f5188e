/**
 * Whether two error patterns rise and fall together, from their per-minute failure counts over
 * the same minutes. Pure functions, no dependencies.
 */

export interface LaggedCorrelation {
  /** Pearson correlation at the best lag, rounded to 4 decimals; always ≥ `minCorrelation`. */
  correlation: number;
  /** Absolute lag in minutes (0..maxLagMinutes); whether `other` trails or leads is not reported. */
  lagMinutes: number;
}

export interface CorrelationOptions {
  /** Largest lag tried, in minutes, in each direction; a non-negative integer. Default 2. */
  maxLagMinutes?: number;
  /** Smallest (rounded) correlation reported. Default 0.8. */
  minCorrelation?: number;
  /** Minutes with a non-zero count that each whole series needs. Default 5. */
  minNonZeroMinutes?: number;
}

export const DEFAULT_MAX_LAG_MINUTES = 2;
export const DEFAULT_MIN_CORRELATION = 0.8;
export const DEFAULT_MIN_NON_ZERO_MINUTES = 5;
const MIN_POINTS = 3;

/**
 * Pearson correlation of two equal-length series, in [-1, 1] (not rounded).
 * Returns null when the length is below 3 (including empty series) or when either series is
 * constant (zero variance). Throws RangeError when the lengths differ.
 */
export function pearson(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) {
    throw new RangeError(`pearson needs equal-length series, got ${a.length} and ${b.length}`);
  }
  return pearsonAt(a, 0, b, 0, a.length);
}

/**
 * Pearson correlation of a[aStart..aStart+n) and b[bStart..bStart+n), as `pearson` of those
 * slices (the same operations in the same order, so the same result) without copying them.
 */
function pearsonAt(a: readonly number[], aStart: number, b: readonly number[], bStart: number, n: number): number | null {
  // Compare with the first value rather than testing the variance against 0: the mean of a
  // constant like 0.1 is not exactly 0.1 in floating point, so its variance is not exactly 0.
  if (n < MIN_POINTS || isConstant(a, aStart, n) || isConstant(b, bStart, n)) return null;

  const meanA = mean(a, aStart, n);
  const meanB = mean(b, bStart, n);
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let i = 0; i < n; i++) {
    const da = a[aStart + i]! - meanA;
    const db = b[bStart + i]! - meanB;
    covariance += da * db;
    varianceA += da * da;
    varianceB += db * db;
  }
  const r = covariance / Math.sqrt(varianceA * varianceB);
  if (!Number.isFinite(r)) return null;
  // Rounding can push a perfect correlation a hair past ±1.
  return Math.max(-1, Math.min(1, r));
}

/**
 * How strongly `other` rises and falls with `target`: per-minute counts over the same minutes,
 * index 0 being the oldest minute.
 *
 * Lags 0..maxLagMinutes are tried in both directions, because a shared cause can show in either
 * pattern first: `other` trailing `target` by `lag` minutes (target[0..n-lag) against
 * other[lag..n)) and `other` leading by `lag` (target[lag..n) against other[0..n-lag)). Only
 * the overlapping minutes are compared; a lag that leaves fewer than 3 is skipped.
 * The lag with the highest correlation wins (the smaller lag on a tie, trailing before leading)
 * and `lagMinutes` is its absolute value.
 *
 * Returns that result when its correlation, rounded to 4 decimals, is ≥ minCorrelation and both
 * whole series have at least minNonZeroMinutes non-zero minutes; otherwise null (also for empty
 * series). Anticorrelation is never reported. Throws RangeError when the lengths differ or
 * maxLagMinutes is not a non-negative integer.
 */
export function laggedCorrelation(
  target: readonly number[],
  other: readonly number[],
  options: CorrelationOptions = {},
): LaggedCorrelation | null {
  if (target.length !== other.length) {
    throw new RangeError(
      `laggedCorrelation needs equal-length series, got ${target.length} and ${other.length}`,
    );
  }
  const maxLag = options.maxLagMinutes ?? DEFAULT_MAX_LAG_MINUTES;
  if (!Number.isInteger(maxLag) || maxLag < 0) {
    throw new RangeError(`maxLagMinutes must be a non-negative integer, got ${maxLag}`);
  }
  const minCorrelation = options.minCorrelation ?? DEFAULT_MIN_CORRELATION;
  const minNonZero = options.minNonZeroMinutes ?? DEFAULT_MIN_NON_ZERO_MINUTES;
  if (countNonZero(target) < minNonZero || countNonZero(other) < minNonZero) return null;

  const n = target.length;
  let best: { r: number; lag: number } | null = null;
  for (let lag = 0; lag <= maxLag && n - lag >= MIN_POINTS; lag++) {
    const trailing = pearsonAt(target, 0, other, lag, n - lag);
    const leading = lag === 0 ? null : pearsonAt(target, lag, other, 0, n - lag);
    for (const r of [trailing, leading]) {
      if (r !== null && (best === null || r > best.r)) best = { r, lag };
    }
  }
  if (best === null) return null;
  const correlation = round4(best.r);
  return correlation >= minCorrelation ? { correlation, lagMinutes: best.lag } : null;
}

function isConstant(series: readonly number[], start: number, n: number): boolean {
  for (let i = start + 1; i < start + n; i++) if (series[i] !== series[start]) return false;
  return true;
}

function mean(series: readonly number[], start: number, n: number): number {
  let sum = 0;
  for (let i = start; i < start + n; i++) sum += series[i]!;
  return sum / n;
}

function countNonZero(series: readonly number[]): number {
  let count = 0;
  for (const value of series) if (value !== 0) count++;
  return count;
}

function round4(value: number): number {
  // `|| 0` turns -0 into 0.
  return Math.round(value * 10_000) / 10_000 || 0;
}
