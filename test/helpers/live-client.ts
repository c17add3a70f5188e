import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { deferred } from './deferred';

/** One subscription's results, in arrival order, with a way to wait for the next ones. */
export interface LiveSubscription<T> {
  received: T[];
  errors: unknown[];
  /** Resolves once `count` results in all have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves with the first result that satisfies `predicate` (already received or later). */
  waitUntil(predicate: (item: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves once the server answered (first result or error): the subscription is active then. */
  unsubscribe(): void;
}

export interface LiveClient {
  client: Client;
  /** Resolves when the server acknowledged the connection; rejects with the close event. */
  connected: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  subscribe<T>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
  dispose(): Promise<void>;
}

/** A real graphql-ws client over a real WebSocket, authenticated with connectionParams. */
export function liveClient(httpUrl: string, token: string | null): LiveClient {
  const connected = deferred<void>();
  const closed = deferred<{ code: number; reason: string }>();
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => connected.resolve(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        connected.reject(Object.assign(new Error(`closed ${code}: ${reason}`), { code }));
        closed.resolve({ code, reason: String(reason) });
      },
    },
  });
  connected.promise.catch(() => undefined);
  return {
    client,
    connected: connected.promise,
    closed: closed.promise,
    subscribe<T>(query: string, variables?: Record<string, unknown>): LiveSubscription<T> {
      const received: T[] = [];
      const errors: unknown[] = [];
      let waiters: Array<() => void> = [];
      const notify = () => {
        const current = waiters;
        waiters = [];
        for (const w of current) w();
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) errors.push(...result.errors);
            else received.push(result.data as T);
            notify();
          },
          error: (error) => {
            errors.push(error);
            notify();
          },
          complete: () => notify(),
        },
      );
      const waitUntilTrue = (check: () => boolean, timeoutMs: number, what: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; received ${received.length}, errors ${JSON.stringify(errors)}`)), timeoutMs);
          const test = () => {
            if (check()) {
              clearTimeout(timer);
              resolve();
            } else if (errors.length) {
              clearTimeout(timer);
              reject(new Error(`subscription failed: ${JSON.stringify(errors)}`));
            } else waiters.push(test);
          };
          test();
        });
      return {
        received,
        errors,
        async waitFor(count, timeoutMs = 10_000) {
          await waitUntilTrue(() => received.length >= count, timeoutMs, `${count} results`);
          return received.slice(0, count);
        },
        async waitUntil(predicate, timeoutMs = 10_000) {
          await waitUntilTrue(() => received.some(predicate), timeoutMs, 'a matching result');
          return received.find(predicate)!;
        },
        unsubscribe,
      };
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** Waits until the app serves exactly `count` active subscriptions of `field` (so events published next reach them). */
export async function waitForSubscriptions(app: { metrics: { activeSubscriptions: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> } } }, field: string, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { values } = await app.metrics.activeSubscriptions.get();
    const active = values.find((v) => v.labels.field === field)?.value ?? 0;
    if (active === count) return;
    if (Date.now() > deadline) throw new Error(`${active} ${field} subscriptions are active, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
