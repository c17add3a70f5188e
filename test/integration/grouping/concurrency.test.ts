import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

type Reported = { reportFailure: { id: string; group: { id: string } } };

/** Runs `tasks` with at most `limit` in flight: enough concurrency to contend, without exhausting sockets. */
async function inParallel<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

describe('group counters and idempotency under concurrency', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('makes one group with count 500 from 500 concurrent first reports of a new pattern', async () => {
    const svc = await t.createService();
    const results = await inParallel(500, 64, (i) =>
      t.request<Reported>(REPORT_FAILURE, { input: report(svc.name, { taskId: `order-${i}`, errorMessage: `order ${i} failed: deadline exceeded after ${i}ms` }) }, svc.token),
    );
    const groupIds = new Set(results.map((r) => expectData(r).reportFailure.group.id));
    expect(groupIds.size).toBe(1);
    const [groupId] = [...groupIds];
    const { failureGroup } = expectData(await t.request<{ failureGroup: { count: number; openCount: number } }>(`query($id: ID!) { failureGroup(id: $id) { count openCount } }`, { id: groupId }));
    expect(failureGroup).toEqual({ count: 500, openCount: 500 });
    const rows: Array<{ n: number | string }> = await t.app.dataSource.query('SELECT COUNT(*) AS n FROM failures WHERE group_id = ?', [groupId]);
    expect(Number(rows[0]!.n)).toBe(500);
  });

  it('stores one failure when the same idempotency key arrives 50 times at once', async () => {
    const svc = await t.createService();
    const same = report(svc.name, { taskId: 'payment-7', attempt: 2 });
    const results = await inParallel(50, 50, () => t.request<Reported>(REPORT_FAILURE, { input: same }, svc.token));
    const ids = new Set(results.map((r) => expectData(r).reportFailure.id));
    expect(ids.size).toBe(1);
    const { failures } = expectData(await t.request<{ failures: { totalCount: number } }>(`query($s: String) { failures(filter: { service: $s }) { totalCount } }`, { s: svc.name }));
    expect(failures.totalCount).toBe(1);
    const groups = expectData(await t.request<{ failureGroups: { edges: Array<{ node: { count: number } }> } }>(`query($s: String) { failureGroups(filter: { service: $s }) { edges { node { count } } } }`, { s: svc.name }));
    expect(groups.failureGroups.edges.map((e) => e.node.count)).toEqual([1]);
  });

  it('counts overlapping concurrent batches exactly', async () => {
    const svc = await t.createService();
    // Ten batches of 100 over 300 distinct keys: every key is sent by several batches at once.
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 100 }, (_, i) => report(svc.name, { taskId: `job-${(b * 37 + i) % 300}` })));
    const results = await Promise.all(batches.map((input) => t.request<{ reportFailures: { accepted: number; duplicates: number } }>(REPORT_FAILURES, { input }, svc.token)));
    const accepted = results.reduce((sum, r) => sum + expectData(r).reportFailures.accepted, 0);
    const duplicates = results.reduce((sum, r) => sum + expectData(r).reportFailures.duplicates, 0);
    const distinct = new Set(batches.flat().map((r) => r.taskId)).size;
    expect(accepted).toBe(distinct);
    expect(accepted + duplicates).toBe(1000);
    const groups = expectData(await t.request<{ failureGroups: { edges: Array<{ node: { count: number } }> } }>(`query($s: String) { failureGroups(filter: { service: $s }) { edges { node { count } } } }`, { s: svc.name }));
    expect(groups.failureGroups.edges.reduce((sum, e) => sum + e.node.count, 0)).toBe(distinct);
  });
});
