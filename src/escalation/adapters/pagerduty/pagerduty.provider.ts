import axios, { type AxiosInstance } from 'axios';
import {
  ProviderDeliveryError,
  ProviderName,
  type AlertContent,
  type DeliveryReceipt,
  type EscalationProvider,
  type ProviderCredentials,
} from '../../escalation.port';
import {
  DEFAULT_PROVIDER_TIMEOUT_MS,
  bodyObject,
  bodyText,
  isRetryableStatus,
  isSuccessStatus,
  retryAfterMs,
  sendToProvider,
  type ProviderResponse,
} from '../http-delivery';
import { PagerDutyLimits, toActionEvent, toTriggerEvent, type PagerDutyEvent } from './pagerduty.mapper';

/** PagerDuty asks clients it throttles to back off for minutes; used when a 429 has no Retry-After. */
export const PAGERDUTY_RATE_LIMIT_BACKOFF_MS = 120_000; // 2 minutes

export interface PagerDutyProviderOptions {
  /** Events API v2 endpoint, normally `PAGERDUTY_EVENTS_URL`. */
  eventsUrl: string;
  /** Per call; default `DEFAULT_PROVIDER_TIMEOUT_MS` (10 seconds). */
  timeoutMs?: number;
  /** Default: a fresh `axios.create()`. */
  http?: AxiosInstance;
}

/**
 * Pages through the PagerDuty Events API v2: one POST per trigger, acknowledge or resolve, keyed
 * by the policy's routing key and the alert's dedup key. Throws `ProviderDeliveryError`:
 * retryable on network errors, timeouts, 5xx and 429 (retryAfterMs from Retry-After, else
 * `PAGERDUTY_RATE_LIMIT_BACKOFF_MS`); not retryable on 400 and other 4xx (the message carries
 * PagerDuty's `message` and `errors`), a missing routing key, or a dedup key PagerDuty cannot take.
 * An acknowledge or resolve of a dedup key PagerDuty does not know is accepted and changes nothing.
 */
export class PagerDutyProvider implements EscalationProvider {
  readonly name = ProviderName.PAGERDUTY;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;

  constructor(private readonly options: PagerDutyProviderOptions) {
    this.http = options.http ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  /** Receipt: HTTP status, the dedup key PagerDuty returned, and its message ("Event processed"). */
  async trigger(credentials: ProviderCredentials, alert: AlertContent): Promise<DeliveryReceipt> {
    checkDedupKey(alert.dedupKey);
    return this.send(toTriggerEvent(routingKeyOf(credentials), alert));
  }

  async acknowledge(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt> {
    checkDedupKey(dedupKey);
    return this.send(toActionEvent(routingKeyOf(credentials), 'acknowledge', dedupKey));
  }

  async resolve(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt> {
    checkDedupKey(dedupKey);
    return this.send(toActionEvent(routingKeyOf(credentials), 'resolve', dedupKey));
  }

  private async send(event: PagerDutyEvent): Promise<DeliveryReceipt> {
    const response = await sendToProvider(this.http, 'PagerDuty', {
      method: 'POST',
      url: this.options.eventsUrl,
      data: JSON.stringify(event),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      timeout: this.timeoutMs,
    });
    const body = bodyObject(response.data);
    if (isSuccessStatus(response.status)) {
      return {
        httpStatus: response.status,
        externalKey: typeof body.dedup_key === 'string' ? body.dedup_key : event.dedup_key,
        message: typeof body.message === 'string' ? body.message : undefined,
      };
    }
    throw toDeliveryError(event.event_action, response);
  }
}

function toDeliveryError(action: string, response: ProviderResponse): ProviderDeliveryError {
  const { status } = response;
  const retryable = isRetryableStatus(status);
  const wait = status === 429 ? (retryAfterMs(response) ?? PAGERDUTY_RATE_LIMIT_BACKOFF_MS) : retryAfterMs(response);
  return new ProviderDeliveryError(`PagerDuty answered HTTP ${status} to ${action}: ${describeAnswer(response.data)}`, retryable, status, wait);
}

/** "Event object is invalid: Length of 'routing_key' is incorrect (…)", or the raw body. */
function describeAnswer(data: unknown): string {
  const body = bodyObject(data);
  if (typeof body.message !== 'string') return bodyText(data) || '(empty body)';
  const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
  return errors.length > 0 ? `${body.message}: ${errors.join('; ')}` : body.message;
}

function routingKeyOf(credentials: ProviderCredentials): string {
  if (!credentials.routingKey) throw new ProviderDeliveryError('PagerDuty credentials have no routing key', false);
  return credentials.routingKey;
}

// Cutting a dedup key would merge or split incidents, so a key PagerDuty cannot take is refused.
function checkDedupKey(dedupKey: string): void {
  if (!dedupKey || dedupKey.length > PagerDutyLimits.dedupKeyLength) {
    throw new ProviderDeliveryError(
      `PagerDuty dedup key must be 1–${PagerDutyLimits.dedupKeyLength} characters (got ${dedupKey.length})`,
      false,
    );
  }
}
