import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { eventually } from '../helpers/deferred';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';

const ROUTING_KEY = 'B'.repeat(32);

describe('a burst of reports into one escalating group (MariaDB)', () => {
  const pagerDuty = new FakePagerDuty({ routingKeys: [ROUTING_KEY] });
  let t: TestApp;

  beforeAll(async () => {
    await pagerDuty.start();
    t = await startTestApp({ env: { CREDENTIALS_KEY: 'f'.repeat(64), PAGERDUTY_EVENTS_URL: pagerDuty.eventsUrl, ESCALATION_EVALUATE_COALESCE_MS: '0' } });
  });
  afterAll(async () => {
    await t.dispose();
    await pagerDuty.close();
  });

  // Reads inside the evaluation transaction use its own connection, so a burst of reports waiting on the
  // group's row lock could not starve the pool; with group commit this burst no longer fills the pool
  // either, so the test guards the outcome (everything stored, one incident), not that mechanism.
  it('stores every report of a burst into one escalating group and opens exactly one incident', async () => {
    const svc = await t.createService();
    expectData(await t.request(`mutation($s: String) { setEscalationPolicy(input: { service: $s, provider: PAGERDUTY, routingKey: "${ROUTING_KEY}", minSeverity: ERROR, thresholdCount: 10, groupWaitSeconds: 0 }) { id } }`, { s: svc.name }));
    // More requests in flight than the pool (20) has connections, all into one group's row lock.
    let next = 0;
    const results: Array<{ group: { id: string } }> = [];
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < 300) {
        const i = next++;
        results.push(expectData(await t.request<{ reportFailure: { group: { id: string } } }>(REPORT_FAILURE, { input: report(svc.name, { taskId: `burst-${i}`, fingerprint: 'one-group' }) }, svc.token)).reportFailure);
      }
    }));
    expect(new Set(results.map((r) => r.group.id)).size).toBe(1);
    const groupId = results[0]!.group.id;
    const { failureGroup } = expectData(await t.request<{ failureGroup: { count: number } }>(`query($id: ID!) { failureGroup(id: $id) { count } }`, { id: groupId }));
    expect(failureGroup.count).toBe(300);
    await eventually(async () => (pagerDuty.alerts().length === 1 ? true : undefined), 20_000);
    const { incidents } = expectData(await t.request<{ incidents: { totalCount: number } }>(`query($g: ID) { incidents(filter: { group: $g }) { totalCount } }`, { g: groupId }));
    expect(incidents.totalCount).toBe(1);
  }, 60_000);
});
