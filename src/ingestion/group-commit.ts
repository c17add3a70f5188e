/**
 * Group commit: callers that arrive while the maximum number of writes is in flight wait and
 * then go together in one write. Under load, many small requests become few transactions
 * (the database round trips and the commit are shared); alone, a request goes at once.
 * Each caller's items stay together: the write is all or nothing for all of them.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Array<{ items: T[]; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    /** Writes the items of several callers at once; returns one result they all share. */
    private readonly write: (items: T[]) => Promise<R>,
    private readonly maxConcurrent: number,
    /** Items per write; a caller with more still goes whole, alone. */
    private readonly maxItems: number,
  ) {}

  submit(items: T[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxConcurrent && this.waiting.length > 0) {
      const batch = [this.waiting.shift()!];
      let count = batch[0]!.items.length;
      while (this.waiting.length > 0 && count + this.waiting[0]!.items.length <= this.maxItems) {
        const next = this.waiting.shift()!;
        count += next.items.length;
        batch.push(next);
      }
      this.inFlight += 1;
      this.write(batch.flatMap((entry) => entry.items))
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
