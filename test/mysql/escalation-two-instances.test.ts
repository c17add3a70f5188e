import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { eventually } from '../helpers/deferred';
import { REPORT_FAILURES, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

const ROUTING_KEY = 'T'.repeat(32);

describe('two instances delivering escalations from one outbox (MariaDB)', () => {
  const pagerDuty = new FakePagerDuty({ routingKeys: [ROUTING_KEY] });
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    await pagerDuty.start();
    db = await createTestDatabase();
    const env = { CREDENTIALS_KEY: 'd'.repeat(64), PAGERDUTY_EVENTS_URL: pagerDuty.eventsUrl, OUTBOX_POLL_INTERVAL_MS: '10', ESCALATION_SWEEP_INTERVAL_MS: '50' };
    a = await startTestApp({ database: db, env });
    b = await startTestApp({ database: db, env });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
    await pagerDuty.close();
  });

  it('sends each page once, though both instances poll the same rows', async () => {
    const svc = await a.createService();
    expectData(await a.request(`mutation { setEscalationPolicy(input: { provider: PAGERDUTY, routingKey: "${ROUTING_KEY}", minSeverity: CRITICAL }) { id } }`));
    // A slow provider widens the window in which a second instance could grab the same row.
    pagerDuty.failNext(60, { kind: 'delay', ms: 30 });
    const input = Array.from({ length: 60 }, (_, i) => report(svc.name, { severity: 'CRITICAL', fingerprint: `pair-${i}` }));
    expectData(await a.request(REPORT_FAILURES, { input: input.slice(0, 30) }, svc.token));
    expectData(await b.request(REPORT_FAILURES, { input: input.slice(30) }, svc.token));

    await eventually(async () => (pagerDuty.received('trigger').length >= 60 ? true : undefined), 30_000);
    await eventually(async () => {
      const rows: Array<{ n: number | string }> = await a.app.dataSource.query("SELECT COUNT(*) AS n FROM incident_deliveries WHERE status = 'DELIVERED'");
      return Number(rows[0]!.n) === 60 ? true : undefined;
    });
    const triggers = pagerDuty.received('trigger');
    const keys = triggers.map((r) => (r.body as { dedup_key: string }).dedup_key);
    expect(new Set(keys).size).toBe(60);
    expect(keys).toHaveLength(60);
    expect(pagerDuty.alerts().every((alert) => alert.triggerCount === 1)).toBe(true);
    const incidents: Array<{ n: number | string }> = await a.app.dataSource.query('SELECT COUNT(*) AS n FROM incidents');
    expect(Number(incidents[0]!.n)).toBe(60);
  }, 60_000);
});
