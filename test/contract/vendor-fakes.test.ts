import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { FakeOpsgenie } from '../fakes/fake-opsgenie';
import { FakePagerDuty } from '../fakes/fake-pagerduty';
import { deferred } from '../helpers/deferred';

// The contract suite is only as strict as the fakes: these prove they refuse what the vendors refuse.

interface Delivery {
  headers: http.IncomingHttpHeaders;
  rawBody: string;
}

/** A webhook receiver on port 0 that hands over the first delivery. */
async function startReceiver(status = 204): Promise<{ url: string; delivery: Promise<Delivery>; close: () => Promise<void> }> {
  const first = deferred<Delivery>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      first.resolve({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    delivery: first.promise,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  axios.post(url, typeof body === 'string' ? body : JSON.stringify(body), {
    headers: { 'content-type': 'application/json', ...headers },
    transformRequest: [(data: string) => data],
    validateStatus: () => true,
  });

describe('FakePagerDuty', () => {
  const routingKey = randomBytes(16).toString('hex');
  let fake: FakePagerDuty;

  const trigger = (overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => ({
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: `test-${randomUUID()}`,
    payload: { summary: 'disk full', source: 'db-1', severity: 'error', ...payload },
    ...overrides,
  });

  beforeEach(async () => {
    fake = await new FakePagerDuty().start();
  });

  afterEach(() => fake.close());

  it.each([
    ['a summary of 1,025 characters', trigger({}, { summary: 's'.repeat(1025) }), /'payload.summary' is too long/],
    ['a severity outside the four', trigger({}, { severity: 'fatal' }), /'payload.severity' must be one of/],
    ['a trigger without a source', trigger({}, { source: undefined }), /'payload.source' is missing/],
    ['an acknowledge without a dedup key', { routing_key: routingKey, event_action: 'acknowledge' }, /'dedup_key' is missing/],
    ['a dedup key of 256 characters', trigger({ dedup_key: 'd'.repeat(256) }), /'dedup_key' is too long/],
    ['a misspelt field', trigger({ dedupKey: 'x' }), /'dedupKey' is not a field/],
    ['a timestamp that is not ISO 8601', trigger({}, { timestamp: 'yesterday' }), /'payload.timestamp'/],
    ['a routing key with a dash', trigger({ routing_key: `${routingKey.slice(0, 31)}-` }), /non-alphanumeric/],
  ])('refuses %s with 400 and the reason', async (_case, event, reason) => {
    const response = await post(fake.eventsUrl, event);

    expect(response.status).toBe(400);
    expect(response.data).toMatchObject({ status: 'invalid event', message: 'Event object is invalid' });
    expect((response.data as { errors: string[] }).errors.join('\n')).toMatch(reason);
  });

  it('refuses an Authorization header, a non-JSON content type and an event over 512 KB', async () => {
    const responses = await Promise.all([
      post(fake.eventsUrl, trigger(), { authorization: 'Token token=abc' }),
      post(fake.eventsUrl, trigger(), { 'content-type': 'text/plain' }),
      post(fake.eventsUrl, trigger({}, { custom_details: { blob: 'b'.repeat(512 * 1024) } })),
    ]);

    expect(responses.map((r) => r.status)).toEqual([400, 400, 400]);
    expect(fake.alerts()).toEqual([]);
  });

  it('accepts a summary of exactly 1,024 characters and answers with the dedup key', async () => {
    const event = trigger({}, { summary: 's'.repeat(1024) });

    const response = await post(fake.eventsUrl, event);

    expect(response.status).toBe(202);
    expect(response.data).toEqual({ status: 'success', message: 'Event processed', dedup_key: event.dedup_key });
  });

  it('answers a delayed request late but in full', async () => {
    fake.failNext(1, { kind: 'delay', ms: 50 });
    const event = trigger();

    const response = await post(fake.eventsUrl, event);

    expect(response.status).toBe(202);
    expect(fake.received()[0]).toMatchObject({ fault: 'delay', answer: { status: 202 } });
  });

  it('sends a V3 webhook signed with every secret during a rotation, and moves its own alert', async () => {
    const event = trigger();
    await post(fake.eventsUrl, event);
    const receiver = await startReceiver();
    try {
      const status = await fake.sendWebhook(
        receiver.url,
        { eventType: 'incident.acknowledged', dedupKey: event.dedup_key, agentName: 'Ada Lovelace' },
        { secret: 'new-secret', secrets: ['old-secret'], webhookId: 'wh-1' },
      );
      const { headers, rawBody } = await receiver.delivery;

      expect(status).toBe(204);
      expect(headers['x-webhook-id']).toBe('wh-1');
      const sign = (secret: string) => `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
      expect(String(headers['x-pagerduty-signature']).split(',')).toEqual([sign('new-secret'), sign('old-secret')]);
      expect(JSON.parse(rawBody)).toMatchObject({
        event: {
          event_type: 'incident.acknowledged',
          resource_type: 'incident',
          agent: { type: 'user_reference', summary: 'Ada Lovelace' },
          data: { type: 'incident', status: 'acknowledged', incident_key: event.dedup_key, title: 'disk full' },
        },
      });
      expect(fake.alert(event.dedup_key)?.status).toBe('acknowledged');
    } finally {
      await receiver.close();
    }
  });
});

describe('FakeOpsgenie', () => {
  const apiKey = randomUUID();
  let fake: FakeOpsgenie;
  const auth = { authorization: `GenieKey ${apiKey}` };

  beforeEach(async () => {
    fake = await new FakeOpsgenie({ apiKeys: [apiKey] }).start();
  });

  afterEach(() => fake.close());

  it.each([
    ['a message of 131 characters', { message: 'm'.repeat(131) }, 'message'],
    ['no message', { alias: 'a' }, 'message'],
    ['21 tags', { message: 'm', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['a tag of 51 characters', { message: 'm', tags: ['t'.repeat(51)] }, 'tags'],
    ['priority P6', { message: 'm', priority: 'P6' }, 'priority'],
    ['details over 8,000 characters', { message: 'm', details: { blob: 'b'.repeat(7_997) } }, 'details'],
    ['a number among the details', { message: 'm', details: { count: 42 } }, 'details'],
    ['a responder of an unknown type', { message: 'm', responders: [{ type: 'group', name: 'ops' }] }, 'responders'],
    ['a user responder with only a name', { message: 'm', responders: [{ type: 'user', name: 'ada' }] }, 'responders'],
    ['an alias of 513 characters', { message: 'm', alias: 'a'.repeat(513) }, 'alias'],
  ])('refuses %s with 422 naming the field', async (_case, body, field) => {
    const response = await post(`${fake.apiUrl}/v2/alerts`, body, auth);

    expect(response.status).toBe(422);
    expect(response.data).toMatchObject({ message: 'Request body is not processable. Please check the errors.' });
    expect(Object.keys((response.data as { errors: object }).errors)).toContain(field);
  });

  it('refuses a missing or unknown GenieKey with 401', async () => {
    const responses = await Promise.all([
      post(`${fake.apiUrl}/v2/alerts`, { message: 'm' }),
      post(`${fake.apiUrl}/v2/alerts`, { message: 'm' }, { authorization: `GenieKey ${randomUUID()}` }),
    ]);

    expect(responses.map((r) => r.status)).toEqual([401, 401]);
  });

  it('takes an identifier without identifierType as an alert id', async () => {
    await post(`${fake.apiUrl}/v2/alerts`, { message: 'm', alias: 'db-disk' }, auth);
    const byAlias = await post(`${fake.apiUrl}/v2/alerts/db-disk/close`, {}, auth);
    const alertId = fake.alert('db-disk')?.id ?? '';

    expect(byAlias.status).toBe(202);
    expect(fake.requestStatus((byAlias.data as { requestId: string }).requestId)).toMatchObject({
      isSuccess: false,
      success: false,
      action: 'Close',
      status: 'Alert does not exist',
    });
    expect(fake.alert('db-disk')?.status).toBe('open');
    await post(`${fake.apiUrl}/v2/alerts/${alertId}/close`, {}, auth);
    expect(fake.alert('db-disk')?.status).toBe('closed');
  });

  it('answers 404 for a request status until the request is processed', async () => {
    fake.pendingPolls = 1;
    const created = await post(`${fake.apiUrl}/v2/alerts`, { message: 'm' }, auth);
    const statusUrl = `${fake.apiUrl}/v2/alerts/requests/${(created.data as { requestId: string }).requestId}`;

    const first = await axios.get(statusUrl, { headers: auth, validateStatus: () => true });
    const second = await axios.get(statusUrl, { headers: auth, validateStatus: () => true });

    expect(created.data).toMatchObject({ result: 'Request will be processed' });
    expect(first.status).toBe(404);
    expect(second.status).toBe(200);
    expect(second.data).toMatchObject({ data: { success: true, isSuccess: true, action: 'Create', status: 'Created alert' } });
  });

  it('answers a throttled request with the rate-limit headers', async () => {
    fake.failNext(1, { kind: 'rate-limit', periodInSec: 60 });

    const response = await post(`${fake.apiUrl}/v2/alerts`, { message: 'm' }, auth);

    expect(response.status).toBe(429);
    expect(response.headers['x-ratelimit-state']).toBe('THROTTLED');
    expect(response.headers['x-ratelimit-period-in-sec']).toBe('60');
  });

  it('sends an outgoing webhook with the shared secret, and moves its own alert', async () => {
    await post(`${fake.apiUrl}/v2/alerts`, { message: 'disk full', alias: 'db-disk', priority: 'P2' }, auth);
    const receiver = await startReceiver(200);
    try {
      const status = await fake.sendWebhook(receiver.url, { action: 'Close', alias: 'db-disk', username: 'ada@example.com' }, { secret: 's3cret' });
      const { headers, rawBody } = await receiver.delivery;

      expect(status).toBe(200);
      expect(headers['x-webhook-secret']).toBe('s3cret');
      expect(JSON.parse(rawBody)).toMatchObject({
        action: 'Close',
        alert: { alias: 'db-disk', message: 'disk full', username: 'ada@example.com', priority: 'P2' },
        integrationType: 'Webhook',
      });
      expect(fake.alert('db-disk')?.status).toBe('closed');
    } finally {
      await receiver.close();
    }
  });
});
