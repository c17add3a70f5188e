import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { PAGERDUTY_RATE_LIMIT_BACKOFF_MS, PagerDutyProvider } from '../../src/escalation/adapters';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { alertContent, deliveryError, pagerDutyHarness } from './provider-harness';

describe('PagerDutyProvider against the Events API v2', () => {
  let harness: ReturnType<typeof pagerDutyHarness>;
  let provider: PagerDutyProvider;

  beforeEach(async () => {
    harness = pagerDutyHarness();
    await harness.start();
    provider = new PagerDutyProvider({ eventsUrl: harness.fake.eventsUrl });
  });

  afterEach(() => harness.close());

  it("posts JSON without an Authorization header, with the alert's fields where PagerDuty reads them", async () => {
    const alert = alertContent();

    const receipt = await provider.trigger(harness.credentials, alert);

    expect(receipt).toEqual({ httpStatus: 202, externalKey: alert.dedupKey, message: 'Event processed' });
    const [request] = harness.fake.received('trigger');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      routing_key: harness.credentials.routingKey,
      event_action: 'trigger',
      dedup_key: alert.dedupKey,
      payload: {
        summary: alert.summary,
        source: 'checkout-worker',
        severity: 'critical',
        timestamp: alert.timestamp,
        component: 'charge-card',
        group: 'payments',
        class: 'PaymentDeclined',
        custom_details: { count: '42', rank: 'top error of the hour', description: alert.description },
      },
      links: alert.links,
      client: 'Failure Desk',
      client_url: alert.links[0].href,
    });
  });

  it('refuses a routing key of the wrong length at PagerDuty, and the error says not to retry', async () => {
    const error = await deliveryError(provider.trigger({ routingKey: 'too-short' }, alertContent()));

    expect(harness.fake.received()).toHaveLength(1);
    expect(harness.fake.received()[0].answer?.status).toBe(400);
    expect(error).toMatchObject({ retryable: false, httpStatus: 400 });
    expect(error.message).toContain("Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)");
  });

  it('backs off two minutes when PagerDuty throttles without a Retry-After', async () => {
    harness.fake.failNext(1, { kind: 'rate-limit' });

    const error = await deliveryError(provider.trigger(harness.credentials, alertContent()));

    expect(error).toMatchObject({ retryable: true, httpStatus: 429, retryAfterMs: PAGERDUTY_RATE_LIMIT_BACKOFF_MS });
    expect(PAGERDUTY_RATE_LIMIT_BACKOFF_MS).toBe(120_000);
  });

  it('has an acknowledge or resolve of a dedup key PagerDuty does not know accepted, changing nothing', async () => {
    const dedupKey = alertContent().dedupKey;

    await expect(provider.acknowledge(harness.credentials, dedupKey)).resolves.toMatchObject({ httpStatus: 202 });
    await expect(provider.resolve(harness.credentials, dedupKey)).resolves.toMatchObject({ httpStatus: 202 });

    expect(harness.fake.alerts()).toEqual([]);
  });

  it('shrinks an event over 512 KB instead of losing the page', async () => {
    const alert = alertContent({ description: 'stack frame\n'.repeat(60_000) });

    await provider.trigger(harness.credentials, alert);

    const [request] = harness.fake.received('trigger');
    expect(Buffer.byteLength(request.rawBody)).toBeLessThanOrEqual(512 * 1024);
    expect(harness.fake.alert(alert.dedupKey)?.payload).toMatchObject({
      summary: alert.summary,
      custom_details: { count: '42', truncated: 'true' },
    });
  });

  it('leaves an alert open when the resolve names another routing key', async () => {
    const first = randomBytes(16).toString('hex');
    const second = randomBytes(16).toString('hex');
    const fake = await new FakePagerDuty({ routingKeys: [first, second] }).start();
    try {
      const twoKeys = new PagerDutyProvider({ eventsUrl: fake.eventsUrl });
      const alert = alertContent();

      await twoKeys.trigger({ routingKey: first }, alert);
      await twoKeys.resolve({ routingKey: second }, alert.dedupKey);

      expect(fake.alert(alert.dedupKey, first)?.status).toBe('triggered');
    } finally {
      await fake.close();
    }
  });

  it('refuses credentials without a routing key before calling PagerDuty', async () => {
    const error = await deliveryError(provider.acknowledge({}, 'some-key'));

    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/no routing key/);
    expect(harness.fake.received()).toHaveLength(0);
  });
});
