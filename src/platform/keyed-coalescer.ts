import type { Logger } from 'pino';

/**
 * Collapses bursts of work per key: the first touch of a quiet key runs at once, later ones at
 * most once per window, and the work reads the state current when it runs. A storm of 10,000
 * failures in one group becomes a handful of group events (or evaluations).
 */
export class KeyedCoalescer {
  private readonly lastPublished = new Map<string, number>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly windowMs: number,
    private readonly publish: (keys: string[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the keys that ran at once are done (the later ones run on the timer). */
  touch(keys: readonly string[]): Promise<void> {
    const now = this.now();
    const immediate: string[] = [];
    for (const id of keys) {
      const last = this.lastPublished.get(id);
      if (!this.pending.has(id) && (last === undefined || now - last >= this.windowMs)) {
        immediate.push(id);
        this.lastPublished.set(id, now);
      } else {
        this.pending.add(id);
      }
    }
    const ran = immediate.length ? this.run(immediate) : Promise.resolve();
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => this.fire(), this.windowMs);
      this.timer.unref();
    }
    return ran;
  }

  /** Publishes what is pending now (used at shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.fire();
    await this.inFlight;
  }

  private fire(): void {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    const now = this.now();
    for (const id of ids) this.lastPublished.set(id, now);
    // Forget quiet groups so the map stays as small as the set of active groups.
    for (const [id, at] of this.lastPublished) if (now - at > this.windowMs * 4) this.lastPublished.delete(id);
    if (ids.length) void this.run(ids);
  }

  private run(ids: string[]): Promise<void> {
    this.inFlight = this.inFlight.then(() =>
      this.publish(ids).catch((error: unknown) => {
        // Not lost: the next window runs these keys again, with the then-current state.
        this.logger.debug({ err: (error as Error).message, keys: ids.length }, 'coalesced work failed; will retry');
        for (const id of ids) this.pending.add(id);
        if (!this.timer) {
          this.timer = setTimeout(() => this.fire(), this.windowMs);
          this.timer.unref();
        }
      }),
    );
    return this.inFlight;
  }
}
