import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../helpers/deferred';
import { gql } from '../helpers/gql';
import { type LiveClient, liveClient } from '../helpers/live-client';
import { startProcess } from '../helpers/process';
import { TestRedisServer } from '../helpers/redis-server';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { TEST_ADMIN_TOKEN, expectData } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

type Reported = { failureReported: { taskId: string } };
type Instance = { child: ChildProcess; url: string; exited: Promise<number | null> };

/** Active subscriptions of a field, read from the instance's own /metrics. */
async function activeSubscriptions(instance: Instance, field: string): Promise<number> {
  const text = await (await fetch(instance.url.replace('/graphql', '/metrics'))).text();
  const match = new RegExp(`failuredesk_active_subscriptions\\{field="${field}"\\} (\\d+)`).exec(text);
  return Number(match?.[1] ?? 0);
}

describe('two server processes sharing live events through Redis (MariaDB)', () => {
  const redis = new TestRedisServer();
  let db: TestDatabase;
  let a: Instance;
  let b: Instance;
  let live: LiveClient | undefined;

  beforeAll(async () => {
    const redisUrl = await redis.start();
    db = await createTestDatabase();
    if (db.config.type !== 'mysql') throw new Error('this suite needs TEST_DATABASE_URL');
    const env = { DATABASE_URL: db.config.url, REDIS_URL: redisUrl, OUTBOX_POLL_INTERVAL_MS: '50' };
    a = await startProcess(env);
    b = await startProcess(env);
  }, 60_000);
  afterAll(async () => {
    await live?.dispose();
    for (const instance of [a, b]) {
      instance?.child.kill('SIGTERM');
      await instance?.exited;
    }
    await db.drop();
    await redis.stop();
  });

  it('shows on process B a failure reported on process A, and resumes after a Redis outage', async () => {
    const admin = <T>(query: string, variables: Record<string, unknown> = {}) => gql<T>(a.url, query, variables, TEST_ADMIN_TOKEN);
    const { createService } = expectData(await admin<{ createService: { token: string } }>(`mutation { createService(input: { name: "redis-svc", team: "ops" }) { token } }`));
    const { createApiToken } = expectData(await admin<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { role: VIEWER }) { token } }`));
    const reportOn = async (taskId: string) => expectData(await gql(a.url, REPORT_FAILURE, { input: report('redis-svc', { taskId }) }, createService.token));

    live = liveClient(b.url, createApiToken.token);
    const feed = live.subscribe<Reported>(`subscription { failureReported(filter: { service: "redis-svc" }) { taskId } }`);
    await eventually(async () => ((await activeSubscriptions(b, 'failureReported')) === 1 ? true : undefined));
    // B subscribes to the Redis channel asynchronously: report until the first event crosses over.
    let probe = 0;
    await eventually(async () => {
      await reportOn(`probe-${probe++}`);
      return feed.received.length > 0 ? true : undefined;
    }, 10_000, 200);
    await reportOn('before-outage');
    await feed.waitUntil((e) => e.failureReported.taskId === 'before-outage');

    await redis.stop();
    await eventually(async () => {
      const ready = (await (await fetch(a.url.replace('/graphql', '/readyz'))).json()) as { checks: { live: string } };
      return ready.checks.live.startsWith('degraded') ? true : undefined;
    });
    // Ingestion goes on without Redis: every report is stored and acknowledged.
    for (const taskId of ['during-1', 'during-2', 'during-3']) await reportOn(taskId);
    const ready = (await (await fetch(a.url.replace('/graphql', '/readyz'))).json()) as { ready: boolean };
    expect(ready.ready).toBe(true);

    await redis.start();
    for (const taskId of ['during-1', 'during-2', 'during-3']) await feed.waitUntil((e) => e.failureReported.taskId === taskId, 20_000);
    await reportOn('after-outage');
    await feed.waitUntil((e) => e.failureReported.taskId === 'after-outage', 10_000);
    const taskIds = feed.received.map((e) => e.failureReported.taskId);
    for (const taskId of ['before-outage', 'during-1', 'during-2', 'during-3', 'after-outage']) expect(taskIds.filter((id) => id === taskId)).toHaveLength(1);
  }, 60_000);
});
