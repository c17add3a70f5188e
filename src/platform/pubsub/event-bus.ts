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
/** The stream that keeps the latest live events for instances that come back from a lost connection. */
const REPLAY_STREAM = '{failure-desk:live}:replay';
/** Numbers the events: an instance that finds the next number it expected gone knows how many it lost. */
const REPLAY_SEQUENCE = '{failure-desk:live}:sequence';
const REPLAY_PAGE = 500;
const DEFAULT_REPLAY_MS = 10_000;
/** Messages kept waiting for a replay that cannot start; past this many they are delivered without it. */
const MAX_HELD_MESSAGES = 10_000;
/**
 * Numbers the event, appends it to the replay stream (dropping entries older than ARGV[1] ms, by
 * Redis's clock, in whole stream nodes) and publishes it as "<stream id> <number> <json>",
 * atomically: pub/sub order is stream order, so every instance can tell by id what it has already
 * seen, and by number what it can no longer get. An idle stream expires a minute after its window.
 */
const PUBLISH_SCRIPT = `local now = redis.call('TIME')
local window = tonumber(ARGV[1])
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - window
local seq = redis.call('INCR', KEYS[2])
local id = redis.call('XADD', KEYS[1], 'MINID', '~', oldest, '*', 't', ARGV[2], 's', seq, 'p', ARGV[4])
redis.call('PEXPIRE', KEYS[1], window + 60000)
redis.call('PUBLISH', ARGV[3], id .. ' ' .. seq .. ' ' .. ARGV[4])
return id`;
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

export interface RedisEventBusOptions {
  /** How long publishes are held back after an outage (default DEFAULT_RECOVERY_SETTLE_MS). */
  recoverySettleMs?: number;
  /**
   * How long Redis keeps each event for replay, in ms (0: no replay, plain pub/sub). Default
   * 10 s. Redis holds about this much of the live traffic.
   */
  replayMs?: number;
  /** Called with the number of events an instance replayed after its connection came back. */
  onReplayed?: (count: number) => void;
  /**
   * Called when events an instance missed were no longer kept to replay (lost to its
   * subscribers), with how many (0: unknown, the replay failed).
   */
  onReplayGap?: (missed: number) => void;
}

type StreamEntry = [id: string, fields: string[]];
type ReplayClient = Redis & {
  failureDeskPublish(stream: string, sequence: string, windowMs: number, topic: string, channel: string, payload: string): Promise<string>;
};
interface StreamPosition {
  id: string;
  seq: number;
}
interface NumberedEvent extends StreamPosition {
  topic: string;
  json: string;
}

/** A stream entry's field value ([name, value, name, value…]). */
function field(fields: readonly string[], name: string): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return '';
}

/** Stream ids ("<ms>-<seq>") in order. */
function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as ?? 0) - Number(bs ?? 0);
}

/**
 * Redis pub/sub between instances: one connection publishes (no offline queue, so a publish
 * during an outage fails at once instead of piling up), one subscribes to every live channel
 * (re-subscribes by itself after a reconnect) and hands each event to this instance's listeners
 * of its topic, if any.
 *
 * Pub/sub keeps nothing for a subscriber that is away, so each event also goes into a capped
 * stream for a while (`replayMs`), under the id its message carries. An instance whose subscriber
 * connection dropped while Redis stayed up for the others (a network blip on its side) reads the
 * stream from the last id it saw once it is back, and dispatches what it missed before anything
 * newer; messages that arrive meanwhile wait, and any it had already seen are skipped. A
 * subscription made while the connection was down may see events from just before it.
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
  private readonly recoverySettleMs: number;
  private readonly replayMs: number;
  /** The newest event this instance has dispatched. */
  private last: StreamPosition | undefined;
  /**
   * The stream's newest event when this instance started: where a replay begins if it drops
   * before it received anything. Never used to skip a message (a message published just before
   * the read may still be on its way).
   */
  private start: StreamPosition | undefined;
  /** Set when the subscriber connection drops; cleared once what it missed has been replayed. */
  private replayDue = false;
  private replaying = false;
  /** The subscriber connection is up and subscribed to the live channels. */
  private listening = false;
  /** Messages that arrived while replaying: dispatched after it, unless seen already. */
  private held: NumberedEvent[] = [];

  constructor(
    url: string,
    private readonly logger: Logger,
    private readonly options: RedisEventBusOptions = {},
  ) {
    this.recoverySettleMs = options.recoverySettleMs ?? DEFAULT_RECOVERY_SETTLE_MS;
    this.replayMs = options.replayMs ?? DEFAULT_REPLAY_MS;
    const retryStrategy = (times: number) => Math.min(times * 200, RECONNECT_MAX_DELAY_MS); // ms between reconnect attempts
    this.publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, lazyConnect: false });
    this.publisher.defineCommand('failureDeskPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.subscriber = new Redis(url, { retryStrategy, maxRetriesPerRequest: null });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.debug({ err: error.message }, 'redis connection error'));
      client.on('close', () => {
        this.wasDown = true;
      });
    }
    this.publisher.on('ready', () => this.onReady());
    // ioredis (re)sends the channel subscription right after 'ready': a ping queued behind it
    // returns once it is in place, and only then does this instance count as listening.
    this.subscriber.on('ready', () => process.nextTick(() => this.confirmListening()));
    this.subscriber.on('close', () => {
      this.listening = false;
      if (this.replayMs > 0 && (this.last ?? this.start)) this.replayDue = true;
    });
    // Every live channel, whether this instance listens to it or not: the last event it saw is then
    // the last one anybody published, and a replay covers exactly the time it was away.
    this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => this.receive(channel.slice(CHANNEL_PREFIX.length), message));
    this.subscriber.psubscribe(`${CHANNEL_PREFIX}*`).catch((error: Error) => this.logger.warn({ err: error.message }, 'redis subscribe failed'));
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
    const json = JSON.stringify(payload);
    if (this.replayMs > 0) await (this.publisher as ReplayClient).failureDeskPublish(REPLAY_STREAM, REPLAY_SEQUENCE, this.replayMs, topic, CHANNEL_PREFIX + topic, json);
    else await this.publisher.publish(CHANNEL_PREFIX + topic, json);
  }

  /** A message from the subscriber connection: "<stream id> <number> <json>", or bare JSON without replay. */
  private receive(topic: string, message: string): void {
    if (message[0] === '{') return this.dispatchJson(topic, message);
    const first = message.indexOf(' ');
    const second = message.indexOf(' ', first + 1);
    if (first < 0 || second < 0) return;
    this.take({ id: message.slice(0, first), seq: Number(message.slice(first + 1, second)), topic, json: message.slice(second + 1) });
  }

  /** Dispatches a numbered event unless already seen; holds it while what was missed before it is replayed. */
  private take(event: NumberedEvent): void {
    if (this.replaying || this.replayDue) {
      this.held.push(event);
      if (this.held.length > MAX_HELD_MESSAGES && !this.replaying) this.giveUpReplay();
      return;
    }
    if (this.last && compareStreamIds(event.id, this.last.id) <= 0) return;
    this.last = { id: event.id, seq: event.seq };
    this.dispatchJson(event.topic, event.json);
  }

  private dispatchJson(topic: string, json: string): void {
    if (!this.listeners.has(topic)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(json);
    } catch {
      return;
    }
    this.listeners.dispatch(topic, payload, this.logger);
  }

  /**
   * Dispatches what the replay stream holds after the last event this instance saw, then the
   * messages held meanwhile that are newer still. The first event read back tells by its number
   * how many were trimmed from the stream before this instance could read them (lost).
   */
  private async replay(): Promise<void> {
    if (this.replaying || !this.replayDue || this.publisher.status !== 'ready' || !this.listening) return;
    this.replaying = true;
    this.replayDue = false;
    let count = 0;
    try {
      // Listening again: whatever the stream read below misses arrives as a message (and waits in `held`).
      const since = (this.last ?? this.start)!;
      let after = since.id;
      for (;;) {
        const page = (await this.publisher.xrange(REPLAY_STREAM, `(${after}`, '+', 'COUNT', REPLAY_PAGE)) as StreamEntry[];
        for (const [id, fields] of page) {
          const event = { id, seq: Number(field(fields, 's')), topic: field(fields, 't'), json: field(fields, 'p') };
          if (count++ === 0) this.checkContinuity(since, event);
          after = id;
          this.last = { id, seq: event.seq };
          this.dispatchJson(event.topic, event.json);
        }
        if (page.length < REPLAY_PAGE) break;
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'replaying the live events missed while disconnected from Redis failed; some may be lost');
      this.options.onReplayGap?.(0);
    } finally {
      this.replaying = false;
      this.releaseHeld();
      if (count) this.options.onReplayed?.(count);
    }
  }

  /** The first event read back should be the one after the last seen; a higher number means the ones between were trimmed. */
  private checkContinuity(since: StreamPosition, first: StreamPosition): void {
    if (first.seq > since.seq + 1) {
      const missed = first.seq - since.seq - 1;
      this.logger.warn({ missed }, 'live events missed while disconnected from Redis were no longer kept for replay (LIVE_REPLAY_SECONDS)');
      this.options.onReplayGap?.(missed);
    } else if (first.seq <= since.seq) {
      // Numbering started over: Redis itself restarted, and what it held went with it.
      this.logger.info('Redis restarted while this instance was away: events published just before may be missing');
    }
  }

  /** The replay cannot start (the publishing connection stays away): deliver what arrived, and say events may be lost. */
  private giveUpReplay(): void {
    this.replayDue = false;
    this.logger.warn('live events missed while disconnected from Redis could not be replayed; some may be lost');
    this.options.onReplayGap?.(0);
    this.releaseHeld();
  }

  /** Dispatches the messages that waited for a replay (those not seen already). */
  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const event of held) this.take(event);
  }

  /** Where this instance starts from: the stream's newest event (nothing older is owed to it). */
  private async markStart(): Promise<void> {
    if (this.replayMs === 0 || this.start) return;
    const newest = (await this.publisher.xrevrange(REPLAY_STREAM, '+', '-', 'COUNT', 1).catch(() => null)) as StreamEntry[] | null;
    if (!newest || this.start) return;
    const [entry] = newest;
    this.start = entry ? { id: entry[0], seq: Number(field(entry[1], 's')) } : { id: '0-0', seq: 0 };
  }

  subscribe(topic: string, listener: Listener): () => void {
    const { remove } = this.listeners.add(topic, listener);
    return () => void remove();
  }

  /** Other instances may listen: always true. */
  mayHaveListeners(): boolean {
    return true;
  }

  healthy(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready' && this.listening;
  }

  private confirmListening(): void {
    this.subscriber.ping().then(
      () => {
        if (this.subscriber.status !== 'ready') return;
        this.listening = true;
        this.onReady();
      },
      () => undefined, // dropped again: the next 'ready' tries anew
    );
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
    if (this.publisher.status === 'ready') {
      void this.markStart();
      void this.replay();
    }
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

export function createEventBus(redisUrl: string | undefined, logger: Logger, options: RedisEventBusOptions = {}): EventBus {
  return redisUrl ? new RedisEventBus(redisUrl, logger, options) : new MemoryEventBus();
}
