/**
 * Log-bucketed histogram of durations: 8 buckets per doubling, so a bucket's upper bound is
 * within 12.5% of any value in it, and a day of one service needs at most ~150 rows.
 */
const SUB_BUCKETS = 8;

/** The bucket of a duration in seconds (0 for anything under a second). */
export function closeTimeBucket(seconds: number): number {
  if (!(seconds >= 1)) return 0;
  const exponent = Math.floor(Math.log2(seconds));
  const fraction = seconds / 2 ** exponent - 1; // 0 ≤ fraction < 1
  return 1 + exponent * SUB_BUCKETS + Math.min(SUB_BUCKETS - 1, Math.floor(fraction * SUB_BUCKETS));
}

/** The largest duration (seconds) a bucket holds: what percentiles report for it. */
export function closeTimeBucketUpperBound(bucket: number): number {
  if (bucket <= 0) return 1;
  const exponent = Math.floor((bucket - 1) / SUB_BUCKETS);
  const sub = (bucket - 1) % SUB_BUCKETS;
  return 2 ** exponent * (1 + (sub + 1) / SUB_BUCKETS);
}

/** Nearest-rank percentile (0 < p ≤ 1) of a histogram, as its bucket's upper bound; null when empty. */
export function histogramPercentile(counts: ReadonlyMap<number, number>, p: number): number | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bucket)!;
    if (seen >= rank) return closeTimeBucketUpperBound(bucket);
  }
  return null;
}
