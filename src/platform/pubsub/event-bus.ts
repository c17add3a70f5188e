import Redis from 'ioredis';
import type { Logger } from 'pino';

export type Listener = (payload: unknown) => void;

/**
 * Carries live events to every subscriber of every instance. A publish resolves once the
 * transport took the event and rejects when it cannot (Redis down): callers, the outbox, try
 * again later. Each instance hands one deserialised payload object to all its local listeners,
 * so per-event work (filters, execution) can be shared between them.
 */
export interface EventBus {
  readonly mode: 'memory' | 'redis';
  publish(topic: string, payload: unknown): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(topic: string, listener: Listener): () => void;
  /** False when nobody anywhere can be listening (in-process bus without listeners): skip the work. */
  mayHaveListeners(topic: string): boolean;
  /** False while the transport is unavailable (Redis disconnected). */
  healthy(): boolean;
  /** Called each time the transport comes back after being unavailable. */
  onRecovered(callback: () => void): void;
  /** Marks (or clears) that this instance has a listener for `key`, visible to every instance. */
  setPresence(key: string, present: boolean): void;
  /** Whether any instance has a listener for `key` (this one is asked first). */
  hasPresence(key: string): Promise<boolean>;
  close(): Promise<void>;
}

class LocalListeners {
  private readonly byTopic = new Map<string, Set<Listener>>();

  add(topic: string, listener: Listener): { first: boolean; remove: () => boolean } {
    let set = this.byTopic.get(topic);
    const first = !set;
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(listener);
    return {
      first,
      remove: () => {
        set!.delete(listener);
        if (set!.size > 0) return false;
        this.byTopic.delete(topic);
        return true;
      },
    };
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  dispatch(topic: string, payload: unknown, logger?: Logger): void {
    for (const listener of this.byTopic.get(topic) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        logger?.warn({ err: error, topic }, 'live event listener failed');
      }
    }
  }
}

/** One process, no Redis: events reach this instance's subscribers only. */
export class MemoryEventBus implements EventBus {
  readonly mode = 'memory' as const;
  private readonly listeners = new LocalListeners();

  async publish(topic: string, payload: unknown): Promise<void> {
    // A JSON round trip, as through Redis: subscribers never share mutable state with the publisher.
    this.listeners.dispatch(topic, JSON.parse(JSON.stringify(payload)));
  }

  subscribe(topic: string, listener: Listener): () => void {
    const { remove } = this.listeners.add(topic, listener);
    return () => void remove();
  }

  mayHaveListeners(topic: string): boolean {
    return this.listeners.has(topic);
  }

  healthy(): boolean {
    return true;
  }

  onRecovered(): void {}

  private readonly present = new Set<string>();

  setPresence(key: string, present: boolean): void {
    if (present) this.present.add(key);
    else this.present.delete(key);
  }

  async hasPresence(key: string): Promise<boolean> {
    return this.present.has(key);
  }

  async close(): Promise<void> {}
}

const CHANNEL_PREFIX = 'failure-desk:live:';
const PRESENCE_PREFIX = 'failure-desk:presence:';
const PRESENCE_TTL_MS = 30_000; // an instance that stops refreshing is forgotten after 30 seconds
const PRESENCE_REFRESH_MS = 10_000;
const RECONNECT_MAX_DELAY_MS = 2_000; // the longest wait between two reconnect attempts
/**
 * After an outage, how long this instance holds its publishes back once its own connections are
 * ready again: every instance retries at most RECONNECT_MAX_DELAY_MS apart, so by then their
 * subscribers are back too. Redis pub/sub keeps nothing for a subscriber that is not connected:
 * an event published sooner (the outbox's backlog, released on recovery) would be lost to the
 * clients of an instance that reconnects a moment later.
 */
const DEFAULT_RECOVERY_SETTLE_MS = RECONNECT_MAX_DELAY_MS + 1_000;

/**
 * Redis pub/sub between instances: one connection publishes (no offline queue, so a publish
 * during an outage fails at once instead of piling up), one subscribes (re-subscribes by
 * itself after a reconnect).
 */
export class RedisEventBus implements EventBus {
  readonly mode = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new LocalListeners();
  private readonly recovered: Array<() => void> = [];
  private wasDown = false;
  /** Pending while publishes are held back after an outage (see DEFAULT_RECOVERY_SETTLE_MS). */
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly present = new Set<string>();
  private readonly instanceId = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private readonly presenceTimer: NodeJS.Timeout;

  constructor(
    url: string,
    private readonly logger: Logger,
    private readonly recoverySettleMs = DEFAULT_RECOVERY_SETTLE_MS,
  ) {
    const retryStrategy = (times: number) => Math.min(times * 200, RECONNECT_MAX_DELAY_MS); // ms between reconnect attempts
    this.publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, lazyConnect: false });
    this.subscriber = new Redis(url, { retryStrategy, maxRetriesPerRequest: null });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.debug({ err: error.message }, 'redis connection error'));
      client.on('close', () => {
        this.wasDown = true;
      });
      client.on('ready', () => this.onReady());
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        return;
      }
      this.listeners.dispatch(channel.slice(CHANNEL_PREFIX.length), payload, this.logger);
    });
    this.presenceTimer = setInterval(() => {
      for (const key of this.present) this.announce(key);
    }, PRESENCE_REFRESH_MS);
    this.presenceTimer.unref();
  }

  setPresence(key: string, present: boolean): void {
    if (present) {
      this.present.add(key);
      this.announce(key);
    } else {
      this.present.delete(key);
      if (this.publisher.status === 'ready') this.publisher.zrem(PRESENCE_PREFIX + key, this.instanceId).catch(() => undefined);
    }
  }

  async hasPresence(key: string): Promise<boolean> {
    if (this.present.has(key)) return true;
    if (this.publisher.status !== 'ready') return false;
    const live = await this.publisher.zrangebyscore(PRESENCE_PREFIX + key, Date.now(), '+inf', 'LIMIT', 0, 1).catch(() => []);
    return live.length > 0;
  }

  private announce(key: string): void {
    if (this.publisher.status !== 'ready') return;
    this.publisher.zadd(PRESENCE_PREFIX + key, Date.now() + PRESENCE_TTL_MS, this.instanceId).catch(() => undefined);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    if (this.publisher.status !== 'ready') throw new Error(`Redis is unavailable (${this.publisher.status})`);
    if (this.settleTimer) throw new Error('Redis is back; waiting for the other instances to subscribe again');
    await this.publisher.publish(CHANNEL_PREFIX + topic, JSON.stringify(payload));
  }

  subscribe(topic: string, listener: Listener): () => void {
    const { first, remove } = this.listeners.add(topic, listener);
    if (first) this.subscriber.subscribe(CHANNEL_PREFIX + topic).catch((error: Error) => this.logger.warn({ err: error.message, topic }, 'redis subscribe failed'));
    return () => {
      if (remove()) this.subscriber.unsubscribe(CHANNEL_PREFIX + topic).catch(() => undefined);
    };
  }

  /** Other instances may listen: always true. */
  mayHaveListeners(): boolean {
    return true;
  }

  healthy(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  onRecovered(callback: () => void): void {
    this.recovered.push(callback);
  }

  async close(): Promise<void> {
    clearInterval(this.presenceTimer);
    clearTimeout(this.settleTimer);
    if (this.publisher.status === 'ready') {
      await Promise.all([...this.present].map((key) => this.publisher.zrem(PRESENCE_PREFIX + key, this.instanceId).catch(() => undefined)));
    }
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private onReady(): void {
    for (const key of this.present) this.announce(key);
    if (!this.wasDown || !this.healthy()) return;
    this.wasDown = false;
    this.logger.info({ inMs: this.recoverySettleMs }, 'redis is back: live events resume once the other instances have subscribed again');
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      if (!this.healthy()) return; // down again: the next recovery starts over
      for (const callback of this.recovered) callback();
    }, this.recoverySettleMs);
    this.settleTimer.unref();
  }
}

export function createEventBus(redisUrl: string | undefined, logger: Logger): EventBus {
  return redisUrl ? new RedisEventBus(redisUrl, logger) : new MemoryEventBus();
}
