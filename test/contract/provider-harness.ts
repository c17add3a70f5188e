import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import { OpsgenieProvider, PagerDutyProvider } from '../../src/escalation/adapters';
import {
  ProviderDeliveryError,
  type AlertContent,
  type EscalationProvider,
  type ProviderCredentials,
} from '../../src/escalation/escalation.port';
import { FakeOpsgenie } from '../fakes/fake-opsgenie';
import { FakePagerDuty } from '../fakes/fake-pagerduty';

export type AlertState = 'open' | 'acknowledged' | 'closed';

/** One provider wired to its fake, described in the port's terms so one suite fits both. */
export interface ProviderHarness {
  summaryLimit: number;
  dedupKeyLimit: number;
  credentials: ProviderCredentials;
  /** Credentials the provider passes on and the vendor refuses as invalid (400 / 422). */
  invalid: { credentials: ProviderCredentials; status: number; text: RegExp };
  /** Credentials the vendor does not know. */
  unknown: { credentials: ProviderCredentials; status: number; text: RegExp };
  start(): Promise<void>;
  close(): Promise<void>;
  provider(options?: { timeoutMs?: number }): EscalationProvider;
  state(dedupKey: string): AlertState | undefined;
  /** Alerts ever opened under this key. */
  alertCount(dedupKey: string): number;
  /** Triggers the newest alert under this key absorbed. */
  occurrences(dedupKey: string): number;
  deliveredSummary(dedupKey: string): string;
  requestCount(): number;
  lastAnswerStatus(): number | undefined;
  /** A 5xx, a 429 asking for a 7-second pause, or no answer at all. */
  failNext(fault: 'server-error' | 'rate-limit' | 'hang'): void;
  down(): Promise<void>;
  up(): Promise<void>;
}

export function pagerDutyHarness(): ProviderHarness & { fake: FakePagerDuty } {
  const routingKey = randomBytes(16).toString('hex');
  const fake = new FakePagerDuty({ routingKeys: [routingKey] });
  const newest = (dedupKey: string) => fake.alert(dedupKey, routingKey);
  return {
    fake,
    summaryLimit: 1024,
    dedupKeyLimit: 255,
    credentials: { routingKey },
    invalid: { credentials: { routingKey: 'R0123456789' }, status: 400, text: /Length of 'routing_key' is incorrect/ },
    unknown: { credentials: { routingKey: randomBytes(16).toString('hex') }, status: 400, text: /Invalid routing key/ },
    start: async () => void (await fake.start()),
    close: () => fake.close(),
    provider: (options = {}) => new PagerDutyProvider({ eventsUrl: fake.eventsUrl, ...options }),
    state: (dedupKey) => {
      const status = newest(dedupKey)?.status;
      return status === undefined ? undefined : status === 'triggered' ? 'open' : status === 'resolved' ? 'closed' : 'acknowledged';
    },
    alertCount: (dedupKey) => fake.alerts().filter((a) => a.dedupKey === dedupKey).length,
    occurrences: (dedupKey) => newest(dedupKey)?.triggerCount ?? 0,
    deliveredSummary: (dedupKey) => String(newest(dedupKey)?.payload.summary),
    requestCount: () => fake.received().length,
    lastAnswerStatus: () => fake.received().at(-1)?.answer?.status,
    failNext: (fault) =>
      fake.failNext(1, fault === 'server-error' ? { kind: 'error', status: 503 } : fault === 'rate-limit' ? { kind: 'rate-limit', retryAfter: '7' } : { kind: 'hang' }),
    down: () => fake.down(),
    up: () => fake.up(),
  };
}

export function opsgenieHarness(): ProviderHarness & { fake: FakeOpsgenie } {
  const apiKey = randomUUID();
  const fake = new FakeOpsgenie({ apiKeys: [apiKey] });
  const newest = (alias: string) => fake.alert(alias);
  return {
    fake,
    summaryLimit: 130,
    dedupKeyLimit: 512,
    credentials: { apiKey, responders: [{ type: 'team', name: 'payments' }] },
    invalid: {
      credentials: { apiKey, responders: [{ type: 'team' }] },
      status: 422,
      text: /responders: Responder of type team needs id or name/,
    },
    unknown: { credentials: { apiKey: randomUUID() }, status: 401, text: /Could not authenticate/ },
    start: async () => void (await fake.start()),
    close: () => fake.close(),
    provider: (options = {}) => new OpsgenieProvider({ apiUrl: fake.apiUrl, sleep: () => Promise.resolve(), ...options }),
    state: (alias) => {
      const alert = newest(alias);
      return alert === undefined ? undefined : alert.status === 'closed' ? 'closed' : alert.acknowledged ? 'acknowledged' : 'open';
    },
    alertCount: (alias) => fake.alerts().filter((a) => a.alias === alias).length,
    occurrences: (alias) => newest(alias)?.count ?? 0,
    deliveredSummary: (alias) => String(newest(alias)?.body.message),
    requestCount: () => fake.received().length,
    lastAnswerStatus: () => fake.received().at(-1)?.answer?.status,
    failNext: (fault) =>
      fake.failNext(1, fault === 'server-error' ? { kind: 'error', status: 503 } : fault === 'rate-limit' ? { kind: 'rate-limit', periodInSec: 7 } : { kind: 'hang' }),
    down: () => fake.down(),
    up: () => fake.up(),
  };
}

/** A page as the escalation domain builds it, under a fresh dedup key. */
export function alertContent(overrides: Partial<AlertContent> = {}): AlertContent {
  return {
    dedupKey: `test-${randomUUID()}`,
    summary: 'checkout-worker: 42 failures of charge-card in 5 minutes',
    description: 'PaymentDeclined from the card gateway, first at 10:02, rising.',
    source: 'checkout-worker',
    severity: 'critical',
    component: 'charge-card',
    group: 'payments',
    class: 'PaymentDeclined',
    timestamp: '2025-11-28T10:02:00.000Z',
    details: { count: '42', rank: 'top error of the hour' },
    tags: ['payments', 'checkout'],
    links: [{ href: 'https://desk.example.com/groups/g1', text: 'Failure Desk' }],
    ...overrides,
  };
}

/** The ProviderDeliveryError a delivery rejected with. */
export async function deliveryError(delivery: Promise<unknown>): Promise<ProviderDeliveryError> {
  const outcome = await delivery.then(
    () => new Error('the delivery succeeded'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ProviderDeliveryError);
  return outcome as ProviderDeliveryError;
}
