/** Pure helpers of the escalation benchmark (scripts/bench-escalation.ts): distributions and pacing checks. */
import { percentile } from './stats';

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    min: sorted.length ? sorted[0]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Most events in any window of `windowMs` (a sliding window: [t, t + windowMs) for every event time t). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * Replays the arrivals against the token bucket the service's Pacer claims to be (capacity
 * `capacity`, refilled at `perMinute` a minute, full at the first arrival) and returns the worst
 * shortfall, in sends: 0 when every arrival found a whole token, 0.4 when one arrived with 0.6 of
 * a token left, and so on. Arrivals are receipt times at the provider, a little later than the
 * moment the pacer let them go, and not by the same amount each: `jitterMs` of that is forgiven
 * (it buys `jitterMs × rate` tokens).
 */
export function bucketShortfall(times: readonly number[], capacity: number, perMinute: number, jitterMs: number): { shortfall: number; allowance: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const ratePerMs = perMinute / 60_000;
  let tokens = capacity;
  let at = sorted[0] ?? 0;
  let shortfall = 0;
  for (const t of sorted) {
    tokens = Math.min(capacity, tokens + (t - at) * ratePerMs);
    at = t;
    shortfall = Math.max(shortfall, 1 - tokens);
    tokens -= 1;
  }
  return { shortfall: Math.max(0, shortfall), allowance: jitterMs * ratePerMs };
}

/** What a token bucket of `perMinute` (burst `perMinute`) allows for `pages` sends on one key. */
export function pacingTheory(pages: number, perMinute: number): { burst: number; ratePerSecond: number; minSeconds: number; maxIn60s: number } {
  const ratePerSecond = perMinute / 60;
  const burst = perMinute;
  return {
    burst,
    ratePerSecond,
    minSeconds: Math.max(0, pages - burst) / ratePerSecond,
    // Bursting the whole bucket, then a refill of one minute's worth within the same 60 s.
    maxIn60s: Math.min(pages, burst + perMinute),
  };
}

export function fmtSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return `${(ms / 1000).toFixed(ms >= 100_000 ? 0 : ms >= 10_000 ? 1 : 2)} s`;
}
