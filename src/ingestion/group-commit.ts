/**
 * Group commit: callers that arrive while a write is in flight wait and then go together in one
 * write. Under load, many small requests become few transactions (the database round trips and
 * the commit are shared); alone, a request goes at once. Each caller's items stay together: the
 * write is all or nothing for all of them.
 *
 * One write is in flight at a time, so every write takes all that arrived during the previous
 * one; more (up to `maxConcurrent`) start only while a big enough write (`fullItems`, by
 * default `maxItems`) is waiting: small callers still go together, while big ones, which gain
 * nothing from being joined, run side by side instead of one after the other.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Array<{ items: T[]; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private waitingItems = 0;
  private inFlight = 0;

  constructor(
    /** Writes the items of several callers at once; returns one result they all share. */
    private readonly write: (items: T[]) => Promise<R>,
    private readonly maxConcurrent: number,
    /** Items per write; a caller with more still goes whole, alone. */
    private readonly maxItems: number,
    /** Items waiting that make a write worth starting beside those in flight. */
    private readonly fullItems: number = maxItems,
  ) {}

  submit(items: T[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.waitingItems += items.length;
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiting.length > 0 && (this.inFlight === 0 || (this.inFlight < this.maxConcurrent && this.waitingItems >= this.fullItems))) {
      const batch = [this.waiting.shift()!];
      let count = batch[0]!.items.length;
      while (this.waiting.length > 0 && count + this.waiting[0]!.items.length <= this.maxItems) {
        const next = this.waiting.shift()!;
        count += next.items.length;
        batch.push(next);
      }
      this.waitingItems -= count;
      this.inFlight += 1;
      const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((entry) => entry.items);
      this.write(items)
        .then(
          (result) => batch.forEach((entry) => entry.resolve(result)),
          (error: unknown) => batch.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.drain();
        });
    }
  }
}
