const WINDOW_MS = 60_000; // the providers' limits are per minute

/**
 * A sliding one-minute window per key (a routing key, an API key): never more than
 * `perMinute` sends in any 60 seconds. PagerDuty allows about 120 events a minute per routing
 * key; a token bucket would let a full bucket plus a minute's refill through.
 */
export class Pacer {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot; returns 0, or how many ms until one is free (nothing is taken then). */
  take(key: string): number {
    const now = this.now();
    const times = (this.sent.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    this.sent.set(key, times);
    if (times.length < this.perMinute) {
      times.push(now);
      return 0;
    }
    return times[0]! + WINDOW_MS - now;
  }
}
