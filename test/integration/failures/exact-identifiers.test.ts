import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

/**
 * Identifiers are compared exactly on both engines: case, accents and trailing spaces make
 * different keys (surrounding spaces are trimmed on input). (MariaDB's default collation once merged them: a report whose idempotency key
 * differed only in case was taken for a duplicate and lost.)
 */
describe('identifiers compare byte for byte', () => {
  let t: TestApp;
  let svc: { name: string; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    svc = await t.createService();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('stores reports whose idempotency keys differ only in case or accents', async () => {
    const keys = ['Order-7', 'order-7', 'ORDER-7', 'ordér-7'];
    const input = keys.map((idempotencyKey) => report(svc.name, { idempotencyKey }));
    const result = expectData(await t.request<{ reportFailures: { accepted: number; duplicates: number; failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input }, svc.token));
    expect(result.reportFailures).toMatchObject({ accepted: 4, duplicates: 0 });
    expect(new Set(result.reportFailures.failures.map((f) => f.id)).size).toBe(4);
    // The same keys again are duplicates, each of its own original.
    const again = expectData(await t.request<{ reportFailures: { accepted: number; duplicates: number; failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input }, svc.token));
    expect(again.reportFailures).toMatchObject({ accepted: 0, duplicates: 4 });
    expect(again.reportFailures.failures.map((f) => f.id)).toEqual(result.reportFailures.failures.map((f) => f.id));
  });

  it('keeps task types and error types apart in filters, groups and statistics', async () => {
    const occurredAt = '2026-03-04T05:06:00Z';
    expectData(
      await t.request(
        REPORT_FAILURES,
        {
          input: [
            report(svc.name, { taskType: 'mail', errorType: 'Timeout', occurredAt }),
            report(svc.name, { taskType: 'Mail', errorType: 'timeout', occurredAt }),
            report(svc.name, { taskType: 'Mail', errorType: 'timeout', occurredAt }),
          ],
        },
        svc.token,
      ),
    );
    const counts = expectData(
      await t.request<{ lower: { totalCount: number }; upper: { totalCount: number }; groups: { totalCount: number }; failureStats: Array<{ key: string; points: Array<{ reported: number }> }> }>(
        `query($s: String) {
          lower: failures(filter: { service: $s, taskType: "mail" }) { totalCount }
          upper: failures(filter: { service: $s, taskType: "Mail" }) { totalCount }
          groups: failureGroups(filter: { service: $s, errorType: "Timeout" }) { totalCount }
          failureStats(filter: { service: $s }, from: "2026-03-04T05:00:00Z", to: "2026-03-04T07:00:00Z", bucket: HOUR, groupBy: TASK_TYPE) { key points { reported } }
        }`,
        { s: svc.name },
      ),
    );
    expect(counts.lower.totalCount).toBe(1);
    expect(counts.upper.totalCount).toBe(2);
    expect(counts.groups.totalCount).toBe(1);
    const byKey = Object.fromEntries(counts.failureStats.filter((s) => s.key === 'mail' || s.key === 'Mail').map((s) => [s.key, s.points.map((p) => p.reported)]));
    expect(byKey).toEqual({ mail: [1, 0], Mail: [2, 0] });
  });
});
