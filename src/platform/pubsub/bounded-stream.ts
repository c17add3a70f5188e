/** A stream that can hand its items straight to a synchronous sink instead of queueing them. */
export interface DirectStream<T> extends AsyncIterableIterator<T> {
  /**
   * From now on every item goes to `sink` as it is pushed, synchronously; items already queued
   * go first. The iterator then yields nothing: its `next()` settles `done` when the stream ends.
   */
  attach(sink: (item: T) => void): void;
}

export function isDirectStream<T = unknown>(value: unknown): value is DirectStream<T> {
  return typeof value === 'object' && value !== null && typeof (value as { attach?: unknown }).attach === 'function' && Symbol.asyncIterator in value;
}

/**
 * An async iterator fed by `push`, holding at most `limit` undelivered items. When a consumer
 * falls that far behind, `onOverflow` runs once and the stream ends: a slow consumer costs
 * bounded memory and never slows the others. Attached to a sink (`attach`), it queues nothing:
 * the sink decides what a slow consumer is.
 */
export class BoundedStream<T> implements DirectStream<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private sink: ((item: T) => void) | undefined;
  private done = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    private readonly onReturn: () => void,
  ) {}

  push(item: T): void {
    if (this.done) return;
    if (this.sink) {
      this.sink(item);
      return;
    }
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    if (this.queue.length >= this.limit) {
      this.finish();
      this.onOverflow();
      return;
    }
    this.queue.push(item);
  }

  attach(sink: (item: T) => void): void {
    if (this.sink) throw new Error('This stream already has a sink');
    this.sink = sink;
    const queued = this.queue.splice(0);
    for (const item of queued) if (!this.done) sink(item);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.sink = undefined;
    this.queue.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onReturn();
  }
}
