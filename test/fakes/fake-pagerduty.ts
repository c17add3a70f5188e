import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import axios from 'axios';
import { FakeHttpServer, type AnsweredFault, type FakeHttpAnswer, type FakeHttpFault, type FakeHttpRequest } from './fake-http-server';

/** What the fake does instead of answering normally. */
export type PagerDutyFault = FakeHttpFault<{ kind: 'rate-limit'; retryAfter?: string }>;

/** What the fake answered a request. */
export type PagerDutyAnswer = FakeHttpAnswer;

/** A request as the fake recorded it. */
export type PagerDutyRequest = FakeHttpRequest<PagerDutyFault>;

export type PagerDutyAlertStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface FakePagerDutyAlert {
  /** Incident id, as webhooks carry it. */
  id: string;
  routingKey: string;
  dedupKey: string;
  status: PagerDutyAlertStatus;
  /** Triggers this alert absorbed (1 + deduplicated ones). */
  triggerCount: number;
  /** The payload of the trigger that opened it. */
  payload: Record<string, unknown>;
  links: unknown[];
  createdAt: Date;
  updatedAt: Date;
}

export interface PagerDutyWebhookEvent {
  eventType: 'incident.triggered' | 'incident.acknowledged' | 'incident.resolved' | (string & {});
  dedupKey: string;
  incidentId?: string;
  agentName: string;
}

export interface PagerDutyWebhookSigning {
  secret: string;
  /** More secrets, each signed as another `v1=` (secret rotation). */
  secrets?: string[];
  webhookId?: string;
}

export interface FakePagerDutyOptions {
  /** When given, other well-formed routing keys are refused ("Invalid routing key"). */
  routingKeys?: string[];
}

const MAX_EVENT_BYTES = 512 * 1024;
const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const EVENT_FIELDS = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'images', 'links', 'client', 'client_url']);
const PAYLOAD_FIELDS = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * PagerDuty's Events API v2 on 127.0.0.1, port 0, as strict as the documentation: it checks
 * every field, answers with PagerDuty's bodies, keeps alerts per (routing key, dedup key) with
 * PagerDuty's dedup rules, records every request with the answer given, and can be made to fail
 * (`failNext`), hang, or go `down()` and come back `up()` on the same port. Beyond PagerDuty, it
 * refuses unknown fields and an Authorization header, so a misspelt field cannot pass silently.
 */
export class FakePagerDuty extends FakeHttpServer<PagerDutyRequest, PagerDutyFault> {
  private readonly history: FakePagerDutyAlert[] = [];
  private readonly open = new Map<string, FakePagerDutyAlert>();

  constructor(private readonly options: FakePagerDutyOptions = {}) {
    super();
  }

  /** The endpoint to give `PagerDutyProvider` as `eventsUrl`. */
  get eventsUrl(): string {
    return `${this.origin}/v2/enqueue`;
  }

  /** The next `count` requests get `fault` instead of their normal answer. */
  failNext(count: number, fault: PagerDutyFault): void {
    this.queueFault(count, fault);
  }

  /** Every request so far, oldest first; with `action`, only events of that event_action. */
  received(action?: string): PagerDutyRequest[] {
    return this.requests.filter((request) => action === undefined || eventAction(request.body) === action);
  }

  /** Every alert ever opened, oldest first, resolved ones included. */
  alerts(): FakePagerDutyAlert[] {
    return this.history.map((alert) => ({ ...alert }));
  }

  /** The newest alert with this dedup key (under any routing key unless given). */
  alert(dedupKey: string, routingKey?: string): FakePagerDutyAlert | undefined {
    const found = this.history.filter((a) => a.dedupKey === dedupKey && (routingKey === undefined || a.routingKey === routingKey));
    return found.length > 0 ? { ...found[found.length - 1] } : undefined;
  }

  /**
   * POSTs a V3 webhook as PagerDuty does, signed with every given secret
   * (`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`), and applies the change to the fake's own
   * alert first (a person acted in PagerDuty). Returns the receiver's HTTP status.
   */
  async sendWebhook(url: string, event: PagerDutyWebhookEvent, signing: PagerDutyWebhookSigning): Promise<number> {
    const alert = this.findOpen(event.dedupKey) ?? this.alert(event.dedupKey);
    if (alert && event.eventType === 'incident.acknowledged') this.transition(alert, 'acknowledged');
    if (alert && event.eventType === 'incident.resolved') this.transition(alert, 'resolved');
    const status = webhookStatus(event.eventType) ?? alert?.status ?? 'triggered';
    const incidentId = event.incidentId ?? alert?.id ?? incidentIdOf();
    const rawBody = JSON.stringify({
      event: {
        id: randomUUID(),
        event_type: event.eventType,
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { id: `PUSER${randomBytes(3).toString('hex').toUpperCase()}`, type: 'user_reference', summary: event.agentName },
        client: null,
        data: {
          id: incidentId,
          type: 'incident',
          status,
          incident_key: event.dedupKey,
          title: String(alert?.payload.summary ?? event.dedupKey),
          urgency: 'high',
          created_at: (alert?.createdAt ?? new Date()).toISOString(),
        },
      },
    });
    const secrets = [...new Set([signing.secret, ...(signing.secrets ?? [])])];
    const signature = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`).join(',');
    const response = await axios.post(url, rawBody, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'PagerDuty-Webhook/V3.0',
        'x-pagerduty-signature': signature,
        'x-webhook-id': signing.webhookId ?? randomUUID(),
      },
      transformRequest: [(data: string) => data],
      validateStatus: () => true,
    });
    return response.status;
  }

  protected record(request: PagerDutyRequest): PagerDutyRequest {
    return request;
  }

  protected handle(req: http.IncomingMessage, request: PagerDutyRequest, raw: Buffer): PagerDutyAnswer {
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return { status: 404, headers: {}, body: { status: 'error', message: 'Not Found' } };
    const errors = this.validate(req, raw, request.body);
    if (errors.length > 0) return invalidEvent(errors);
    const dedupKey = this.apply(request.body as Record<string, unknown>);
    return { status: 202, headers: {}, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }

  private validate(req: http.IncomingMessage, raw: Buffer, body: unknown): string[] {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return ["Content-Type must be 'application/json'"];
    if (req.headers.authorization !== undefined) return ['The Events API takes no Authorization header; the routing_key authenticates'];
    if (raw.length > MAX_EVENT_BYTES) return [`Event is ${raw.length} bytes; the limit is 512 KB`];
    if (!isObject(body)) return ['Event must be a JSON object'];
    const errors = unknownFields(body, EVENT_FIELDS, '');
    const key = body.routing_key;
    if (typeof key !== 'string' || key === '') errors.push("'routing_key' is missing or blank");
    else {
      if (key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
      if (/[^a-zA-Z0-9]/.test(key)) errors.push("'routing_key' cannot contain non-alphanumeric characters.");
      if (errors.length === 0 && this.options.routingKeys && !this.options.routingKeys.includes(key)) errors.push('Invalid routing key');
    }
    const action = body.event_action;
    if (typeof action !== 'string' || !ACTIONS.includes(action)) errors.push("'event_action' must be one of trigger, acknowledge, resolve");
    const dedupKey = body.dedup_key;
    if (dedupKey !== undefined && typeof dedupKey !== 'string') errors.push("'dedup_key' must be a string");
    if (typeof dedupKey === 'string' && dedupKey.length > 255) errors.push("'dedup_key' is too long (maximum 255 characters)");
    if (action !== 'trigger' && (typeof dedupKey !== 'string' || dedupKey.trim() === '')) errors.push("'dedup_key' is missing or blank");
    if (action === 'trigger') errors.push(...payloadErrors(body.payload));
    errors.push(...listErrors(body.links, 'links', 'href', ['href', 'text']), ...listErrors(body.images, 'images', 'src', ['src', 'href', 'alt']));
    for (const field of ['client', 'client_url']) if (body[field] !== undefined && typeof body[field] !== 'string') errors.push(`'${field}' must be a string`);
    return errors;
  }

  private apply(event: Record<string, unknown>): string {
    const routingKey = event.routing_key as string;
    const dedupKey = typeof event.dedup_key === 'string' && event.dedup_key !== '' ? event.dedup_key : randomBytes(16).toString('hex');
    const current = this.open.get(stateKey(routingKey, dedupKey));
    if (event.event_action === 'trigger') {
      if (current) {
        current.triggerCount += 1;
        current.updatedAt = new Date();
      } else {
        const now = new Date();
        const alert: FakePagerDutyAlert = {
          id: incidentIdOf(),
          routingKey,
          dedupKey,
          status: 'triggered',
          triggerCount: 1,
          payload: event.payload as Record<string, unknown>,
          links: Array.isArray(event.links) ? event.links : [],
          createdAt: now,
          updatedAt: now,
        };
        this.history.push(alert);
        this.open.set(stateKey(routingKey, dedupKey), alert);
      }
    } else if (current) {
      // An unknown dedup key is accepted and changes nothing, as PagerDuty does.
      this.transition(current, event.event_action === 'resolve' ? 'resolved' : 'acknowledged');
    }
    return dedupKey;
  }

  private transition(alert: FakePagerDutyAlert, status: 'acknowledged' | 'resolved'): void {
    const stored = this.history.find((a) => a.id === alert.id);
    if (!stored || stored.status === 'resolved') return;
    stored.status = status;
    stored.updatedAt = new Date();
    if (status === 'resolved') this.open.delete(stateKey(stored.routingKey, stored.dedupKey));
  }

  private findOpen(dedupKey: string): FakePagerDutyAlert | undefined {
    return [...this.open.values()].find((alert) => alert.dedupKey === dedupKey);
  }

  protected faultAnswer(fault: AnsweredFault<PagerDutyFault>): PagerDutyAnswer {
    if (fault.kind === 'rate-limit') {
      return {
        status: 429,
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
        body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' },
      };
    }
    return { status: fault.status ?? 500, headers: {}, body: { status: 'error', message: 'Internal Server Error' } };
  }
}

function payloadErrors(payload: unknown): string[] {
  if (!isObject(payload)) return ["'payload' is missing or not an object"];
  const errors = unknownFields(payload, PAYLOAD_FIELDS, 'payload.');
  for (const field of ['summary', 'source']) {
    if (typeof payload[field] !== 'string' || (payload[field] as string).trim() === '') errors.push(`'payload.${field}' is missing or blank`);
  }
  if (typeof payload.summary === 'string' && payload.summary.length > 1024) errors.push("'payload.summary' is too long (maximum 1024 characters)");
  if (typeof payload.severity !== 'string' || !SEVERITIES.includes(payload.severity)) {
    errors.push("'payload.severity' must be one of critical, error, warning, info");
  }
  const timestamp = payload.timestamp;
  if (timestamp !== undefined && (typeof timestamp !== 'string' || !ISO_8601.test(timestamp) || Number.isNaN(Date.parse(timestamp)))) {
    errors.push("'payload.timestamp' must be an ISO 8601 date-time");
  }
  for (const field of ['component', 'group', 'class']) {
    if (payload[field] !== undefined && typeof payload[field] !== 'string') errors.push(`'payload.${field}' must be a string`);
  }
  if (payload.custom_details !== undefined && !isObject(payload.custom_details)) errors.push("'payload.custom_details' must be an object");
  return errors;
}

function listErrors(list: unknown, name: string, required: string, allowed: string[]): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [`'${name}' must be an array`];
  const errors: string[] = [];
  list.forEach((item, i) => {
    if (!isObject(item)) return void errors.push(`'${name}[${i}]' must be an object`);
    if (typeof item[required] !== 'string' || item[required] === '') errors.push(`'${name}[${i}].${required}' is missing or blank`);
    errors.push(...unknownFields(item, new Set(allowed), `${name}[${i}].`));
    for (const field of allowed) if (item[field] !== undefined && typeof item[field] !== 'string') errors.push(`'${name}[${i}].${field}' must be a string`);
  });
  return errors;
}

function unknownFields(object: Record<string, unknown>, allowed: Set<string>, prefix: string): string[] {
  return Object.keys(object)
    .filter((key) => !allowed.has(key))
    .map((key) => `'${prefix}${key}' is not a field of the Events API v2`);
}

function invalidEvent(errors: string[]): PagerDutyAnswer {
  return { status: 400, headers: {}, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
}

function webhookStatus(eventType: string): PagerDutyAlertStatus | undefined {
  const suffix = eventType.replace(/^incident\./, '');
  return suffix === 'triggered' || suffix === 'acknowledged' || suffix === 'resolved' ? suffix : undefined;
}

function eventAction(body: unknown): unknown {
  return isObject(body) ? body.event_action : undefined;
}

function stateKey(routingKey: string, dedupKey: string): string {
  return `${routingKey}\u0000${dedupKey}`;
}

function incidentIdOf(): string {
  return `Q${randomBytes(6).toString('hex').toUpperCase()}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
