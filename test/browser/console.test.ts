/**
 * The ops console in a real browser (Debian's Chromium through playwright-core) against the
 * real service: every step goes through the page as an operator would, and everything the
 * page shows comes from the public API. Screenshots of each view land in test-artifacts/console.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { FakeReportingService } from '../fakes/fake-reporting-service';
import { eventually } from '../helpers/deferred';
import { buildConsoleForTest, launchBrowser, openPage, screenshot, signIn } from '../helpers/browser';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../helpers/reports';
import type { TestDatabase } from '../helpers/test-database';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';

const ROUTING_KEY = 'R'.repeat(32);

describe('ops console in a browser', () => {
  const pagerDuty = new FakePagerDuty({ routingKeys: [ROUTING_KEY] });
  const worker = new FakeReportingService();
  let built: Awaited<ReturnType<typeof buildConsoleForTest>>;
  let t: TestApp & { db: TestDatabase };
  let browser: Browser;
  let origin: string;
  let operator: string;
  let viewer: string;
  let svc: Awaited<ReturnType<TestApp['createService']>>;
  const pages: Array<{ close: () => Promise<void> }> = [];

  beforeAll(async () => {
    built = await buildConsoleForTest();
    await pagerDuty.start();
    await worker.start();
    t = await startTestApp({
      env: { CREDENTIALS_KEY: 'c'.repeat(64), PAGERDUTY_EVENTS_URL: pagerDuty.eventsUrl, ESCALATION_SWEEP_INTERVAL_MS: '100', LIVE_COALESCE_MS: '50' },
      overrides: { consoleDir: built.dir },
    });
    origin = t.url.replace('/graphql', '');
    operator = await t.createToken('OPERATOR');
    viewer = await t.createToken('VIEWER');
    svc = await t.createService({ name: 'billing-worker', retryWebhookUrl: worker.url });
    worker.secret = svc.secret;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await t?.dispose();
    await worker.stop();
    await pagerDuty.close();
    await built?.dispose();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close();
    // Closed pages' subscriptions end, so the next test waits for its own.
    await eventually(async () => (Object.values(await activeSubscriptions(t)).every((n) => n === 0) ? true : undefined));
  });

  async function page(): Promise<{ page: Page; errors: string[] }> {
    const opened = await openPage(browser);
    pages.push(opened.context);
    return opened;
  }

  const reportOne = async (overrides: Record<string, unknown> = {}) =>
    expectData(await t.request<{ reportFailure: { id: string; group: { id: string } } }>(REPORT_FAILURE, { input: report(svc.name, overrides) }, svc.token)).reportFailure;

  it('refuses a wrong token with a clear message, and signs in with a right one', async () => {
    const { page: p, errors } = await page();
    await p.goto(`${origin}/`);
    await screenshot(p, 'sign-in');
    await p.getByLabel('API token').fill('not-a-token');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect(p.getByRole('alert').textContent()).resolves.toContain('not valid');

    await p.getByLabel('API token').fill(svc.token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect(p.getByRole('alert').textContent()).resolves.toContain('reporter token');

    await p.getByLabel('API token').fill(operator);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect(p.getByTestId('who').textContent()).resolves.toContain('operator');
    // The token lives in the tab's session: a reload keeps the operator signed in.
    await p.reload();
    await p.getByTestId('who').waitFor();
    // The wrong token's 401 is the only error the page logged.
    expect(errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
  });

  it('shows a failure reported after the page loaded in the live feed, and keeps filters in the URL', async () => {
    const { page: p } = await page();
    await signIn(p, origin, operator, '#/feed');
    await p.getByRole('heading', { name: 'Live feed' }).waitFor();
    await waitForLiveSubscriptions(t, 'failureReported');

    const stored = await reportOne({ errorMessage: 'broker closed channel 7: PRECONDITION_FAILED' });
    const row = p.locator(`tr[data-failure-id="${stored.id}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('PRECONDITION_FAILED');

    // Filter by severity: reflected in the URL, the list narrows, a reload keeps the filter.
    await p.getByLabel('Severity').selectOption('CRITICAL');
    await p.waitForURL(/severity=CRITICAL/);
    await p.getByText('No failures match these filters yet').waitFor();
    await waitForLiveSubscriptions(t, 'failureReported');
    const critical = await reportOne({ severity: 'CRITICAL', errorMessage: 'ledger out of balance' });
    await reportOne({ severity: 'WARNING', errorMessage: 'a warning the filter hides' });
    await p.locator(`tr[data-failure-id="${critical.id}"]`).waitFor();
    await p.reload();
    await p.locator(`tr[data-failure-id="${critical.id}"]`).waitFor();
    await expect(p.getByLabel('Severity').inputValue()).resolves.toBe('CRITICAL');
    await expect(p.getByTestId('feed-table').textContent()).resolves.not.toContain('a warning the filter hides');

    // Pause holds new failures back and says how many; resume shows them.
    await p.getByTestId('pause').click();
    const held = await reportOne({ severity: 'CRITICAL', errorMessage: 'held while paused' });
    await p.getByRole('button', { name: 'Resume (1 new)' }).waitFor();
    expect(await p.locator(`tr[data-failure-id="${held.id}"]`).count()).toBe(0);
    await p.getByTestId('resume').click();
    await p.locator(`tr[data-failure-id="${held.id}"]`).waitFor();
    await screenshot(p, 'live-feed');
  });

  it('retries a failure and shows its status change live, through to the service reporting success', async () => {
    const stored = await reportOne({ errorMessage: 'timeout after 30000 ms calling ledger', payload: { invoiceId: 7, password: 'hunter2' } });
    const { page: p } = await page();
    await signIn(p, origin, operator, `#/failures/${stored.id}`);
    await expect(p.getByTestId('failure-status').textContent()).resolves.toBe('FAILED');
    // The payload is shown pretty-printed, already redacted by the service.
    const payload = await p.getByTestId('payload').textContent();
    expect(payload).toContain('"invoiceId": 7');
    expect(payload).not.toContain('hunter2');

    await p.getByRole('button', { name: 'Retry', exact: true }).click();
    await p.getByTestId('failure-status').filter({ hasText: /^RETRYING$/ }).waitFor();
    await worker.waitFor(1);
    const request = worker.received.at(-1)!;
    expect(request.signatureValid).toBe(true);
    // The owning service reports the outcome; the page follows without a reload.
    expectData(await t.request(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: true) { status } }`, { id: stored.id }, svc.token));
    await p.getByTestId('failure-status').filter({ hasText: /^SUCCEEDED$/ }).waitFor();
    await expect(p.getByTestId('history').textContent()).resolves.toMatch(/RETRY_REQUESTED[\s\S]*RETRY_SUCCEEDED/);
    await screenshot(p, 'failure-detail');
  });

  it('discards a whole group after a confirmation that says how many failures it touches', async () => {
    const fingerprint = `console-discard-${Date.now()}`;
    const batch = expectData(
      await t.request<{ reportFailures: { failures: Array<{ id: string; group: { id: string } }> } }>(
        REPORT_FAILURES,
        { input: [1, 2, 3].map((n) => report(svc.name, { fingerprint, errorMessage: `card declined for order ${n}`, attributes: { host: 'worker-3', version: '2.0.2' } })) },
        svc.token,
      ),
    ).reportFailures;
    const groupId = batch.failures[0]!.group.id;

    const { page: p } = await page();
    await signIn(p, origin, operator, '#/groups?order=COUNT');
    const row = p.locator(`tr[data-group-id="${groupId}"]`);
    await row.waitFor();
    await expect(row.getByTestId('group-count').textContent()).resolves.toBe('3');
    // Counters move live while the list is open.
    await waitForLiveSubscriptions(t, 'failureGroupUpdated');
    await reportOne({ fingerprint, errorMessage: 'card declined for order 4' });
    await row.getByTestId('group-count').filter({ hasText: /^4$/ }).waitFor();
    expect(await row.locator('.sparkline canvas').count()).toBeGreaterThan(0);
    await screenshot(p, 'groups');

    await row.getByRole('link').first().click();
    await p.getByRole('heading', { level: 1 }).waitFor();
    await expect(p.getByTestId('group-open').textContent()).resolves.toBe('4');
    await p.getByRole('button', { name: 'Discard group…' }).click();
    await expect(p.getByTestId('confirm-question').textContent()).resolves.toBe('This will discard 4 open failures of this group.');
    // Without a reason the action cannot be confirmed.
    const confirm = p.getByRole('button', { name: 'Discard failures' });
    expect(await confirm.isDisabled()).toBe(true);
    await p.getByLabel('Reason (required)').fill('test orders from the staging shop');
    await screenshot(p, 'group-discard-confirm');
    await confirm.click();
    await expect(p.getByTestId('action-outcome').textContent()).resolves.toContain('4 failures changed');
    await p.getByTestId('group-open').filter({ hasText: /^0$/ }).waitFor();
    const after = expectData(await t.request<{ failures: { edges: Array<{ node: { status: string } }> } }>(`query($g: ID) { failures(filter: { group: $g }) { edges { node { status } } } }`, { g: groupId }));
    expect(after.failures.edges.map((e) => e.node.status)).toEqual(['DISCARDED', 'DISCARDED', 'DISCARDED', 'DISCARDED']);
    await screenshot(p, 'group-detail');
  });

  it("shows a pattern's root-cause hints over its whole life or only its last hours", async () => {
    const fingerprint = `console-hints-${Date.now()}`;
    const daysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const input = [
      // Three days ago the pattern ran on 7.1.0; today on 7.2.0; the rest of the service on 7.0.0.
      ...Array.from({ length: 8 }, (_, i) => report(svc.name, { fingerprint, taskId: `${fingerprint}-old-${i}`, occurredAt: daysAgo, attributes: { version: '7.1.0' } })),
      ...Array.from({ length: 6 }, (_, i) => report(svc.name, { fingerprint, taskId: `${fingerprint}-new-${i}`, attributes: { version: '7.2.0' } })),
      ...Array.from({ length: 20 }, (_, i) => report(svc.name, { fingerprint: `${fingerprint}-noise`, taskId: `${fingerprint}-noise-${i}`, attributes: { version: '7.0.0' } })),
    ];
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input }, svc.token));
    const groupId = reportFailures.failures[0]!.group.id;

    const { page: p } = await page();
    await signIn(p, origin, viewer, `#/groups/${groupId}`);
    const hints = p.getByTestId('suspects');
    // Over its whole life both versions stand out against the service.
    await hints.filter({ hasText: 'version = 7.1.0' }).waitFor();
    expect(await hints.textContent()).toContain('version = 7.2.0');
    await p.getByLabel('Over').selectOption('24h');
    await hints.filter({ hasText: /version = 7\.2\.0 — 100% of this pattern/ }).waitFor();
    expect(await hints.textContent()).not.toContain('7.1.0');
    await screenshot(p, 'group-hints-24h');
  });

  it('offers a viewer no actions', async () => {
    const stored = await reportOne();
    const { page: p } = await page();
    await signIn(p, origin, viewer, `#/failures/${stored.id}`);
    await p.getByTestId('failure-status').waitFor();
    expect(await p.getByRole('button', { name: /Retry|Discard|Resolve/ }).count()).toBe(0);
    await p.goto(`${origin}/#/groups/${stored.group.id}`);
    await p.getByTestId('group-open').waitFor();
    expect(await p.getByRole('group', { name: 'Group actions' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: /group…/ }).count()).toBe(0);
  });

  it('is operable from the keyboard alone, and labels every control', async () => {
    const stored = await reportOne({ fingerprint: `keyboard-${Date.now()}`, errorMessage: 'keyboard only' });
    const { page: p } = await page();
    await p.goto(`${origin}/`);
    await p.keyboard.press('Tab');
    await p.keyboard.type(operator);
    await p.keyboard.press('Enter');
    await p.getByTestId('who').waitFor();

    await p.goto(`${origin}/#/feed`);
    await p.getByTestId('feed-table').waitFor();
    const unlabelled = await p.evaluate<number>(
      `[...document.querySelectorAll('input, select, textarea, button')].filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()).length`,
    );
    expect(unlabelled).toBe(0);

    await p.goto(`${origin}/#/groups/${stored.group.id}`);
    await p.getByTestId('group-open').filter({ hasText: /^1$/ }).waitFor();
    await p.getByRole('button', { name: 'Resolve group…' }).focus();
    await p.keyboard.press('Enter');
    // The modal takes the focus: Escape cancels without acting.
    await p.getByRole('dialog').waitFor();
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'hidden' });
    await p.getByRole('button', { name: 'Resolve group…' }).focus();
    await p.keyboard.press('Enter');
    // Type only once the dialog has opened and put the focus in its note (on a busy machine the
    // first keystrokes could otherwise land before it exists).
    await p.waitForFunction(`document.activeElement?.closest('dialog[open]') && ['TEXTAREA', 'INPUT'].includes(document.activeElement.tagName)`);
    await p.keyboard.type('restarted the SMTP relay');
    await p.keyboard.press('Tab'); // Cancel
    await p.keyboard.press('Tab'); // Mark resolved
    await p.keyboard.press('Enter');
    await expect(p.getByTestId('action-outcome').textContent()).resolves.toContain('1 failure changed');
    const { failure } = expectData(await t.request<{ failure: { status: string; history: Array<{ note: string | null }> } }>(`query($id: ID!) { failure(id: $id) { status history { note } } }`, { id: stored.id }));
    expect(failure.status).toBe('RESOLVED');
    expect(failure.history.map((h) => h.note)).toContain('restarted the SMTP relay');
  });

  it('lists incidents with their delivery attempts, and acknowledges one', async () => {
    const pager = await t.createService({ name: 'payments-worker', criticality: 5 });
    expectData(
      await t.request(`mutation($input: EscalationPolicyInput!) { setEscalationPolicy(input: $input) { id } }`, {
        input: { service: pager.name, provider: 'PAGERDUTY', routingKey: ROUTING_KEY, minSeverity: 'ERROR', thresholdCount: 100 },
      }),
    );
    const { page: p } = await page();
    await signIn(p, origin, operator, '#/incidents');
    await p.getByText('No open incident').waitFor();
    await waitForLiveSubscriptions(t, 'incidentUpdated');
    expectData(await t.request(REPORT_FAILURE, { input: report(pager.name, { severity: 'CRITICAL', errorMessage: 'settlement file rejected' }) }, pager.token));
    const incident = p.locator('li.incident');
    await incident.waitFor();
    await expect(incident.textContent()).resolves.toContain('PAGERDUTY');
    await incident.getByText(/Delivery attempts \(1\)/).waitFor({ timeout: 20_000 });
    await incident.getByRole('button', { name: 'Acknowledge' }).click();
    await incident.locator('.badge.status-acknowledged').waitFor();
    await incident.getByText(/Delivery attempts/).click();
    await screenshot(p, 'incidents');
    await eventually(async () => (pagerDuty.received('acknowledge').length === 1 ? true : undefined), 15_000);
  });

  it('renders the overview chart with the failures per service, in wall mode too', async () => {
    const { page: p, errors } = await page();
    await signIn(p, origin, viewer, '#/overview?range=1h');
    const chart = p.getByTestId('overview-chart');
    await chart.waitFor();
    expect(await chart.locator('canvas').count()).toBe(1);
    // Every failure of this file that occurred in the last hour (another test reports some days back).
    const { failures } = expectData(
      await t.request<{ failures: { totalCount: number } }>(`query($from: DateTime) { failures(filter: { occurredFrom: $from }) { totalCount } }`, { from: new Date(Date.now() - 30 * 60_000).toISOString() }),
    );
    await expect(p.getByTestId('total-failures').textContent()).resolves.toBe(String(failures.totalCount));
    // The hidden data table carries one column per service with data.
    const headers = await chart.locator('thead th').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['billing-worker', 'payments-worker']));
    await screenshot(p, 'overview');

    await p.getByRole('button', { name: 'Wall mode' }).click();
    await p.waitForURL(/wall=1/);
    await p.locator('body.wall').waitFor();
    expect(await p.locator('header.top').count()).toBe(0);
    const fontSize = await p.evaluate<string>('getComputedStyle(document.body).fontSize');
    expect(parseFloat(fontSize)).toBeGreaterThanOrEqual(24);
    await screenshot(p, 'overview-wall');
    expect(errors).toEqual([]);
  });

  it('shows a banner while the live connection is lost and recovers by itself', async () => {
    const { page: p } = await page();
    await signIn(p, origin, viewer, '#/feed');
    await waitForLiveSubscriptions(t, 'failureReported');
    const port = t.port;
    await t.stop();
    await p.getByTestId('connection-banner').waitFor();
    await screenshot(p, 'connection-lost');
    // The same service comes back on the same port and database.
    t = await startTestApp({ database: t.db, overrides: { consoleDir: built.dir }, port });
    await p.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
    const stored = await reportOne({ errorMessage: 'after the restart' });
    await p.locator(`tr[data-failure-id="${stored.id}"]`).waitFor();
  });
});

/** Until the page's subscription to `field` is registered on the server (so no event is missed). */
async function waitForLiveSubscriptions(t: TestApp, field: string): Promise<void> {
  await eventually(async () => (((await activeSubscriptions(t))[field] ?? 0) > 0 ? true : undefined));
}

async function activeSubscriptions(t: TestApp): Promise<Record<string, number>> {
  const { values } = await t.app.metrics.activeSubscriptions.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.field), v.value]));
}
