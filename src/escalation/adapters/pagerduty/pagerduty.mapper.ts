import type { AlertContent, ProviderSeverity } from '../../escalation.port';
import { requiredText, stringifyDetail, truncateText } from '../text-limits';

/** PagerDuty Events API v2 endpoint (US and EU accounts alike). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Limits of the Events API v2. */
export const PagerDutyLimits = {
  routingKeyLength: 32,
  dedupKeyLength: 255,
  summaryLength: 1024,
  /** The whole event, as JSON bytes. */
  eventBytes: 512 * 1024,
} as const;

export type PagerDutyEventAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: ProviderSeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, string>;
}

/** The body of one Events API v2 call. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyEventAction;
  dedup_key: string;
  payload?: PagerDutyPayload;
  links?: Array<{ href: string; text: string }>;
  client?: string;
  client_url?: string;
}

export const PAGERDUTY_CLIENT = 'Failure Desk';

/**
 * The trigger event of an alert: summary cut to 1,024 characters (an empty one becomes the
 * source's name), description and details in `custom_details`, links as `links`, timestamp only
 * when it parses, and the whole event shrunk below 512 KB (see `fitEventSize`).
 */
export function toTriggerEvent(routingKey: string, alert: AlertContent): PagerDutyEvent {
  const source = requiredText(alert.source, Number.MAX_SAFE_INTEGER, 'failure-desk');
  const payload: PagerDutyPayload = {
    summary: requiredText(alert.summary, PagerDutyLimits.summaryLength, `Failure in ${source}`),
    source,
    severity: alert.severity,
    ...(isIsoTimestamp(alert.timestamp) ? { timestamp: alert.timestamp } : {}),
    ...optionalText('component', alert.component),
    ...optionalText('group', alert.group),
    ...optionalText('class', alert.class),
    custom_details: customDetails(alert),
  };
  const links = alert.links.filter((link) => link.href).map((link) => ({ href: link.href, text: link.text }));
  return fitEventSize({
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alert.dedupKey,
    payload,
    ...(links.length > 0 ? { links, client_url: links[0].href } : {}),
    client: PAGERDUTY_CLIENT,
  });
}

/** An acknowledge or resolve event; PagerDuty finds the alert by routing key and dedup key. */
export function toActionEvent(routingKey: string, action: 'acknowledge' | 'resolve', dedupKey: string): PagerDutyEvent {
  return { routing_key: routingKey, event_action: action, dedup_key: dedupKey };
}

/**
 * Shrinks an event until its JSON is at most 512 KB: first the description in custom_details,
 * then the largest other details. The summary, source and severity are never touched, so a
 * large failure still pages. Marks a shrunk event with `custom_details.truncated = "true"`.
 */
export function fitEventSize(event: PagerDutyEvent, maxBytes: number = PagerDutyLimits.eventBytes): PagerDutyEvent {
  let overflow = eventBytes(event) - maxBytes;
  if (overflow <= 0 || !event.payload?.custom_details) return event;
  const details: Record<string, string> = { ...event.payload.custom_details, truncated: 'true' };
  const fitted = { ...event, payload: { ...event.payload, custom_details: details } };
  overflow = eventBytes(fitted) - maxBytes;
  while (overflow > 0) {
    const description = details.description ?? '';
    if (description.length > 1) {
      // Each UTF-16 unit is at least one byte, so cutting `overflow` units frees at least `overflow` bytes.
      const cut = truncateText(description, Math.max(0, description.length - overflow - 1));
      if (cut === '') delete details.description;
      else details.description = cut;
    } else {
      const largest = Object.keys(details)
        .filter((key) => key !== 'truncated')
        .sort((a, b) => details[b].length - details[a].length)[0];
      if (largest === undefined) break;
      delete details[largest];
    }
    overflow = eventBytes(fitted) - maxBytes;
  }
  return fitted;
}

function eventBytes(event: PagerDutyEvent): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8');
}

function customDetails(alert: AlertContent): Record<string, string> {
  const details: Record<string, string> = {};
  for (const [key, value] of Object.entries(alert.details)) details[key] = stringifyDetail(value);
  if (alert.description) details.description = alert.description;
  return details;
}

function optionalText<K extends 'component' | 'group' | 'class'>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Partial<Record<K, string>>) : {};
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** True for a date-time PagerDuty accepts as `timestamp` (ISO 8601 with a zone). */
export function isIsoTimestamp(value: string | undefined): value is string {
  return typeof value === 'string' && ISO_8601.test(value) && !Number.isNaN(Date.parse(value));
}
