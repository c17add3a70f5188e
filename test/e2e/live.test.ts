import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { FakeReportingService } from '../fakes/fake-reporting-service';
import { eventually } from '../helpers/deferred';
import { type LiveClient, liveClient, waitForSubscriptions } from '../helpers/live-client';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';

const FAILURE_REPORTED = `subscription($f: LiveFailureFilter) { failureReported(filter: $f) { id taskId severity service { name } group { id count } } }`;
type Reported = { failureReported: { id: string; taskId: string; severity: string; service: { name: string }; group: { id: string; count: number } } };

describe('live feeds over graphql-ws', () => {
  let t: TestApp;
  let viewer: string;
  let operator: string;
  let clients: LiveClient[] = [];
  const connect = (token: string | null) => {
    const c = liveClient(t.url, token);
    clients.push(c);
    return c;
  };
  // Each test starts with no subscription left over from the one before.
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
    for (const field of ['failureReported', 'failureGroupUpdated', 'retryRequested']) await waitForSubscriptions(t.app, field, 0);
  });

  beforeAll(async () => {
    t = await startTestApp({ env: { LIVE_COALESCE_MS: '300', RETRY_TIMEOUT_SECONDS: '1', LIVE_BUFFER_LIMIT: '20', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' } });
    viewer = await t.createToken('VIEWER');
    operator = await t.createToken('OPERATOR');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('shows a viewer a failure reported over HTTP, with its service and group', async () => {
    const svc = await t.createService();
    const live = connect(viewer);
    const sub = live.subscribe<Reported>(FAILURE_REPORTED, { f: { service: svc.name } });
    await waitForSubscriptions(t.app, 'failureReported', 1);
    const stored = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name, { taskId: 'live-1' }) }, svc.token));
    const [event] = await sub.waitFor(1);
    expect(event!.failureReported).toMatchObject({ id: stored.reportFailure.id, taskId: 'live-1', service: { name: svc.name }, group: { count: 1 } });
    sub.unsubscribe();
  });

  it('includes and excludes by service, pattern, task type and minimum severity', async () => {
    const a = await t.createService();
    const b = await t.createService();
    const live = connect(viewer);
    const severe = live.subscribe<Reported>(FAILURE_REPORTED, { f: { service: a.name, minSeverity: 'ERROR' } });
    const polling = live.subscribe<Reported>(FAILURE_REPORTED, { f: { pattern: 'DB_POLLING', taskType: 'sync-ledger' } });
    await waitForSubscriptions(t.app, 'failureReported', 2);
    // One batch is one event on the bus: what each subscriber receives of it is decided by its filter alone.
    expectData(await t.request(REPORT_FAILURES, { input: [
      report(a.name, { taskId: 'a-warning', severity: 'WARNING' }),
      report(a.name, { taskId: 'a-critical', severity: 'CRITICAL', pattern: 'DB_POLLING', taskType: 'sync-ledger' }),
      report(a.name, { taskId: 'a-error', severity: 'ERROR' }),
    ] }, a.token));
    expectData(await t.request(REPORT_FAILURES, { input: [report(b.name, { taskId: 'b-error', severity: 'CRITICAL', pattern: 'DB_POLLING', taskType: 'sync-ledger' })] }, b.token));
    await severe.waitFor(2);
    await polling.waitFor(2);
    expect(severe.received.map((r) => r.failureReported.taskId)).toEqual(['a-critical', 'a-error']);
    expect(polling.received.map((r) => r.failureReported.taskId).sort()).toEqual(['a-critical', 'b-error']);
  });

  it('refuses a socket without a valid token with close code 4403', async () => {
    for (const token of [null, 'fd_not-a-real-token']) {
      const live = connect(token);
      await expect(live.connected).rejects.toMatchObject({ code: 4403 });
    }
  });

  it('lets only the owning service subscribe to its retries, and viewers not at all', async () => {
    const owner = await t.createService();
    const other = await t.createService();
    for (const token of [other.token, viewer]) {
      const sub = connect(token).subscribe(`subscription($s: String!) { retryRequested(service: $s) { requestId } }`, { s: owner.name });
      await eventually(async () => (sub.errors.length ? true : undefined));
      expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
    }
  });

  it('refuses a subscription over the per-connection limit and a document over the alias limit', async () => {
    const live = connect(viewer);
    const subs = Array.from({ length: 4 }, () => live.subscribe(FAILURE_REPORTED));
    await eventually(async () => (subs[3]!.errors.length ? true : undefined));
    expect(JSON.stringify(subs[3]!.errors)).toContain('At most 3 operations may run on one connection');
    expect(subs.slice(0, 3).every((s) => s.errors.length === 0)).toBe(true);

    const aliases = Array.from({ length: 31 }, (_, i) => `x${i}: group { id }`).join(' ');
    const tooDeep = connect(viewer).subscribe(`subscription { failureReported { ${aliases} } }`);
    await eventually(async () => (tooDeep.errors.length ? true : undefined));
    expect(JSON.stringify(tooDeep.errors)).toContain('more than 30 aliases');
    expect(JSON.stringify(tooDeep.errors)).toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('sends a retry to the service subscriber rather than its webhook, and completeRetry closes it', async () => {
    const hook = new FakeReportingService();
    await hook.start();
    try {
      const svc = await t.createService({ retryWebhookUrl: hook.url });
      const id = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name, { payload: { orderId: 99 } }) }, svc.token)).reportFailure.id;
      const worker = connect(svc.token);
      const retries = worker.subscribe<{ retryRequested: { requestId: string; attempt: number; failure: { id: string; payload: unknown } } }>(
        `subscription($s: String!) { retryRequested(service: $s) { requestId attempt failure { id payload } } }`,
        { s: svc.name },
      );
      await waitForSubscriptions(t.app, 'retryRequested', 1);
      expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
      const [request] = await retries.waitFor(1);
      expect(request!.retryRequested).toMatchObject({ attempt: 2, failure: { id, payload: { orderId: 99 } } });
      const done = expectData(await t.request<{ completeRetry: { status: string; group: { status: string } } }>(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: true) { status group { status } } }`, { id }, svc.token));
      expect(done.completeRetry).toEqual({ status: 'SUCCEEDED', group: { status: 'RESOLVED' } });
      expect(hook.received).toHaveLength(0);
      retries.unsubscribe();
    } finally {
      await hook.stop();
    }
  });

  it('puts a retry nobody completes back to FAILED after the timeout, saying so', async () => {
    const svc = await t.createService();
    const id = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token)).reportFailure.id;
    const worker = connect(svc.token);
    const retries = worker.subscribe(`subscription($s: String!) { retryRequested(service: $s) { requestId } }`, { s: svc.name });
    await waitForSubscriptions(t.app, 'retryRequested', 1);
    expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }, operator));
    await retries.waitFor(1);
    const history = await eventually(async () => {
      const f = expectData(await t.request<{ failure: { status: string; history: Array<{ action: string; note: string | null }> } }>(`query($id: ID!) { failure(id: $id) { status history { action note } } }`, { id }));
      return f.failure.status === 'FAILED' ? f.failure.history : undefined;
    });
    expect(history.at(-1)).toEqual({ action: 'RETRY_TIMED_OUT', note: 'no completeRetry within 1 s' });
    retries.unsubscribe();
  });

  it('coalesces a burst of group changes into a few events carrying the latest counters', async () => {
    const svc = await t.createService();
    const first = expectData(await t.request<{ reportFailure: { group: { id: string } } }>(REPORT_FAILURE, { input: report(svc.name, { taskId: 'burst-0' }) }, svc.token));
    const groupId = first.reportFailure.group.id;
    const live = connect(viewer);
    const updates = live.subscribe<{ failureGroupUpdated: { id: string; count: number } }>(`subscription($f: LiveFailureGroupFilter) { failureGroupUpdated(filter: $f) { id count } }`, { f: { id: groupId } });
    await waitForSubscriptions(t.app, 'failureGroupUpdated', 1);
    const started = Date.now();
    for (let batch = 0; batch < 20; batch++) {
      expectData(await t.request(REPORT_FAILURES, { input: Array.from({ length: 10 }, (_, i) => report(svc.name, { taskId: `burst-${batch}-${i}` })) }, svc.token));
    }
    await updates.waitUntil((u) => u.failureGroupUpdated.count === 201);
    const windows = Math.ceil((Date.now() - started) / 300) + 1;
    // 20 transactions changed the group; at most one event per 300 ms window went out.
    expect(updates.received.length).toBeLessThanOrEqual(windows + 1);
    expect(updates.received.length).toBeLessThan(20);
    expect(updates.received.every((u) => u.failureGroupUpdated.id === groupId)).toBe(true);
  });

  it('closes a socket that stops reading, and keeps serving the others', async () => {
    const svc = await t.createService();
    const healthy = connect(viewer).subscribe<Reported>(FAILURE_REPORTED, { f: { service: svc.name } });
    const slowSocket = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => slowSocket.once('open', resolve));
    slowSocket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${viewer}` } }));
    await new Promise((resolve) => slowSocket.once('message', resolve)); // connection_ack
    slowSocket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription($f: LiveFailureFilter) { failureReported(filter: $f) { id payload } }`, variables: { f: { service: svc.name } } } }));
    await waitForSubscriptions(t.app, 'failureReported', 2);
    const closed = new Promise<number>((resolve) => slowSocket.once('close', (code) => resolve(code)));
    (slowSocket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const dropped = async () => (await t.app.metrics.slowConsumersDropped.get()).values[0]?.value ?? 0;
    const before = await dropped();
    const big = 'x'.repeat(60_000);
    let sent = 0;
    while ((await dropped()) === before && sent < 400) {
      expectData(await t.request(REPORT_FAILURES, { input: Array.from({ length: 10 }, (_, i) => report(svc.name, { taskId: `slow-${sent + i}`, payload: { big } })) }, svc.token));
      sent += 10;
    }
    expect(await dropped()).toBe(before + 1);
    await healthy.waitFor(sent, 20_000);
    expect(healthy.received).toHaveLength(sent);
    (slowSocket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4008);
  });

  it('reports live status on /readyz and live counters on /metrics', async () => {
    const ready = (await (await fetch(t.url.replace('/graphql', '/readyz'))).json()) as { checks: { live: string } };
    expect(ready.checks.live).toBe('ok (in-process)');
    const metrics = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    for (const name of ['failuredesk_ws_connections', 'failuredesk_active_subscriptions', 'failuredesk_live_events_published_total', 'failuredesk_live_events_delivered_total', 'failuredesk_slow_consumers_dropped_total']) {
      expect(metrics).toContain(name);
    }
  });
});
