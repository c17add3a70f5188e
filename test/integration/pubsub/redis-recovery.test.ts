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
 * Two instances on one Redis. After an outage, instance A releases what it held back (the outbox
 * backlog, on `onRecovered`) while instance B, behind a proxy, reconnects a second later: Redis
 * pub/sub keeps nothing for a subscriber that is not connected, so A must wait for B.
 */
describe('Redis event bus after an outage', () => {
  const redis = new TestRedisServer();
  let proxy: TcpProxy | undefined;
  const buses: RedisEventBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await proxy?.stop();
    await redis.stop();
  });

  it('holds publishes back until the other instances have subscribed again, then releases the backlog', async () => {
    const url = await redis.start();
    proxy = new TcpProxy('127.0.0.1', redis.port);
    const viaProxy = `redis://127.0.0.1:${await proxy.start()}`;
    const settleMs = 4_000;
    const a = new RedisEventBus(url, logger, settleMs);
    const b = new RedisEventBus(viaProxy, logger, settleMs);
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
});
