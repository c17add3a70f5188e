import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../helpers/deferred';
import { type LiveClient, liveClient, waitForSubscriptions } from '../helpers/live-client';
import { TestRedisServer } from '../helpers/redis-server';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

type Reported = { failureReported: { taskId: string } };

describe('two instances sharing live events through Redis (MariaDB)', () => {
  const redis = new TestRedisServer();
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let live: LiveClient;

  beforeAll(async () => {
    const redisUrl = await redis.start();
    db = await createTestDatabase();
    a = await startTestApp({ database: db, env: { REDIS_URL: redisUrl } });
    b = await startTestApp({ database: db, env: { REDIS_URL: redisUrl } });
  });
  afterAll(async () => {
    await live?.dispose();
    await a.stop();
    await b.stop();
    await db.drop();
    await redis.stop();
  });

  it('shows on instance B a failure reported on instance A, and resumes after a Redis outage', async () => {
    const svc = await a.createService();
    const viewer = await a.createToken('VIEWER');
    live = liveClient(b.url, viewer);
    const feed = live.subscribe<Reported>(`subscription($f: LiveFailureFilter) { failureReported(filter: $f) { taskId } }`, { f: { service: svc.name } });
    await waitForSubscriptions(b.app, 'failureReported', 1);
    // B subscribes to the Redis channel asynchronously: report until the first event crosses over.
    await eventually(async () => {
      expectData(await a.request(REPORT_FAILURE, { input: report(svc.name, { taskId: `probe-${Date.now()}` }) }, svc.token));
      return feed.received.length > 0 ? true : undefined;
    }, 10_000, 200);
    expectData(await a.request(REPORT_FAILURE, { input: report(svc.name, { taskId: 'before-outage' }) }, svc.token));
    await feed.waitUntil((e) => e.failureReported.taskId === 'before-outage');

    await redis.stop();
    await eventually(async () => {
      const ready = (await (await fetch(a.url.replace('/graphql', '/readyz'))).json()) as { ready: boolean; checks: { live: string } };
      return ready.checks.live.startsWith('degraded') ? ready : undefined;
    });
    // Ingestion goes on without Redis: every report is stored and acknowledged.
    for (const taskId of ['during-1', 'during-2', 'during-3']) {
      expectData(await a.request(REPORT_FAILURE, { input: report(svc.name, { taskId }) }, svc.token));
    }
    const ready = (await (await fetch(a.url.replace('/graphql', '/readyz'))).json()) as { ready: boolean };
    expect(ready.ready).toBe(true);

    await redis.start();
    for (const taskId of ['during-1', 'during-2', 'during-3']) await feed.waitUntil((e) => e.failureReported.taskId === taskId, 20_000);
    expectData(await a.request(REPORT_FAILURE, { input: report(svc.name, { taskId: 'after-outage' }) }, svc.token));
    await feed.waitUntil((e) => e.failureReported.taskId === 'after-outage', 10_000);
    const taskIds = feed.received.map((e) => e.failureReported.taskId);
    for (const taskId of ['during-1', 'during-2', 'during-3', 'after-outage']) expect(taskIds.filter((id) => id === taskId)).toHaveLength(1);
  }, 60_000);
});
