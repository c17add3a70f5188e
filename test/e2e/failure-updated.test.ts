import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeReportingService } from '../fakes/fake-reporting-service';
import { eventually } from '../helpers/deferred';
import { type LiveClient, liveClient, waitForSubscriptions } from '../helpers/live-client';
import { REPORT_FAILURES, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';

const FAILURE_UPDATED = `subscription($f: LiveFailureFilter) { failureUpdated(filter: $f) { id status attempt service { name } group { id openCount } } }`;
type Updated = { failureUpdated: { id: string; status: string; attempt: number; service: { name: string }; group: { id: string; openCount: number } } };

describe('failureUpdated over graphql-ws', () => {
  let t: TestApp;
  let hook: FakeReportingService;
  let viewer: string;
  let operator: string;
  let clients: LiveClient[] = [];
  const connect = (token: string) => {
    const c = liveClient(t.url, token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    hook = new FakeReportingService();
    await hook.start();
    t = await startTestApp({ env: { LIVE_COALESCE_MS: '100' } });
    viewer = await t.createToken('VIEWER');
    operator = await t.createToken('OPERATOR');
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
    await waitForSubscriptions(t.app, 'failureUpdated', 0);
  });
  afterAll(async () => {
    await t.dispose();
    await hook.stop();
  });

  const reportThree = async (svc: { name: string; token: string }) => {
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string; group: { id: string } }> } }>(
      REPORT_FAILURES,
      {
        input: [
          report(svc.name, { taskId: 'a' }),
          report(svc.name, { taskId: 'b' }),
          report(svc.name, { taskId: 'c', severity: 'CRITICAL', errorType: 'LedgerLocked', errorMessage: 'Ledger locked by batch 7' }),
        ],
      },
      svc.token,
    ));
    const [a, b, c] = reportFailures.failures;
    return { a: a!, b: b!, c: c! };
  };

  it('shows each status change to the subscribers whose filter matches, and to no others', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    const { a, b, c } = await reportThree(svc);
    const live = connect(viewer);
    const onlyA = live.subscribe<Updated>(FAILURE_UPDATED, { f: { id: a.id } });
    const all = live.subscribe<Updated>(FAILURE_UPDATED, { f: { service: svc.name } });
    const critical = live.subscribe<Updated>(FAILURE_UPDATED, { f: { service: svc.name, severity: ['CRITICAL'], errorMessage: 'ledger LOCKED' } });
    await waitForSubscriptions(t.app, 'failureUpdated', 3);
    const seen = (sub: typeof all, id: string, status: string) => sub.waitUntil((u) => u.failureUpdated.id === id && u.failureUpdated.status === status);

    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id: a.id }, operator));
    const retrying = await seen(onlyA, a.id, 'RETRYING');
    expect(retrying.failureUpdated).toMatchObject({ attempt: 1, service: { name: svc.name }, group: { id: a.group.id } });

    expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "order was cancelled") { status } }`, { id: b.id }, operator));
    await seen(all, b.id, 'DISCARDED');
    // A group action moves each of its failures: each one is an update.
    expectData(await t.request(`mutation($id: ID!) { resolveFailureGroup(id: $id, note: "released the lock") { affected } }`, { id: c.group.id }, operator));
    const resolved = await seen(critical, c.id, 'RESOLVED');
    expect(resolved.failureUpdated.group).toEqual({ id: c.group.id, openCount: 0 });
    await seen(all, c.id, 'RESOLVED');

    // B's and C's updates reached the catch-all subscriber before this last change was made, so
    // had they passed A's filter, they would have reached it before this one.
    expectData(await t.request(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: false, errorMessage: "still refused") { status } }`, { id: a.id }, svc.token));
    await onlyA.waitUntil((u) => u.failureUpdated.status === 'FAILED');
    expect(onlyA.received.map((u) => [u.failureUpdated.id, u.failureUpdated.status, u.failureUpdated.attempt])).toEqual([
      [a.id, 'RETRYING', 1],
      [a.id, 'FAILED', 2],
    ]);
    expect(critical.received.map((u) => [u.failureUpdated.id, u.failureUpdated.status])).toEqual([[c.id, 'RESOLVED']]);
    await seen(all, a.id, 'FAILED');
    expect(all.received.map((u) => [u.failureUpdated.id, u.failureUpdated.status])).toEqual([
      [a.id, 'RETRYING'],
      [b.id, 'DISCARDED'],
      [c.id, 'RESOLVED'],
      [a.id, 'FAILED'],
    ]);
  });

  it('sends nothing about newly reported failures, which failureReported shows', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    const live = connect(viewer);
    const updates = live.subscribe<Updated>(FAILURE_UPDATED, { f: { service: svc.name } });
    await waitForSubscriptions(t.app, 'failureUpdated', 1);
    const { a } = await reportThree(svc);
    expectData(await t.request(`mutation($id: ID!) { resolveFailure(id: $id, note: "fixed the config") { status } }`, { id: a.id }, operator));
    await updates.waitUntil((u) => u.failureUpdated.id === a.id);
    expect(updates.received.map((u) => [u.failureUpdated.id, u.failureUpdated.status])).toEqual([[a.id, 'RESOLVED']]);
  });

  it('refuses a REPORTER token, which does not read the desk', async () => {
    const svc = await t.createService();
    const sub = connect(svc.token).subscribe(FAILURE_UPDATED, { f: { service: svc.name } });
    await eventually(async () => (sub.errors.length ? true : undefined));
    expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
  });
});

describe('failureUpdated when a retry times out', () => {
  let t: TestApp;
  let hook: FakeReportingService;
  let live: LiveClient | undefined;

  beforeAll(async () => {
    hook = new FakeReportingService();
    await hook.start();
    t = await startTestApp({ env: { RETRY_TIMEOUT_SECONDS: '1' } });
  });
  afterAll(async () => {
    await live?.dispose();
    await t.dispose();
    await hook.stop();
  });

  it('shows the failure back in FAILED once nobody completed its retry in time', async () => {
    const svc = await t.createService({ retryWebhookUrl: hook.url });
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input: [report(svc.name)] }, svc.token));
    const id = reportFailures.failures[0]!.id;
    live = liveClient(t.url, await t.createToken('VIEWER'));
    const updates = live.subscribe<Updated>(FAILURE_UPDATED, { f: { id } });
    await waitForSubscriptions(t.app, 'failureUpdated', 1);
    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, await t.createToken('OPERATOR')));
    const back = await updates.waitUntil((u) => u.failureUpdated.status === 'FAILED');
    expect(back.failureUpdated).toMatchObject({ id, attempt: 1 });
    const { failure } = expectData(await t.request<{ failure: { history: Array<{ action: string }> } }>(`query($id: ID!) { failure(id: $id) { history { action } } }`, { id }));
    expect(failure.history.map((h) => h.action)).toEqual(['REPORTED', 'RETRY_REQUESTED', 'RETRY_TIMED_OUT']);
  });
});
