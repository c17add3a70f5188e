/**
 * Gathers the items added while the current callback and the promise jobs it started run into
 * one call of `run` (at process.nextTick, which Node runs once those jobs are drained), as
 * DataLoader gathers loads. Not setImmediate: on a busy server that waits behind every I/O
 * callback of the loop iteration (a few hundred ms of reports measured under load). Every `add`
 * of a batch resolves or rejects with its call, so each caller still learns whether its own
 * items went through.
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
      process.nextTick(() => this.flush());
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
