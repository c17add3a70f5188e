import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OpsgenieProvider, type OpsgenieProviderOptions } from '../../src/escalation/adapters';
import type { ProviderSeverity } from '../../src/escalation/escalation.port';
import { FakeOpsgenie } from '../fakes/fake-opsgenie';
import { alertContent, deliveryError, opsgenieHarness } from './provider-harness';

describe('OpsgenieProvider against the Alert API v2', () => {
  let harness: ReturnType<typeof opsgenieHarness>;
  let sleeps: number[];

  const provider = (options: OpsgenieProviderOptions = {}) =>
    new OpsgenieProvider({
      apiUrl: harness.fake.apiUrl,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...options,
    });

  beforeEach(async () => {
    harness = opsgenieHarness();
    sleeps = [];
    await harness.start();
  });

  afterEach(() => harness.close());

  it.each([
    ['critical', 'P1'],
    ['error', 'P2'],
    ['warning', 'P3'],
    ['info', 'P5'],
  ] as Array<[ProviderSeverity, string]>)('sends a %s alert as %s with the severity in details', async (severity, priority) => {
    const alert = alertContent({ severity });

    await provider().trigger(harness.credentials, alert);

    const [request] = harness.fake.received('create');
    expect(request.headers.authorization).toBe(`GenieKey ${harness.credentials.apiKey}`);
    expect(request.body).toMatchObject({
      message: alert.summary,
      alias: alert.dedupKey,
      priority,
      source: 'checkout-worker',
      entity: 'charge-card',
      responders: [{ type: 'team', name: 'payments' }],
      tags: ['payments', 'checkout'],
      details: { severity, component: 'charge-card', count: '42' },
    });
  });

  it("uses the policy's priorities over the defaults", async () => {
    const alert = alertContent({ severity: 'info' });

    await provider().trigger({ ...harness.credentials, priorities: { info: 'P4' } }, alert);

    expect(harness.fake.alert(alert.dedupKey)?.priority).toBe('P4');
  });

  it('asks again while Opsgenie has not processed the request, then reports its status', async () => {
    harness.fake.pendingPolls = 3;
    const alert = alertContent();

    const receipt = await provider({ confirmIntervalMs: 50 }).trigger(harness.credentials, alert);

    expect(receipt).toEqual({ httpStatus: 202, externalKey: alert.dedupKey, message: 'Created alert' });
    expect(harness.fake.received('request-status').map((r) => r.answer?.status)).toEqual([404, 404, 404, 200]);
    expect(sleeps).toEqual([50, 50, 50, 50]);
  });

  it('reports a request still unprocessed after the configured checks as retryable, and sending again is safe', async () => {
    harness.fake.pendingPolls = 100;
    const alert = alertContent();

    const error = await deliveryError(provider({ confirmAttempts: 3 }).trigger(harness.credentials, alert));

    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/not processed .* after 3 status checks/);
    expect(harness.fake.received('request-status')).toHaveLength(3);
    harness.fake.pendingPolls = 0;
    await provider().trigger(harness.credentials, alert);
    expect(harness.fake.alerts().filter((a) => a.alias === alert.dedupKey)).toHaveLength(1);
    expect(harness.fake.alert(alert.dedupKey)?.count).toBe(2);
  });

  it('keeps checking through a server error while asking for the status', async () => {
    harness.fake.failNext(1, { kind: 'error', status: 503 }, 'request-status');

    await provider().trigger(harness.credentials, alertContent());

    expect(harness.fake.received('request-status').map((r) => r.answer?.status)).toEqual([503, 200]);
  });

  it('reports a request Opsgenie processed and refused as final', async () => {
    harness.fake.failProcessing(1, 'Integration is disabled');
    const alert = alertContent();

    const error = await deliveryError(provider().trigger(harness.credentials, alert));

    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/could not process request .* \(Create\): Integration is disabled/);
    expect(harness.fake.alert(alert.dedupKey)).toBeUndefined();
  });

  it('reports acknowledging an alias Opsgenie does not know as final', async () => {
    const error = await deliveryError(provider().acknowledge(harness.credentials, `test-${randomUUID()}`));

    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/\(Acknowledge\): Alert does not exist/);
  });

  it('addresses acknowledge and close by alias, URL-encoded, with identifierType=alias', async () => {
    const alias = `checkout/charge card #7?retry=100% ${randomUUID()}`;
    const ops = provider();

    await ops.trigger(harness.credentials, alertContent({ dedupKey: alias }));
    await ops.acknowledge(harness.credentials, alias);
    expect(harness.fake.alert(alias)?.acknowledged).toBe(true);
    await ops.resolve(harness.credentials, alias);
    expect(harness.fake.alert(alias)?.status).toBe('closed');

    const actions = [...harness.fake.received('acknowledge'), ...harness.fake.received('close')];
    expect(actions.map((r) => r.path)).toEqual([
      `/v2/alerts/${encodeURIComponent(alias)}/acknowledge`,
      `/v2/alerts/${encodeURIComponent(alias)}/close`,
    ]);
    expect(actions.every((r) => r.query.get('identifierType') === 'alias' && r.identifier === alias)).toBe(true);
  });

  it('reads the pause from Retry-After when a 429 has no X-RateLimit-Period-In-Sec', async () => {
    harness.fake.failNext(1, { kind: 'rate-limit', retryAfter: '3' });

    const error = await deliveryError(provider().trigger(harness.credentials, alertContent()));

    expect(error).toMatchObject({ retryable: true, httpStatus: 429, retryAfterMs: 3_000 });
  });

  it('reports a key that may not write as final', async () => {
    const readOnly = randomUUID();
    const fake = await new FakeOpsgenie({ readOnlyApiKeys: [readOnly] }).start();
    try {
      const error = await deliveryError(new OpsgenieProvider({ apiUrl: fake.apiUrl }).trigger({ apiKey: readOnly }, alertContent()));

      expect(error).toMatchObject({ retryable: false, httpStatus: 403 });
    } finally {
      await fake.close();
    }
  });

  it('refuses credentials without an API key before calling Opsgenie', async () => {
    const error = await deliveryError(provider().resolve({ region: 'EU' }, 'some-alias'));

    expect(error.retryable).toBe(false);
    expect(harness.fake.received()).toHaveLength(0);
  });
});
