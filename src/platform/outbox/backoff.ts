/** First redelivery waits about this long; each further attempt doubles it. */
export const OUTBOX_BASE_BACKOFF_MS = 1_000; // 1 second
/** No redelivery waits longer than this. */
export const OUTBOX_MAX_BACKOFF_MS = 5 * 60_000; // 5 minutes

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of
 * many rows that failed together spread out instead of arriving again as one burst.
 * `attempt` counts deliveries already tried (1 after the first failure).
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(OUTBOX_MAX_BACKOFF_MS, OUTBOX_BASE_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
