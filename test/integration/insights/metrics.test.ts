import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../helpers/deferred';
import { REPORT_FAILURE, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

describe('incident and close-time metrics', () => {
  let t: TestApp;
  let clock = Date.parse('2026-05-04T08:00:00Z');
  const tick = (seconds: number) => (clock += seconds * 1000);

  beforeAll(async () => {
    t = await startTestApp({
      env: { CREDENTIALS_KEY: '9'.repeat(64), PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:9/v2/enqueue' },
      overrides: { now: () => new Date(clock) },
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('measures time to acknowledge and to resolve incidents, and time to close failures per service', async () => {
    const svc = await t.createService();
    const operator = await t.createToken('OPERATOR');
    expectData(await t.request(`mutation($s: String) { setEscalationPolicy(input: { service: $s, provider: PAGERDUTY, routingKey: "${'m'.repeat(32)}", minSeverity: CRITICAL }) { id } }`, { s: svc.name }));
    const start = new Date(clock);

    const incidentIds: string[] = [];
    const failureIds: string[] = [];
    for (const [ack, resolve] of [[60, 300], [120, 600], [null, 900]] as const) {
      const { reportFailure } = expectData(await t.request<{ reportFailure: { id: string; group: { id: string } } }>(REPORT_FAILURE, { input: report(svc.name, { severity: 'CRITICAL', fingerprint: `m-${ack}-${resolve}`, occurredAt: new Date(clock).toISOString() }) }, svc.token));
      failureIds.push(reportFailure.id);
      const id = await eventually(async () => {
        const { incidents } = expectData(await t.request<{ incidents: { edges: Array<{ node: { id: string } }> } }>(`query($g: ID) { incidents(filter: { group: $g }) { edges { node { id } } } }`, { g: reportFailure.group.id }));
        return incidents.edges[0]?.node.id;
      });
      incidentIds.push(id);
      const triggered = clock;
      if (ack !== null) {
        clock = triggered + ack * 1000;
        expectData(await t.request(`mutation($id: ID!) { acknowledgeIncident(id: $id) { status } }`, { id }, operator));
      }
      clock = triggered + resolve * 1000;
      expectData(await t.request(`mutation($id: ID!) { resolveIncident(id: $id) { status } }`, { id }, operator));
      // The failure itself is closed by hand 30 s later still.
      tick(30);
      expectData(await t.request(`mutation($id: ID!) { resolveFailure(id: $id, note: "done") { status } }`, { id: reportFailure.id }, operator));
      clock = triggered;
    }
    const { incidentMetrics } = expectData(await t.request<{ incidentMetrics: { incidents: number; acknowledged: number; resolved: number; mttaSeconds: number; mttrSeconds: number; p90ResolveSeconds: number; failureCloseTimes: Array<{ service: { name: string }; closed: number; medianSeconds: number; p90Seconds: number }> } }>(
      `query($s: String, $from: DateTime!, $to: DateTime!) { incidentMetrics(filter: { service: $s }, from: $from, to: $to) {
        incidents acknowledged resolved mttaSeconds mttrSeconds p90ResolveSeconds failureCloseTimes { service { name } closed medianSeconds p90Seconds } } }`,
      { s: svc.name, from: start.toISOString(), to: new Date(start.getTime() + 3_600_000).toISOString() },
    ));
    expect(incidentMetrics).toMatchObject({ incidents: 3, acknowledged: 2, resolved: 3, mttaSeconds: 90, mttrSeconds: 600, p90ResolveSeconds: 900 });
    // Failures closed 330, 630 and 930 s after their report: the histogram answers within 12.5% above.
    const [closeTimes] = incidentMetrics.failureCloseTimes;
    expect(closeTimes!.service.name).toBe(svc.name);
    expect(closeTimes!.closed).toBe(3);
    expect(closeTimes!.medianSeconds).toBeGreaterThanOrEqual(630);
    expect(closeTimes!.medianSeconds).toBeLessThanOrEqual(630 * 1.125);
    expect(closeTimes!.p90Seconds).toBeGreaterThanOrEqual(930);
    expect(closeTimes!.p90Seconds).toBeLessThanOrEqual(930 * 1.125);
  });
});
