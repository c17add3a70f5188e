import { afterAll, describe, expect, it } from '@jest/globals';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { eventually } from '../helpers/deferred';
import { gql } from '../helpers/gql';
import { startProcess } from '../helpers/process';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { TEST_ADMIN_TOKEN, expectData } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

const ROUTING_KEY = 'K'.repeat(32);

describe('a crash in the middle of a page', () => {
  const pagerDuty = new FakePagerDuty({ routingKeys: [ROUTING_KEY] });
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await pagerDuty.close();
    await db?.drop();
  });

  it('pages after a restart when the process was killed while the provider had not answered', async () => {
    await pagerDuty.start();
    db = await createTestDatabase();
    const env = {
      ...(db.config.type === 'mysql' ? { DATABASE_URL: db.config.url } : { DATABASE_URL: `sqlite:${db.config.path}` }),
      CREDENTIALS_KEY: 'e'.repeat(64),
      PAGERDUTY_EVENTS_URL: pagerDuty.eventsUrl,
      PROVIDER_TIMEOUT_MS: '1000',
      OUTBOX_LEASE_MS: '1500', // a claimed row becomes visible again 1.5 s after a crash
      OUTBOX_POLL_INTERVAL_MS: '50',
      RETRY_WEBHOOK_TIMEOUT_MS: '1000',
    };
    const first = await startProcess(env);
    const admin = (query: string, url = first.url) => gql(url, query, {}, TEST_ADMIN_TOKEN);
    const { createService } = expectData(await gql<{ createService: { token: string } }>(first.url, `mutation { createService(input: { name: "crash-svc", team: "ops" }) { token } }`, {}, TEST_ADMIN_TOKEN));
    expectData(await admin(`mutation { setEscalationPolicy(input: { provider: PAGERDUTY, routingKey: "${ROUTING_KEY}", minSeverity: CRITICAL }) { id } }`));

    pagerDuty.failNext(1, { kind: 'hang' });
    expectData(await gql(first.url, REPORT_FAILURE, { input: report('crash-svc', { severity: 'CRITICAL' }) }, createService.token));
    await pagerDuty.waitForRequests(1);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(pagerDuty.alerts()).toHaveLength(0);

    const second = await startProcess(env);
    try {
      await eventually(async () => (pagerDuty.alerts().length > 0 ? true : undefined), 20_000);
      const { incidents } = expectData(await gql<{ incidents: { edges: Array<{ node: { externalKey: string; deliveries: Array<{ status: string }> } }> } }>(second.url, `{ incidents { edges { node { externalKey deliveries { status } } } } }`, {}, TEST_ADMIN_TOKEN));
      expect(incidents.edges).toHaveLength(1);
      const [alert] = pagerDuty.alerts();
      expect(alert).toMatchObject({ dedupKey: incidents.edges[0]!.node.externalKey, status: 'triggered', triggerCount: 1 });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 60_000);
});
