/**
 * Gathers the items added within one tick of the event loop into one call of `run` (at
 * setImmediate), as DataLoader gathers loads. Every `add` of that tick resolves or rejects
 * with that call, so each caller still learns whether its own items went through.
 */
export class TickBatcher<T> {
  private items: T[] = [];
  private settle: { promise: Promise<void>; resolve(): void; reject(error: unknown): void } | undefined;

  constructor(private readonly run: (items: T[]) => Promise<void>) {}

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
      setImmediate(() => this.flush());
    }
    return this.settle.promise;
  }

  private flush(): void {
    const { items, settle } = this;
    this.items = [];
    this.settle = undefined;
    this.run(items).then(settle!.resolve, settle!.reject);
  }
}
