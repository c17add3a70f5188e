import { escape as escapeSqlValue } from 'mysql2';
import { FailureStatus } from '../failures/failure.state';
import { type Dialect, toDbTimestamp } from '../platform/db';
import type { PreparedReport } from './report-normalizer';

const FAILURE_COLUMNS = [
  'id', 'service_id', 'group_id', 'idempotency_key', 'task_type', 'task_id', 'pattern', 'source', 'status', 'attempt', 'severity',
  'error_type', 'error_message', 'stack_trace', 'payload', 'attributes', 'occurred_at', 'received_at', 'updated_at',
] as const;

/**
 * The multi-row INSERT IGNORE of new failure rows (duplicates of a stored idempotency key are
 * skipped). On SQLite with placeholders; on MySQL with the values escaped (as mysql2 escapes
 * them) straight into the statement: mysql2's format would first scan a template of 9,500
 * placeholders and need an array of all values. The columns whose values repeat across a batch
 * (service, group, task type, stack trace, attributes, receipt time…) are escaped once per
 * distinct value and statement, not once per row.
 */
export function failureInsert(dialect: Dialect, rows: readonly PreparedReport[], groupIds: ReadonlyMap<string, string>): { sql: string; params?: unknown[] } {
  const head = `${dialect.insertIgnore()} failures (${FAILURE_COLUMNS.join(', ')}) VALUES `;
  if (dialect.engine !== 'mysql') {
    const params: unknown[] = [];
    let at = '';
    let receivedAt: Date | undefined;
    for (const r of rows) {
      // The reports of one request share their receipt time: format it once, not per row.
      if (r.receivedAt !== receivedAt) at = toDbTimestamp((receivedAt = r.receivedAt));
      params.push(
        r.id, r.serviceId, groupIds.get(r.fingerprint)!, r.idempotencyKey, r.taskType, r.taskId, r.pattern, r.source, FailureStatus.FAILED, r.attempt, r.severity,
        r.errorType, r.errorMessage, r.stackTrace, r.payloadJson, r.attributesJson, toDbTimestamp(r.occurredAt), at, at,
      );
    }
    const placeholders = `(${FAILURE_COLUMNS.map(() => '?').join(', ')})`;
    return { sql: head + rows.map(() => placeholders).join(', '), params };
  }
  const escaped = new Map<string, string>();
  const once = (value: string | null): string => {
    if (value === null) return 'NULL';
    let known = escaped.get(value);
    if (known === undefined) escaped.set(value, (known = escapeSqlValue(value)));
    return known;
  };
  const parts: string[] = [];
  let at = '';
  let receivedAt: Date | undefined;
  for (const r of rows) {
    if (r.receivedAt !== receivedAt) at = once(toDbTimestamp((receivedAt = r.receivedAt)));
    parts.push(
      `(${escapeSqlValue(r.id)}, ${once(r.serviceId)}, ${once(groupIds.get(r.fingerprint)!)}, ${escapeSqlValue(r.idempotencyKey)}, ${once(r.taskType)}, ` +
        `${escapeSqlValue(r.taskId)}, ${once(r.pattern)}, ${once(r.source)}, ${once(FailureStatus.FAILED)}, ${escapeSqlValue(r.attempt)}, ${once(r.severity)}, ` +
        `${once(r.errorType)}, ${escapeSqlValue(r.errorMessage)}, ${once(r.stackTrace)}, ${escapeSqlValue(r.payloadJson)}, ${once(r.attributesJson)}, ` +
        `${escapeSqlValue(toDbTimestamp(r.occurredAt))}, ${at}, ${at})`,
    );
  }
  return { sql: head + parts.join(', ') };
}
