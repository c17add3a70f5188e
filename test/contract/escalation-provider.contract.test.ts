import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { alertContent, deliveryError, opsgenieHarness, pagerDutyHarness, type ProviderHarness } from './provider-harness';

describe.each([
  ['PagerDuty', pagerDutyHarness],
  ['Opsgenie', opsgenieHarness],
] as Array<[string, () => ProviderHarness]>)('%s through the EscalationProvider port', (_name, makeHarness) => {
  let harness: ProviderHarness;

  beforeEach(async () => {
    harness = makeHarness();
    await harness.start();
  });

  afterEach(() => harness.close());

  it('moves an alert from triggered to acknowledged to resolved', async () => {
    const provider = harness.provider();
    const alert = alertContent();

    const triggered = await provider.trigger(harness.credentials, alert);
    expect(triggered).toMatchObject({ httpStatus: 202, externalKey: alert.dedupKey });
    expect(harness.state(alert.dedupKey)).toBe('open');

    await expect(provider.acknowledge(harness.credentials, alert.dedupKey)).resolves.toMatchObject({ externalKey: alert.dedupKey });
    expect(harness.state(alert.dedupKey)).toBe('acknowledged');

    await expect(provider.resolve(harness.credentials, alert.dedupKey)).resolves.toMatchObject({ externalKey: alert.dedupKey });
    expect(harness.state(alert.dedupKey)).toBe('closed');
  });

  it("cuts a 2,000-character summary to the provider's limit and still pages", async () => {
    const alert = alertContent({ summary: `Checkout failing: ${'x'.repeat(1982)}` });

    await harness.provider().trigger(harness.credentials, alert);

    const delivered = harness.deliveredSummary(alert.dedupKey);
    expect(delivered.length).toBeLessThanOrEqual(harness.summaryLimit);
    expect(delivered.length).toBeGreaterThan(harness.summaryLimit - 5);
    expect(delivered.startsWith('Checkout failing: xxx')).toBe(true);
    expect(harness.state(alert.dedupKey)).toBe('open');
  });

  it('keeps one alert for two triggers with the same dedup key', async () => {
    const provider = harness.provider();
    const alert = alertContent();

    await provider.trigger(harness.credentials, alert);
    await provider.trigger(harness.credentials, { ...alert, summary: 'checkout-worker: 80 failures' });

    expect(harness.alertCount(alert.dedupKey)).toBe(1);
    expect(harness.occurrences(alert.dedupKey)).toBe(2);
  });

  it('opens a new alert when a resolved dedup key triggers again', async () => {
    const provider = harness.provider();
    const alert = alertContent();

    await provider.trigger(harness.credentials, alert);
    await provider.resolve(harness.credentials, alert.dedupKey);
    await provider.trigger(harness.credentials, alert);

    expect(harness.alertCount(alert.dedupKey)).toBe(2);
    expect(harness.state(alert.dedupKey)).toBe('open');
  });

  it('reports a server error as retryable, and the next try pages', async () => {
    const provider = harness.provider();
    const alert = alertContent();
    harness.failNext('server-error');

    const error = await deliveryError(provider.trigger(harness.credentials, alert));

    expect(error).toMatchObject({ retryable: true, httpStatus: 503 });
    expect(harness.state(alert.dedupKey)).toBeUndefined();
    await provider.trigger(harness.credentials, alert);
    expect(harness.state(alert.dedupKey)).toBe('open');
  });

  it('reports throttling as retryable with the pause the provider asked for', async () => {
    harness.failNext('rate-limit');

    const error = await deliveryError(harness.provider().trigger(harness.credentials, alertContent()));

    expect(error).toMatchObject({ retryable: true, httpStatus: 429, retryAfterMs: 7_000 });
  });

  it('reports a provider that does not answer in time as retryable', async () => {
    harness.failNext('hang');

    const error = await deliveryError(harness.provider({ timeoutMs: 200 }).trigger(harness.credentials, alertContent()));

    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/timeout/i);
    expect(harness.requestCount()).toBe(1);
  });

  it('reports a provider that is down as retryable, and pages once it is back', async () => {
    const provider = harness.provider();
    const alert = alertContent();
    await harness.down();

    const error = await deliveryError(provider.trigger(harness.credentials, alert));
    expect(error).toMatchObject({ retryable: true, httpStatus: undefined });
    expect(error.message).toMatch(/ECONNREFUSED/);

    await harness.up();
    await provider.trigger(harness.credentials, alert);
    expect(harness.state(alert.dedupKey)).toBe('open');
  });

  it("reports an event the provider refuses as final, in the provider's words", async () => {
    const error = await deliveryError(harness.provider().trigger(harness.invalid.credentials, alertContent()));

    expect(harness.lastAnswerStatus()).toBe(harness.invalid.status);
    expect(error).toMatchObject({ retryable: false, httpStatus: harness.invalid.status });
    expect(error.message).toMatch(harness.invalid.text);
  });

  it('reports credentials the provider does not know as final', async () => {
    const error = await deliveryError(harness.provider().trigger(harness.unknown.credentials, alertContent()));

    expect(error).toMatchObject({ retryable: false, httpStatus: harness.unknown.status });
    expect(error.message).toMatch(harness.unknown.text);
  });

  it('refuses a dedup key longer than the provider takes, without calling it', async () => {
    const alert = alertContent({ dedupKey: 'k'.repeat(harness.dedupKeyLimit + 1) });

    const error = await deliveryError(harness.provider().trigger(harness.credentials, alert));

    expect(error.retryable).toBe(false);
    expect(harness.requestCount()).toBe(0);
  });

  it('accepts a dedup key of exactly the longest length the provider takes', async () => {
    const alert = alertContent({ dedupKey: 'k'.repeat(harness.dedupKeyLimit) });

    await harness.provider().trigger(harness.credentials, alert);

    expect(harness.state(alert.dedupKey)).toBe('open');
  });
});
