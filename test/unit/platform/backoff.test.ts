import { describe, expect, it } from '@jest/globals';
import { OUTBOX_MAX_BACKOFF_MS, backoffDelayMs } from '../../../src/platform/outbox/backoff';

describe('outbox backoff', () => {
  it.each([
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [3, 2_000, 4_000],
    [6, 16_000, 32_000],
  ])('waits between half and all of the exponential delay after attempt %i', (attempt, min, max) => {
    expect(backoffDelayMs(attempt, () => 0)).toBe(min);
    expect(backoffDelayMs(attempt, () => 1)).toBe(max);
  });

  it('never waits longer than the cap', () => {
    expect(backoffDelayMs(40, () => 1)).toBe(OUTBOX_MAX_BACKOFF_MS);
  });

  it('spreads retries of rows that failed together', () => {
    const delays = new Set([0.1, 0.4, 0.7, 0.9].map((r) => backoffDelayMs(4, () => r)));
    expect(delays.size).toBe(4);
  });
});
