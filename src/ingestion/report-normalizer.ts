import { randomUUID } from 'node:crypto';
import { computeFingerprint } from '../grouping/fingerprint';
import type { Severity, TaskPattern } from '../failures/failure.entity';
import { BadUserInputError, PayloadTooLargeError } from '../platform/errors';
import { type RedactionOptions, TRUNCATED_MARKER, redactAttributes, redactJson, redactText, truncateUtf8, utf8Length } from './redaction';
import { LruCache } from '../platform/lru-cache';
import { REPORT_LIMITS } from './report-limits';

/** A report as it arrives (the GraphQL input, or the SDK's equivalent). */
export interface RawReport {
  service: string;
  taskType: string;
  taskId: string;
  pattern: TaskPattern;
  source?: string | null;
  attempt: number;
  errorType: string;
  errorMessage: string;
  stackTrace?: string | null;
  severity: Severity;
  occurredAt?: Date | null;
  payload?: unknown;
  attributes?: Record<string, unknown> | null;
  idempotencyKey?: string | null;
  fingerprint?: string | null;
}

/** A report made safe to store: validated, redacted, bounded and fingerprinted. */
export interface PreparedReport {
  id: string;
  serviceId: string;
  idempotencyKey: string;
  taskType: string;
  taskId: string;
  pattern: TaskPattern;
  source: string | null;
  attempt: number;
  severity: Severity;
  errorType: string;
  errorMessage: string;
  stackTrace: string | null;
  payloadJson: string | null;
  attributesJson: string;
  occurredAt: Date;
  receivedAt: Date;
  fingerprint: string;
  messageTemplate: string;
  redactions: number;
}

/** Failures of one pattern repeat one stack trace: redact each distinct trace once (per key list). */
const STACK_REDACTIONS = new WeakMap<RedactionOptions, LruCache<string, { value: string; redacted: number }>>();

function stackRedactions(options: RedactionOptions): LruCache<string, { value: string; redacted: number }> {
  let cache = STACK_REDACTIONS.get(options);
  if (!cache) STACK_REDACTIONS.set(options, (cache = new LruCache(2_000)));
  return cache;
}

/** The field path of a problem in a batch, so a client can find the bad report. */
function fail(index: number | undefined, field: string, message: string): never {
  throw new BadUserInputError(index === undefined ? message : `reports[${index}]: ${message}`, { field, ...(index === undefined ? {} : { index }) });
}

function requiredText(value: string | null | undefined, field: string, maxChars: number, index?: number): string {
  const text = (value ?? '').trim();
  if (!text) fail(index, field, `${field} is required`);
  if (text.length > maxChars) fail(index, field, `${field} must be at most ${maxChars} characters`);
  return text;
}

function optionalText(value: string | null | undefined, field: string, maxChars: number, index?: number): string | null {
  const text = value?.trim();
  if (!text) return null;
  if (text.length > maxChars) fail(index, field, `${field} must be at most ${maxChars} characters`);
  return text;
}

function bounded(text: string, maxBytes: number): string {
  return truncateUtf8(text, maxBytes, TRUNCATED_MARKER).text;
}

/**
 * Turns one raw report into what is stored. Throws BAD_USER_INPUT or PAYLOAD_TOO_LARGE (with
 * the report's `index` in a batch); truncates what can be truncated without losing meaning.
 */
export function prepareReport(raw: RawReport, serviceId: string, redaction: RedactionOptions, receivedAt: Date, index?: number): PreparedReport {
  const taskType = requiredText(raw.taskType, 'taskType', REPORT_LIMITS.taskTypeChars, index);
  const taskId = requiredText(raw.taskId, 'taskId', REPORT_LIMITS.shortTextChars, index);
  const errorType = requiredText(raw.errorType, 'errorType', REPORT_LIMITS.shortTextChars, index);
  if (!raw.errorMessage?.trim()) fail(index, 'errorMessage', 'errorMessage is required');
  if (!Number.isInteger(raw.attempt) || raw.attempt < 1 || raw.attempt > 1_000_000) fail(index, 'attempt', 'attempt must be an integer from 1 to 1000000');
  const source = optionalText(raw.source, 'source', REPORT_LIMITS.shortTextChars, index);
  const override = optionalText(raw.fingerprint, 'fingerprint', REPORT_LIMITS.shortTextChars, index);
  const idempotencyKey = optionalText(raw.idempotencyKey, 'idempotencyKey', REPORT_LIMITS.shortTextChars, index) ?? `${taskId}#${raw.attempt}`;

  let redactions = 0;
  const message = redactText(raw.errorMessage, redaction);
  const stack = raw.stackTrace ? stackRedactions(redaction).getOrCompute(raw.stackTrace, () => redactText(raw.stackTrace!, redaction)) : undefined;
  redactions += message.redacted + (stack?.redacted ?? 0);

  let payloadJson: string | null = null;
  if (raw.payload !== undefined && raw.payload !== null) {
    const payload = redactJson(raw.payload, redaction);
    redactions += payload.redacted;
    payloadJson = JSON.stringify(payload.value);
    const bytes = utf8Length(payloadJson);
    if (bytes > REPORT_LIMITS.payloadBytes) {
      throw new PayloadTooLargeError(`${index === undefined ? '' : `reports[${index}]: `}payload is ${bytes} bytes after redaction; the limit is ${REPORT_LIMITS.payloadBytes}`, {
        field: 'payload',
        limit: REPORT_LIMITS.payloadBytes,
        ...(index === undefined ? {} : { index }),
      });
    }
  }

  const attributes = redactAttributes(boundAttributes(raw.attributes ?? {}, index), redaction);
  redactions += attributes.redacted;

  const errorMessage = bounded(message.value, REPORT_LIMITS.messageBytes);
  const stackTrace = stack ? bounded(stack.value, REPORT_LIMITS.stackTraceBytes) : null;
  if (raw.occurredAt && Number.isNaN(raw.occurredAt.getTime())) fail(index, 'occurredAt', 'occurredAt is not a valid time');
  // The reporter's clock may run ahead of ours; a failure cannot have happened after we received it.
  const occurredAt = raw.occurredAt && raw.occurredAt.getTime() < receivedAt.getTime() ? raw.occurredAt : receivedAt;
  const { fingerprint, messageTemplate } = computeFingerprint({ serviceId, taskType, errorType, errorMessage, stackTrace, fingerprint: override });

  return {
    id: randomUUID(),
    serviceId,
    idempotencyKey,
    taskType,
    taskId,
    pattern: raw.pattern,
    source,
    attempt: raw.attempt,
    severity: raw.severity,
    errorType,
    errorMessage,
    stackTrace,
    payloadJson,
    attributesJson: JSON.stringify(attributes.value),
    occurredAt,
    receivedAt,
    fingerprint,
    messageTemplate,
    redactions,
  };
}

/**
 * Attributes are a flat string map: numbers and booleans become strings, anything nested is
 * refused. Over 50 keys, the first 49 (by name) are kept and `_truncated` counts the rest.
 */
function boundAttributes(raw: Record<string, unknown>, index?: number): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') fail(index, `attributes.${key}`, `attribute "${key}" must be a string, number or boolean`);
    const name = firstCodePoints(key.trim(), REPORT_LIMITS.attributeKeyChars);
    if (!name) fail(index, 'attributes', 'attribute names must not be empty');
    entries.push([name, bounded(String(value), REPORT_LIMITS.attributeValueBytes)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length <= REPORT_LIMITS.attributes) return Object.fromEntries(entries);
  const kept = entries.slice(0, REPORT_LIMITS.attributes - 1);
  return Object.fromEntries([...kept, ['_truncated', `${entries.length - kept.length} more attributes dropped`]]);
}

/** At most `max` characters counted as code points (as MySQL counts them), never half an emoji. */
function firstCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  let count = 0;
  for (const char of text) {
    if (count === max) break;
    end += char.length;
    count += 1;
  }
  return text.slice(0, end);
}
