import { describe, expect, it } from '@jest/globals';

import { laggedCorrelation, pearson } from '../../../src/insights/correlation';

/** mulberry32: a tiny seeded generator, so the "random" series are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MINUTES = 60;
const INCIDENT_MINUTES = [6, 7, 19, 31, 32, 33, 47];

/** Per-minute counts: a background of 0–2 failures a minute plus `height` at each spike minute. */
function spikes(minutes: readonly number[], height: number, seed: number, shift = 0): number[] {
  const random = mulberry32(seed);
  const at = new Set(minutes.map((m) => m + shift));
  return Array.from({ length: MINUTES }, (_, i) => Math.floor(random() * 3) + (at.has(i) ? height : 0));
}

function noise(seed: number, max: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: MINUTES }, () => Math.floor(random() * (max + 1)));
}

describe('pearson', () => {
  it.each([
    ['perfectly correlated series give 1', [1, 2, 3, 4, 5], [10, 20, 30, 40, 50], 1],
    ['perfectly anticorrelated series give -1', [1, 2, 3, 4, 5], [9, 7, 5, 3, 1], -1],
    // Means 3 and 4; Σdx·dy = 6, Σdx² = 10, Σdy² = 6, so r = 6 / √60.
    ['a hand-computed case matches', [1, 2, 3, 4, 5], [2, 4, 5, 4, 5], 6 / Math.sqrt(60)],
    ['shifted and scaled copies still give 1', [0, 3, 1, 8], [7, 13, 9, 23], 1],
  ])('%s', (_title, a, b, expected) => {
    expect(pearson(a, b)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['the first series is constant', [3, 3, 3, 3], [1, 2, 3, 4]],
    ['the second series is constant', [1, 2, 3, 4], [0, 0, 0, 0]],
    ['a constant series has a mean that floating point cannot hold exactly', [0.1, 0.1, 0.1], [1, 2, 3]],
    ['there are fewer than 3 points', [1, 2], [2, 1]],
    ['both series are empty', [], []],
  ])('returns null when %s', (_title, a, b) => {
    expect(pearson(a, b)).toBeNull();
  });

  it('throws a RangeError when the lengths differ', () => {
    expect(() => pearson([1, 2, 3], [1, 2, 3, 4])).toThrow(RangeError);
  });
});

describe('laggedCorrelation', () => {
  const target = spikes(INCIDENT_MINUTES, 20, 1);

  it.each([
    ['a pattern spiking at the same minutes (a common cause)', spikes(INCIDENT_MINUTES, 12, 2), 0],
    ['a pattern trailing by 1 minute', spikes(INCIDENT_MINUTES, 12, 3, 1), 1],
    ['a pattern trailing by 2 minutes', spikes(INCIDENT_MINUTES, 12, 4, 2), 2],
    ['a pattern leading by 2 minutes', spikes(INCIDENT_MINUTES, 12, 5, -2), 2],
  ])('finds %s at its lag', (_title, other, lagMinutes) => {
    const result = laggedCorrelation(target, other);

    expect(result).toEqual({ correlation: expect.any(Number), lagMinutes });
    expect(result!.correlation).toBeGreaterThanOrEqual(0.9);
    expect(result!.correlation).toBe(Number(result!.correlation.toFixed(4)));
  });

  it.each([
    ['trails', 3],
    ['leads', -3],
  ])('does not find a pattern that %s by 3 minutes, beyond the default 2, until maxLagMinutes allows it', (_title, shift) => {
    const other = spikes(INCIDENT_MINUTES, 12, 6, shift);

    expect(laggedCorrelation(target, other)).toBeNull();
    expect(laggedCorrelation(target, other, { maxLagMinutes: 3 })).toMatchObject({ lagMinutes: 3 });
  });

  it('picks the lag with the highest correlation', () => {
    // Mostly trailing by 1 minute, with a weaker echo at the same minute.
    const other = spikes(INCIDENT_MINUTES, 12, 7, 1).map((n, i) => n + (INCIDENT_MINUTES.includes(i) ? 4 : 0));

    expect(laggedCorrelation(target, other, { minCorrelation: 0 })).toMatchObject({ lagMinutes: 1 });
  });

  it.each([1, 2, 3, 4, 5])('does not find independent noise (seed %i)', (seed) => {
    expect(laggedCorrelation(noise(seed * 100, 5), noise(seed * 100 + 1, 5))).toBeNull();
  });

  it('does not find series with fewer non-zero minutes than minNonZeroMinutes', () => {
    const sparse = [0, 0, 9, 0, 0, 0, 4, 0, 0, 7, 0, 0, 0, 0, 3, 0, 0, 0];
    const twin = sparse.map((n) => n * 2);

    expect(laggedCorrelation(sparse, twin)).toBeNull();
    expect(laggedCorrelation(sparse, twin, { minNonZeroMinutes: 4 })).toEqual({ correlation: 1, lagMinutes: 0 });
  });

  it('requires both series, not just one, to have enough non-zero minutes', () => {
    const busy = [1, 2, 9, 1, 2, 1, 8, 2, 1, 7, 1];
    const sparse = [0, 0, 9, 0, 0, 0, 8, 0, 0, 7, 0];

    expect(laggedCorrelation(busy, sparse)).toBeNull();
    expect(laggedCorrelation(sparse, busy)).toBeNull();
  });

  it('does not find anticorrelated series', () => {
    const other = target.map((n) => 30 - n);

    expect(pearson(target, other)).toBeCloseTo(-1, 12);
    expect(laggedCorrelation(target, other)).toBeNull();
  });

  it('does not report a correlation below minCorrelation', () => {
    const weak = [0, 1, 0, 1, 1, 0, 1, 0, 1, 1];
    const other = [0, 1, 1, 1, 0, 0, 1, 1, 1, 0];
    const found = laggedCorrelation(weak, other, { minCorrelation: -1, minNonZeroMinutes: 1, maxLagMinutes: 0 });

    expect(found!.correlation).toBeLessThan(0.8);
    expect(laggedCorrelation(weak, other, { minNonZeroMinutes: 1, maxLagMinutes: 0 })).toBeNull();
  });

  it.each([
    ['both series are empty', [], [], {}],
    ['the series are shorter than 3 minutes', [1, 5], [2, 9], { minNonZeroMinutes: 1 }],
    ['both series are constant', [3, 3, 3, 3, 3], [3, 3, 3, 3, 3], {}],
  ])('returns null when %s', (_title, a, b, options) => {
    expect(laggedCorrelation(a, b, options)).toBeNull();
  });

  it.each([
    ['the lengths differ', [1, 2, 3], [1, 2], {}],
    ['maxLagMinutes is negative', [1, 2, 3], [1, 2, 3], { maxLagMinutes: -1 }],
    ['maxLagMinutes is not a whole number', [1, 2, 3], [1, 2, 3], { maxLagMinutes: 1.5 }],
  ])('throws a RangeError when %s', (_title, a, b, options) => {
    expect(() => laggedCorrelation(a, b, options)).toThrow(RangeError);
  });
});
