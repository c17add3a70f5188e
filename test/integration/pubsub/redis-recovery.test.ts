import { afterAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { RedisEventBus } from '../../../src/platform/pubsub/event-bus';
import { TestRedisServer } from '../../helpers/redis-server';
import { TcpProxy } from '../../helpers/tcp-proxy';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/**
 * Instances on one Redis of the test's own, some behind a proxy the test cuts. After an outage of
 * Redis itself, instance A releases what it held back (the outbox backlog, on `onRecovered`) while
 * instance B reconnects a second later: A must wait for B. When only B loses its connection, A's
 * publishes succeed meanwhile, and B replays them from the stream once it is back.
 */
describe('Redis event bus after an outage', () => {
  const servers: TestRedisServer[] = [];
  const proxies: TcpProxy[] = [];
  const buses: RedisEventBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(servers.map((r) => r.stop()));
  });

  /** A Redis server of the test's own, reached directly (`url`) and through a proxy the test can cut. */
  async function redisWithProxy() {
    const redis = new TestRedisServer();
    servers.push(redis);
    const url = await redis.start();
    const proxy = new TcpProxy('127.0.0.1', redis.port);
    proxies.push(proxy);
    return { redis, url, proxy, viaProxy: `redis://127.0.0.1:${await proxy.start()}` };
  }

  it('holds publishes back until the other instances have subscribed again, then releases the backlog', async () => {
    const { redis, url, proxy, viaProxy } = await redisWithProxy();
    const settleMs = 4_000;
    const a = new RedisEventBus(url, logger, { recoverySettleMs: settleMs });
    const b = new RedisEventBus(viaProxy, logger, { recoverySettleMs: settleMs });
    buses.push(a, b);
    const received: number[] = [];
    b.subscribe('failures', (payload) => received.push((payload as { n: number }).n));
    await until(() => a.healthy() && b.healthy());
    await a.publish('failures', { n: 0 });
    await until(() => received.length === 1);

    // What the outbox does on recovery: publish the rows held during the outage.
    let released = 0;
    a.onRecovered(() => void a.publish('failures', { n: 1 }).then(() => released++));

    proxy.interrupt();
    await redis.stop();
    await until(() => !a.healthy() && !b.healthy());
    await redis.start();
    await until(() => a.healthy());
    // A is back but B is not: a publish now would reach nobody on B, so it is refused (the
    // outbox keeps the row and tries again).
    await expect(a.publish('failures', { n: 99 })).rejects.toThrow(/waiting for the other instances/);
    await sleep(1_000);
    proxy.restore();

    await until(() => released === 1 && received.length === 2, settleMs + 10_000);
    expect(received).toEqual([0, 1]);
    expect(b.healthy()).toBe(true);
    await a.publish('failures', { n: 2 });
    await until(() => received.length === 3);
    expect(received).toEqual([0, 1, 2]);
  }, 40_000);

  it('replays to an instance that alone lost its connection what it missed, in order and once', async () => {
    const { url, proxy, viaProxy } = await redisWithProxy();
    let replayed = 0;
    const a = new RedisEventBus(url, logger);
    const b = new RedisEventBus(viaProxy, logger, { onReplayed: (n) => (replayed += n) });
    // Same blip, no replay: what plain pub/sub gives.
    const c = new RedisEventBus(viaProxy, logger, { replayMs: 0 });
    buses.push(a, b, c);
    const onB: number[] = [];
    const onC: number[] = [];
    b.subscribe('failures', (payload) => onB.push((payload as { n: number }).n));
    c.subscribe('failures', (payload) => onC.push((payload as { n: number }).n));
    await until(() => a.healthy() && b.healthy() && c.healthy());
    let sent = 0;
    await a.publish('failures', { n: sent++ });
    await until(() => onB.length === 1 && onC.length === 1);

    // A keeps publishing, every few ms, through B's blip and its return.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await a.publish('failures', { n: sent++ });
        await sleep(5);
      }
    })();
    proxy.interrupt();
    await until(() => !b.healthy() && !c.healthy());
    const sentWhileAway = sent;
    await sleep(300);
    expect(sent - sentWhileAway).toBeGreaterThan(5); // A went on meanwhile
    proxy.restore();
    await until(() => b.healthy() && c.healthy());
    await sleep(300);
    publishing = false;
    await publisher;

    const all = Array.from({ length: sent }, (_, i) => i);
    await until(() => onB.length >= sent);
    await sleep(100); // nothing more (no duplicates) arrives
    expect(onB).toEqual(all);
    expect(replayed).toBeGreaterThan(5);
    // Without replay the blip's events are gone for good.
    await until(() => onC[onC.length - 1] === sent - 1);
    expect(onC.length).toBeLessThan(sent - 5);
  }, 40_000);

  it('counts what an instance missed that was no longer kept, and delivers the rest in order', async () => {
    const { url, proxy, viaProxy } = await redisWithProxy();
    const gaps: number[] = [];
    const a = new RedisEventBus(url, logger, { replayMs: 20 });
    const b = new RedisEventBus(viaProxy, logger, { onReplayGap: (missed) => gaps.push(missed) });
    buses.push(a, b);
    const onB: number[] = [];
    b.subscribe('failures', (payload) => onB.push((payload as { n: number }).n));
    await until(() => a.healthy() && b.healthy());
    await a.publish('failures', { n: 0 });
    await until(() => onB.length === 1);
    proxy.interrupt();
    await until(() => !b.healthy());
    // Far more than the stream keeps (trimmed in whole nodes of 100 entries older than 20 ms).
    for (let n = 1; n <= 1_000; n++) {
      await a.publish('failures', { n });
      if (n % 100 === 0) await sleep(30);
    }
    proxy.restore();
    await until(() => onB[onB.length - 1] === 1_000);
    // What it got is the newest events, in order; what it lost is counted exactly.
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toBeGreaterThan(0);
    expect(onB).toEqual([0, ...Array.from({ length: 1_000 - gaps[0]! }, (_, i) => gaps[0]! + 1 + i)]);
  }, 40_000);

  it('replays to an instance that dropped before it had received anything, from where it started', async () => {
    const { url, proxy, viaProxy } = await redisWithProxy();
    const a = new RedisEventBus(url, logger);
    await until(() => a.healthy());
    await a.publish('other', { n: -1 }); // before B: not owed to it
    const b = new RedisEventBus(viaProxy, logger);
    buses.push(a, b);
    const onB: number[] = [];
    b.subscribe('other', (payload) => onB.push((payload as { n: number }).n));
    await until(() => b.healthy());
    await sleep(200); // B has read where the stream stood
    proxy.interrupt();
    await until(() => !b.healthy());
    for (let n = 0; n < 3; n++) await a.publish('other', { n });
    proxy.restore();
    await until(() => onB.length === 3);
    await sleep(100);
    expect(onB).toEqual([0, 1, 2]);
  }, 40_000);
});

