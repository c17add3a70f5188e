import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeReportingService } from '../../fakes/fake-reporting-service';
import { eventually } from '../../helpers/deferred';
import { REPORT_FAILURE, report } from '../../helpers/reports';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';
import { createTestDatabase } from '../../helpers/test-database';

const FAILURE_STATE = `query($id: ID!) { failure(id: $id) { status attempt errorMessage history { action actor note } group { status openCount } } }`;
type FailureState = { failure: { status: string; attempt: number; errorMessage: string; history: Array<{ action: string; actor: string; note: string | null }>; group: { status: string; openCount: number } } };

async function reportOne(t: TestApp, svc: { name: string; token: string }, overrides: Record<string, unknown> = {}): Promise<string> {
  return expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name, overrides) }, svc.token)).reportFailure.id;
}

describe('retries through the signed webhook', () => {
  let t: TestApp;
  let hook: FakeReportingService;
  let operator: string;
  beforeAll(async () => {
    t = await startTestApp();
    operator = await t.createToken('OPERATOR');
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    hook = new FakeReportingService();
    await hook.start();
  });
  afterEach(async () => {
    await hook.stop();
  });

  it('delivers a signed retry request, and completeRetry closes the failure and resolves the group', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    hook.secret = svc.secret;
    const id = await reportOne(t, svc, { payload: { invoiceId: 7 } });
    const retried = expectData(await t.request<{ retryFailure: { status: string } }>(`mutation($id: ID!) { retryFailure(id: $id, note: "smtp is back") { status } }`, { id }, operator));
    expect(retried.retryFailure.status).toBe('RETRYING');

    await hook.waitFor(1);
    const [request] = hook.received;
    expect(request!.signatureValid).toBe(true);
    expect(request!.body).toMatchObject({ failureId: id, service: svc.name, attempt: 2, payload: { invoiceId: 7 } });
    expect(request!.headers['x-failure-desk-request-id']).toBe(request!.body.requestId);

    expectData(await t.request(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: true) { status } }`, { id }, svc.token));
    const state = expectData(await t.request<FailureState>(FAILURE_STATE, { id }));
    expect(state.failure.status).toBe('SUCCEEDED');
    expect(state.failure.group).toEqual({ status: 'RESOLVED', openCount: 0 });
    expect(state.failure.history.map((h) => h.action)).toEqual(['REPORTED', 'RETRY_REQUESTED', 'RETRY_SUCCEEDED']);
    expect(state.failure.history[1]!.note).toBe('smtp is back');
  });

  it('counts a failed retry as the next attempt and keeps the failure open', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    const id = await reportOne(t, svc);
    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
    expectData(await t.request(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: false, errorMessage: "still down, password=hunter2") { status } }`, { id }, svc.token));
    const state = expectData(await t.request<FailureState>(FAILURE_STATE, { id }));
    expect(state.failure).toMatchObject({ status: 'FAILED', attempt: 2, group: { status: 'OPEN', openCount: 1 } });
    expect(state.failure.errorMessage).toContain('still down');
    expect(state.failure.errorMessage).not.toContain('hunter2');
  });

  it('tries again after a 503 and delivers once the service is healthy', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    let calls = 0;
    hook.respondWith = () => (++calls === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 });
    const id = await reportOne(t, svc);
    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
    await hook.waitFor(2);
    expect(new Set(hook.received.map((r) => r.body.requestId)).size).toBe(1);
    const rows: Array<{ status: string; attempts: number }> = await eventually(async () => {
      const r: Array<{ status: string; attempts: number }> = await t.app.dataSource.query("SELECT status, attempts FROM outbox WHERE kind = 'retry.webhook' AND ordering_key = ?", [`failure:${id}`]);
      return r[0]?.status === 'DONE' ? r : undefined;
    });
    expect(Number(rows[0]!.attempts)).toBe(2);
  });

  it('gives up on a 4xx at once and puts the failure back to FAILED, saying why', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    hook.respondWith = () => ({ status: 410 });
    const id = await reportOne(t, svc);
    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
    const state = await eventually(async () => {
      const s = expectData(await t.request<FailureState>(FAILURE_STATE, { id }));
      return s.failure.status === 'FAILED' ? s : undefined;
    });
    expect(hook.received).toHaveLength(1);
    expect(state.failure.history.at(-1)).toMatchObject({ action: 'RETRY_UNDELIVERABLE', actor: 'failure-desk', note: 'Retry webhook answered HTTP 410' });
  });

  it('refuses a retry for a service that cannot receive one', async () => {
    const svc = await t.createService({ retryWebhookUrl: null });
    const id = await reportOne(t, svc);
    const result = await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator);
    expect(errorCode(result)).toBe('CONFLICT');
    expect(result.body.errors![0]!.message).toMatch(/no way to receive retries/);
    expect(expectData(await t.request<FailureState>(FAILURE_STATE, { id })).failure.status).toBe('FAILED');
  });

  it('retries a whole group and reports how many failures it touched', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    const ids = [await reportOne(t, svc), await reportOne(t, svc), await reportOne(t, svc)];
    const { failure } = expectData(await t.request<{ failure: { group: { id: string } } }>(`query($id: ID!) { failure(id: $id) { group { id } } }`, { id: ids[0] }));
    expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "test data") { status } }`, { id: ids[2] }, operator));
    const result = expectData(await t.request<{ retryFailureGroup: { affected: number; group: { openCount: number } } }>(
      `mutation($id: ID!) { retryFailureGroup(id: $id, note: "bulk") { affected group { openCount } } }`,
      { id: failure.group.id },
      operator,
    ));
    expect(result.retryFailureGroup).toEqual({ affected: 2, group: { openCount: 2 } });
    await hook.waitFor(2);
    expect(new Set(hook.received.map((r) => r.body.failureId))).toEqual(new Set(ids.slice(0, 2)));
  });
});

describe('retry delivery across a restart', () => {
  it('delivers a retry requested before the restart once the service is back', async () => {
    const db = await createTestDatabase();
    // The service is down while the first instance runs: its port is known, nothing listens.
    const hook = new FakeReportingService();
    await hook.start();
    const port = hook.port;
    const url = hook.url;
    await hook.stop();

    const first = await startTestApp({ database: db });
    const svc = await first.createService({ retryWebhookUrl: url });
    const operator = await first.createToken('OPERATOR');
    const id = await reportOne(first, svc);
    expectData(await first.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
    await eventually(async () => {
      const rows: Array<{ attempts: number }> = await first.app.dataSource.query("SELECT attempts FROM outbox WHERE kind = 'retry.webhook'");
      return Number(rows[0]?.attempts) >= 1 ? true : undefined;
    });
    await first.stop();

    const revived = new FakeReportingService();
    revived.secret = svc.secret;
    await revived.start(port);
    const second = await startTestApp({ database: db });
    try {
      await revived.waitFor(1);
      expect(revived.received).toHaveLength(1);
      expect(revived.received[0]!.body.failureId).toBe(id);
      expect(revived.received[0]!.signatureValid).toBe(true);
    } finally {
      await second.dispose();
      await revived.stop();
    }
  });
});
