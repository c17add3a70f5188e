import { DeliveryError } from '../platform/outbox';

/** The incident platforms Failure Desk pages through. */
export const ProviderName = { PAGERDUTY: 'PAGERDUTY', OPSGENIE: 'OPSGENIE' } as const;
export type ProviderName = (typeof ProviderName)[keyof typeof ProviderName];

/** Severity in PagerDuty's words; adapters map it to their own scale (Opsgenie P1–P5). */
export type ProviderSeverity = 'critical' | 'error' | 'warning' | 'info';
export type OpsgeniePriority = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';

export interface Responder {
  type: 'team' | 'user' | 'escalation' | 'schedule';
  id?: string;
  name?: string;
  username?: string;
}

/** Decrypted credentials and options of one escalation policy. */
export interface ProviderCredentials {
  /** PagerDuty Events API v2 integration (routing) key, 32 characters. */
  routingKey?: string;
  /** Opsgenie API integration key (sent as `Authorization: GenieKey <key>`). */
  apiKey?: string;
  /** Opsgenie region; picks the default API base URL. */
  region?: 'US' | 'EU';
  /** Opsgenie responders of a new alert. */
  responders?: Responder[];
  /** Opsgenie priority per severity; default critical→P1, error→P2, warning→P3, info→P5. */
  priorities?: Partial<Record<ProviderSeverity, OpsgeniePriority>>;
}

/** What a page says; adapters shape it to their API and enforce its limits (truncating text). */
export interface AlertContent {
  /** Stable per incident: PagerDuty `dedup_key`, Opsgenie `alias`. */
  dedupKey: string;
  /** One line; may be longer than a provider allows (PagerDuty 1024, Opsgenie 130). */
  summary: string;
  /** Longer text (Opsgenie description ≤ 15,000; PagerDuty custom_details). */
  description: string;
  /** The reporting service's name. */
  source: string;
  severity: ProviderSeverity;
  /** Task type. */
  component?: string;
  /** Service team or service name. */
  group?: string;
  /** Error type. */
  class?: string;
  /** ISO 8601 time of the triggering failure. */
  timestamp: string;
  /** Flat string map (counts, rank reasons, original severity, …). */
  details: Record<string, string>;
  tags: string[];
  /** Links back to the console. */
  links: Array<{ href: string; text: string }>;
}

/** What the provider answered to an accepted call. */
export interface DeliveryReceipt {
  httpStatus: number;
  /** The key the provider will know the alert by (PagerDuty returns it; Opsgenie: the alias). */
  externalKey: string;
  /** The provider's own words (e.g. "Event processed"). */
  message?: string;
}

/**
 * One incident platform, as the escalation domain sees it. Implementations throw
 * `ProviderDeliveryError`: retryable for network errors, timeouts, 429 and 5xx; not for other
 * 4xx or a request the provider processed and refused.
 */
export interface EscalationProvider {
  readonly name: ProviderName;
  trigger(credentials: ProviderCredentials, alert: AlertContent): Promise<DeliveryReceipt>;
  acknowledge(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt>;
  resolve(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt>;
}

export class ProviderDeliveryError extends DeliveryError {
  constructor(
    message: string,
    retryable: boolean,
    readonly httpStatus?: number,
    retryAfterMs?: number,
  ) {
    super(message, retryable, retryAfterMs);
    this.name = 'ProviderDeliveryError';
  }
}
