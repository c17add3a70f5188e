import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import axios from 'axios';
import { FakeHttpServer, type AnsweredFault, type FakeHttpAnswer, type FakeHttpFault, type FakeHttpRequest } from './fake-http-server';

/**
 * What the fake does instead of answering normally. A `rate-limit` is a 429 with
 * X-RateLimit-State: THROTTLED and, if given, X-RateLimit-Period-In-Sec / Retry-After.
 */
export type OpsgenieFault = FakeHttpFault<{ kind: 'rate-limit'; periodInSec?: number; retryAfter?: string }>;

/** What the fake answered a request. */
export type OpsgenieAnswer = FakeHttpAnswer;

export type OpsgenieCall = 'create' | 'acknowledge' | 'close' | 'request-status' | 'other';

/** A request as the fake recorded it, with the call it routed to. */
export interface OpsgenieRequest extends FakeHttpRequest<OpsgenieFault> {
  call: OpsgenieCall;
  /** As sent, still URL-encoded, without the query. */
  path: string;
  query: URLSearchParams;
  /** The decoded alert identifier of an acknowledge or close. */
  identifier?: string;
}

export interface FakeOpsgenieAlert {
  id: string;
  tinyId: string;
  alias: string;
  message: string;
  status: 'open' | 'closed';
  acknowledged: boolean;
  /** Creates this alert absorbed (1 + deduplicated ones). */
  count: number;
  priority: string;
  /** The create body that opened it. */
  body: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** What GET /v2/alerts/requests/{id} reports once processed. */
export interface OpsgenieRequestStatus {
  success: boolean;
  action: string;
  processedAt: string;
  integrationId: string;
  isSuccess: boolean;
  status: string;
  alertId: string;
  alias: string;
}

export interface FakeOpsgenieOptions {
  /** Keys of integrations allowed to write (`Authorization: GenieKey <key>`); others get 401. */
  apiKeys?: string[];
  /** Keys that authenticate but may not write (403). */
  readOnlyApiKeys?: string[];
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const RESPONDER_TYPES = ['team', 'user', 'escalation', 'schedule'];
const CREATE_FIELDS = new Set(['message', 'alias', 'description', 'responders', 'visibleTo', 'actions', 'tags', 'details', 'entity', 'source', 'priority', 'user', 'note']);
const ACTION_FIELDS = new Set(['user', 'source', 'note']);
const TEXT_LIMITS: Record<string, number> = { message: 130, alias: 512, description: 15_000, entity: 512, source: 100, user: 100, note: 25_000 };
const NOT_PROCESSED = 'Request not found. It might not be processed, yet.';

/**
 * Opsgenie's Alert API v2 on 127.0.0.1, port 0, as strict as its documentation: GenieKey auth,
 * field presence, limits and enums (422 with an `errors` map), identifierType (an identifier
 * without `identifierType=alias` is an alert id), alerts deduplicated by alias, 202 with a
 * requestId for every write and GET /v2/alerts/requests/{id} for the outcome (404 for the first
 * `pendingPolls` asks). Records every request with the answer given, and can be made to fail
 * (`failNext`, `failProcessing`), hang, or go `down()` and `up()` again on the same port. Beyond
 * Opsgenie, it refuses unknown body fields, so a misspelt field cannot pass silently.
 */
export class FakeOpsgenie extends FakeHttpServer<OpsgenieRequest, OpsgenieFault> {
  /** Status asks answered 404 ("not processed yet") for each request accepted from now on. */
  pendingPolls = 0;
  private readonly apiKeys: Set<string>;
  private readonly history: FakeOpsgenieAlert[] = [];
  private readonly statuses = new Map<string, { pending: number; outcome: OpsgenieRequestStatus }>();
  private readonly processingFailures: string[] = [];
  private readonly integrationId = randomUUID();

  constructor(private readonly options: FakeOpsgenieOptions = {}) {
    super();
    this.apiKeys = new Set([...(options.apiKeys ?? []), ...(options.readOnlyApiKeys ?? [])]);
  }

  /** The base URL to give `OpsgenieProvider` as `apiUrl`. */
  get apiUrl(): string {
    return this.origin;
  }

  addApiKey(key: string): void {
    this.apiKeys.add(key);
  }

  /**
   * The next `count` requests (status asks included), or with `call` the next `count` requests of
   * that kind, get `fault` instead of their normal answer.
   */
  failNext(count: number, fault: OpsgenieFault, call?: OpsgenieCall): void {
    this.queueFault(count, fault, (request) => call === undefined || request.call === call);
  }

  /** The next `count` accepted writes are processed as failures with this status text, changing nothing. */
  failProcessing(count: number, status: string): void {
    for (let i = 0; i < count; i++) this.processingFailures.push(status);
  }

  /** Every request so far, oldest first; with `call`, only requests of that kind. */
  received(call?: OpsgenieCall): OpsgenieRequest[] {
    return this.requests.filter((request) => call === undefined || request.call === call);
  }

  /** Every alert ever created, oldest first, closed ones included. */
  alerts(): FakeOpsgenieAlert[] {
    return this.history.map((alert) => ({ ...alert }));
  }

  /** The alert an alias names: the open one, else the newest closed one. */
  alert(alias: string): FakeOpsgenieAlert | undefined {
    const found = this.byAlias(alias);
    return found ? { ...found } : undefined;
  }

  /** The outcome a status ask will report for `requestId` once processed. */
  requestStatus(requestId: string): OpsgenieRequestStatus | undefined {
    return this.statuses.get(requestId)?.outcome;
  }

  /**
   * POSTs an outgoing-webhook body as Opsgenie does (no signature; our receiver wants the shared
   * secret in X-Webhook-Secret), after applying the action to the fake's own alert (a person
   * acted in Opsgenie). Returns the receiver's HTTP status.
   */
  async sendWebhook(
    url: string,
    event: { action: 'Acknowledge' | 'Close' | (string & {}); alias: string; username: string },
    signing: { secret: string },
  ): Promise<number> {
    const alert = this.byAlias(event.alias);
    if (alert && event.action === 'Acknowledge') this.apply(alert, 'acknowledge');
    if (alert && event.action === 'Close') this.apply(alert, 'close');
    const body = {
      action: event.action,
      alert: {
        alertId: alert?.id ?? randomUUID(),
        tinyId: alert?.tinyId ?? '0',
        alias: event.alias,
        message: alert?.message ?? '',
        tags: alert?.body.tags ?? [],
        entity: alert?.body.entity ?? '',
        source: alert?.body.source ?? '',
        priority: alert?.priority ?? 'P3',
        details: alert?.body.details ?? {},
        createdAt: (alert?.createdAt ?? new Date()).getTime(),
        updatedAt: Date.now(),
        username: event.username,
        userId: randomUUID(),
      },
      source: { name: '', type: 'web' },
      integrationName: 'Failure Desk webhook',
      integrationId: this.integrationId,
      integrationType: 'Webhook',
    };
    const response = await axios.post(url, JSON.stringify(body), {
      headers: { 'content-type': 'application/json', 'x-webhook-secret': signing.secret },
      transformRequest: [(data: string) => data],
      validateStatus: () => true,
    });
    return response.status;
  }

  protected record(request: FakeHttpRequest<OpsgenieFault>): OpsgenieRequest {
    const url = new URL(request.path, 'http://fake');
    return { ...request, ...route(request.method, url.pathname), path: url.pathname, query: url.searchParams };
  }

  protected answerHeaders(): Record<string, string> {
    return { 'x-request-id': randomUUID() };
  }

  protected faultAnswer(fault: AnsweredFault<OpsgenieFault>): OpsgenieAnswer {
    if (fault.kind === 'rate-limit') {
      const headers: Record<string, string> = { 'x-ratelimit-state': 'THROTTLED', 'x-ratelimit-reason': 'INTEGRATION' };
      if (fault.periodInSec !== undefined) headers['x-ratelimit-period-in-sec'] = String(fault.periodInSec);
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      return { ...error(429, 'You are making too many requests! To avoid errors, we recommend you limit requests.'), headers };
    }
    return error(fault.status ?? 500, 'Internal Server Error');
  }

  protected handle(req: http.IncomingMessage, request: OpsgenieRequest): OpsgenieAnswer {
    const key = /^GenieKey (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!key || !this.apiKeys.has(key)) return error(401, 'Could not authenticate');
    if (request.call === 'other') return error(404, 'No handler found for this path');
    if (request.call === 'request-status') return this.status(request.path.split('/').pop() ?? '');
    if (this.options.readOnlyApiKeys?.includes(key)) return error(403, 'You are not authorized to perform this action');
    if (request.rawBody !== '' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return error(415, 'Unsupported Media Type');
    }
    const body = request.rawBody === '' && request.call !== 'create' ? {} : request.body;
    if (!isObject(body)) return error(400, 'Invalid JSON body');
    if (request.call === 'create') {
      const errors = createErrors(body);
      return Object.keys(errors).length > 0 ? unprocessable(errors) : this.accept('Create', () => this.create(body));
    }
    const identifierType = request.query.get('identifierType') ?? 'id';
    const errors = actionErrors(body);
    if (!['id', 'alias', 'tiny'].includes(identifierType)) errors.identifierType = 'identifierType must be one of id, alias, tiny';
    if (Object.keys(errors).length > 0) return unprocessable(errors);
    const action = request.call;
    return this.accept(actionName(action), () => this.act(action, identifierType, request.identifier ?? ''));
  }

  private accept(action: string, process: () => Omit<OpsgenieRequestStatus, 'processedAt' | 'integrationId' | 'success'>): OpsgenieAnswer {
    const requestId = randomUUID();
    const failure = this.processingFailures.shift();
    const outcome = failure === undefined ? process() : { action, isSuccess: false, status: failure, alertId: '', alias: '' };
    this.statuses.set(requestId, {
      pending: this.pendingPolls,
      outcome: { ...outcome, success: outcome.isSuccess, processedAt: new Date().toISOString(), integrationId: this.integrationId },
    });
    return { status: 202, headers: {}, body: { result: 'Request will be processed', took: 0.004, requestId } };
  }

  private status(requestId: string): OpsgenieAnswer {
    const entry = this.statuses.get(requestId);
    if (!entry || entry.pending > 0) {
      if (entry) entry.pending -= 1;
      return error(404, NOT_PROCESSED);
    }
    return { status: 200, headers: {}, body: { data: entry.outcome, took: 0.002, requestId: randomUUID() } };
  }

  private create(body: Record<string, unknown>) {
    const open = this.history.find((a) => a.alias === body.alias && a.status === 'open');
    if (open) {
      open.count += 1;
      open.updatedAt = new Date();
      return { action: 'Create', isSuccess: true, status: 'Created alert', alertId: open.id, alias: open.alias };
    }
    const now = new Date();
    const id = randomUUID();
    const alert: FakeOpsgenieAlert = {
      id,
      tinyId: String(this.history.length + 1),
      alias: typeof body.alias === 'string' && body.alias !== '' ? body.alias : id,
      message: body.message as string,
      status: 'open',
      acknowledged: false,
      count: 1,
      priority: typeof body.priority === 'string' ? body.priority : 'P3',
      body,
      createdAt: now,
      updatedAt: now,
    };
    this.history.push(alert);
    return { action: 'Create', isSuccess: true, status: 'Created alert', alertId: alert.id, alias: alert.alias };
  }

  private act(action: 'acknowledge' | 'close', identifierType: string, identifier: string) {
    const name = actionName(action);
    const alert =
      identifierType === 'alias'
        ? this.byAlias(identifier)
        : this.history.find((a) => (identifierType === 'tiny' ? a.tinyId : a.id) === identifier);
    if (!alert) return { action: name, isSuccess: false, status: 'Alert does not exist', alertId: '', alias: '' };
    this.apply(alert, action);
    return { action: name, isSuccess: true, status: action === 'acknowledge' ? 'Acknowledged alert' : 'Closed alert', alertId: alert.id, alias: alert.alias };
  }

  // Acting on a closed alert is accepted and changes nothing.
  private apply(alert: FakeOpsgenieAlert, action: 'acknowledge' | 'close'): void {
    const stored = this.history.find((a) => a.id === alert.id);
    if (!stored || stored.status === 'closed') return;
    if (action === 'acknowledge') stored.acknowledged = true;
    else stored.status = 'closed';
    stored.updatedAt = new Date();
  }

  private byAlias(alias: string): FakeOpsgenieAlert | undefined {
    const named = this.history.filter((a) => a.alias === alias);
    return named.find((a) => a.status === 'open') ?? named[named.length - 1];
  }
}

function route(method: string, pathname: string): Pick<OpsgenieRequest, 'call' | 'identifier'> {
  const segments = pathname.split('/');
  if (method === 'POST' && pathname === '/v2/alerts') return { call: 'create' };
  if (method === 'GET' && segments.length === 5 && pathname.startsWith('/v2/alerts/requests/')) return { call: 'request-status' };
  const action = segments[4];
  if (method === 'POST' && segments.length === 5 && segments[2] === 'alerts' && (action === 'acknowledge' || action === 'close')) {
    try {
      return { call: action, identifier: decodeURIComponent(segments[3]) };
    } catch {
      return { call: 'other' };
    }
  }
  return { call: 'other' };
}

function createErrors(body: Record<string, unknown>): Record<string, string> {
  const errors = unknownFields(body, CREATE_FIELDS);
  if (typeof body.message !== 'string' || body.message.trim() === '') errors.message = 'Message can not be empty.';
  Object.assign(errors, textErrors(body, ['message', 'alias', 'description', 'entity', 'source', 'user', 'note']));
  if (body.priority !== undefined && (typeof body.priority !== 'string' || !PRIORITIES.includes(body.priority))) {
    errors.priority = 'Priority should be one of P1, P2, P3, P4, P5';
  }
  const responderError = respondersError(body.responders);
  if (responderError) errors.responders = responderError;
  const tags = body.tags;
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) errors.tags = 'Tags should be a list of strings';
    else if (tags.length > 20) errors.tags = 'Alert can have at most 20 tags';
    else if (tags.some((tag: string) => tag.length > 50)) errors.tags = 'Tags can be at most 50 characters';
  }
  const details = body.details;
  if (details !== undefined) {
    if (!isObject(details) || Object.values(details).some((value) => typeof value !== 'string')) errors.details = 'Details should be a map of strings';
    else if (Object.entries(details).reduce((sum, [k, v]) => sum + k.length + (v as string).length, 0) > 8_000) {
      errors.details = 'Details can be at most 8000 characters in total';
    }
  }
  return errors;
}

function actionErrors(body: Record<string, unknown>): Record<string, string> {
  return { ...unknownFields(body, ACTION_FIELDS), ...textErrors(body, ['user', 'source', 'note']) };
}

function textErrors(body: Record<string, unknown>, fields: string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') errors[field] = `${capitalize(field)} should be a string`;
    else if (value.length > TEXT_LIMITS[field]) errors[field] = `${capitalize(field)} can be at most ${TEXT_LIMITS[field]} characters`;
  }
  return errors;
}

function respondersError(responders: unknown): string | undefined {
  if (responders === undefined) return undefined;
  if (!Array.isArray(responders)) return 'Responders should be a list';
  for (const responder of responders) {
    if (!isObject(responder) || typeof responder.type !== 'string' || !RESPONDER_TYPES.includes(responder.type)) {
      return 'Responder type should be one of team, user, escalation, schedule';
    }
    const named = responder.type === 'user' ? responder.id ?? responder.username : responder.id ?? responder.name;
    if (typeof named !== 'string' || named === '') {
      return `Responder of type ${responder.type} needs ${responder.type === 'user' ? 'id or username' : 'id or name'}`;
    }
  }
  return undefined;
}

function unknownFields(body: Record<string, unknown>, allowed: Set<string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const key of Object.keys(body)) if (!allowed.has(key)) errors[key] = 'Unknown field';
  return errors;
}

function error(status: number, message: string): OpsgenieAnswer {
  return { status, headers: {}, body: { message, took: 0.001, requestId: randomUUID() } };
}

function unprocessable(errors: Record<string, string>): OpsgenieAnswer {
  const answer = error(422, 'Request body is not processable. Please check the errors.');
  return { ...answer, body: { ...(answer.body as object), errors } };
}

function actionName(action: 'acknowledge' | 'close'): string {
  return action === 'acknowledge' ? 'Acknowledge' : 'Close';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
