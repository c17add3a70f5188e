import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../helpers/deferred';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

const DAY = 86_400_000;

describe('retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RETENTION_DAYS: '1', RETENTION_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('purges old closed failures in the background, keeps open and young ones, groups and statistics', async () => {
    const svc = await t.createService();
    const old = new Date(Date.now() - 3 * DAY);
    old.setUTCMinutes(0, 0, 0);
    const input = [
      report(svc.name, { taskId: 'old-1', occurredAt: old.toISOString() }),
      report(svc.name, { taskId: 'old-2', occurredAt: old.toISOString() }),
      report(svc.name, { taskId: 'old-open', occurredAt: old.toISOString() }),
      report(svc.name, { taskId: 'young' }),
    ];
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string; group: { id: string } }> } }>(REPORT_FAILURES, { input }, svc.token));
    const [old1, old2, , young] = reportFailures.failures;
    for (const f of [old1!, old2!, young!]) expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "test") { id } }`, { id: f.id }));

    const status = await eventually(async () => {
      const { retentionStatus } = expectData(await t.request<{ retentionStatus: { retentionDays: number; purgedTotal: number; lastRunAt: string | null } }>(`{ retentionStatus { retentionDays purgedTotal lastRunAt } }`));
      return retentionStatus.purgedTotal >= 2 ? retentionStatus : undefined;
    });
    expect(status).toMatchObject({ retentionDays: 1, purgedTotal: 2 });
    expect(status.lastRunAt).not.toBeNull();

    const { failures } = expectData(await t.request<{ failures: { edges: Array<{ node: { taskId: string } }> } }>(`query($s: String) { failures(filter: { service: $s }) { edges { node { taskId } } } }`, { s: svc.name }));
    expect(failures.edges.map((e) => e.node.taskId).sort()).toEqual(['old-open', 'young']);
    const { failureGroup } = expectData(await t.request<{ failureGroup: { count: number } }>(`query($id: ID!) { failureGroup(id: $id) { count } }`, { id: old1!.group.id }));
    expect(failureGroup.count).toBe(4);
    const { failureStats } = expectData(await t.request<{ failureStats: Array<{ points: Array<{ reported: number; discarded: number }> }> }>(
      `query($s: String, $from: DateTime!, $to: DateTime!) { failureStats(filter: { service: $s }, from: $from, to: $to, bucket: HOUR) { points { reported discarded } } }`,
      { s: svc.name, from: old.toISOString(), to: new Date(old.getTime() + 3600_000).toISOString() },
    ));
    expect(failureStats[0]!.points).toEqual([{ reported: 3, discarded: 2 }]);
    const metrics = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/failuredesk_failures_purged_total 2/);
  });
});
