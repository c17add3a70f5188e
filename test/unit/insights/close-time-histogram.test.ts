import { describe, expect, it } from '@jest/globals';
import { closeTimeBucket, closeTimeBucketUpperBound, histogramPercentile } from '../../../src/insights/close-time-histogram';

describe('the close-time histogram', () => {
  it.each([0, 0.5, 1, 1.1, 2, 3, 59, 60, 61, 3600, 86_400, 30 * 86_400])('puts %s seconds in a bucket whose upper bound is at most 12.5% above it', (seconds) => {
    const upper = closeTimeBucketUpperBound(closeTimeBucket(seconds));
    expect(upper).toBeGreaterThanOrEqual(seconds);
    expect(upper).toBeLessThanOrEqual(Math.max(1, seconds * 1.125 + 1e-9));
  });

  it('orders buckets like the durations', () => {
    const seconds = [1, 1.2, 1.5, 2, 2.6, 5, 9, 17, 100, 1_000, 10_000];
    const buckets = seconds.map(closeTimeBucket);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  });

  it('reads nearest-rank percentiles off the buckets', () => {
    const durations = [10, 10, 10, 20, 20, 40, 40, 80, 160, 320];
    const counts = new Map<number, number>();
    for (const d of durations) counts.set(closeTimeBucket(d), (counts.get(closeTimeBucket(d)) ?? 0) + 1);
    expect(histogramPercentile(counts, 0.5)).toBe(closeTimeBucketUpperBound(closeTimeBucket(20)));
    expect(histogramPercentile(counts, 0.9)).toBe(closeTimeBucketUpperBound(closeTimeBucket(160)));
    expect(histogramPercentile(new Map(), 0.5)).toBeNull();
  });
});
