/**
 * Gathers the items added while the current callback and the promise jobs it started run into
 * one call of `run` (at process.nextTick, which Node runs once those jobs are drained), as
 * DataLoader gathers loads. Not setImmediate: on a busy server that waits behind every I/O
 * callback of the loop iteration (a few hundred ms of reports measured under load).
 *
 * One run is in flight at a time, and runs start at least `minIntervalMs` apart (default 0):
 * items added meanwhile wait and go together in the next run. So when items come one callback
 * each (commits handed over one by one), a busy server makes a few big runs instead of one per
 * item, while the first item after a quiet spell still runs at once. Every `add` of a batch
 * resolves or rejects with its call, so each caller still learns whether its own items went
 * through.
 */
export class TickBatcher<T> {
  private items: T[] = [];
  private settle: { promise: Promise<void>; resolve(): void; reject(error: unknown): void } | undefined;
  private inFlight = false;
  private scheduled = false;
  /** performance.now() when the last run started. */
  private lastRunAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly minIntervalMs = 0,
  ) {}

  add(items: readonly T[]): Promise<void> {
    for (const item of items) this.items.push(item);
    if (!this.settle) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.settle = { promise, resolve, reject };
    }
    this.schedule();
    return this.settle.promise;
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || !this.settle) return;
    this.scheduled = true;
    const waitMs = this.lastRunAt + this.minIntervalMs - performance.now();
    if (waitMs > 0) setTimeout(() => this.flush(), waitMs);
    else process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const { items, settle } = this;
    this.items = [];
    this.settle = undefined;
    this.inFlight = true;
    this.lastRunAt = performance.now();
    this.run(items)
      .then(settle!.resolve, settle!.reject)
      .finally(() => {
        this.inFlight = false;
        this.schedule();
      });
  }
}
