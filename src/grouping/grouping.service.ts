import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Dialect, settleAll, toDbTimestamp } from '../platform/db';
import { FailureGroupStatus } from './failure-group.entity';

/** New failures of one group, added by one write transaction. */
export interface GroupIncrement {
  groupId: string;
  serviceId: string;
  fingerprint: string;
  taskType: string;
  errorType: string;
  messageTemplate: string;
  count: number;
  /** Highest severity among the new failures, as a rank (see SEVERITY_RANK). */
  maxSeverity: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

const UPSERT_CHUNK = 200;

/**
 * Keeps FailureGroup rows and their counters. Every change is one SQL statement that reads and
 * writes the counters in place (never read-modify-write in the application), so counts stay
 * exact however many reports arrive at once, on every instance.
 */
export class GroupingService {
  constructor(private readonly dialect: Dialect) {}

  /** The group id is derived from the fingerprint, so concurrent first reports agree on it. */
  groupIdFor(fingerprint: string): string {
    const hex = createHash('sha256').update(`group\u0000${fingerprint}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  /**
   * Creates groups or adds to their counters. A failure in a RESOLVED group reopens it and
   * marks it regressed; ACKNOWLEDGED and MUTED groups keep their status.
   */
  async recordFailures(manager: EntityManager, increments: GroupIncrement[]): Promise<void> {
    await settleAll(this.issueRecordFailures(manager, increments));
  }

  /**
   * The statements of {@link recordFailures}, issued at once and not awaited (they run in the
   * order issued), so they can travel with the rest of a pipelined transaction.
   */
  issueRecordFailures(manager: EntityManager, increments: GroupIncrement[]): Array<Promise<void>> {
    // One lock order for every transaction (by fingerprint) keeps concurrent upserts from deadlocking.
    const sorted = [...increments].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
    const statements: Array<Promise<void>> = [];
    for (let i = 0; i < sorted.length; i += UPSERT_CHUNK) statements.push(this.upsert(manager, sorted.slice(i, i + UPSERT_CHUNK)));
    return statements;
  }

  /**
   * `closed` failures of the group left the open states. When none is left open, the group
   * becomes RESOLVED (unless MUTED). Status is assigned first: MySQL evaluates assignments left
   * to right with already-updated values, SQLite with the old ones; this order reads the same on both.
   */
  async failuresClosed(manager: EntityManager, groupId: string, closed: number, at: Date): Promise<void> {
    if (closed <= 0) return;
    await manager.query(
      `UPDATE failure_groups SET
         resolved_at = CASE WHEN open_count - ? <= 0 AND status IN ('OPEN', 'ACKNOWLEDGED') THEN ? ELSE resolved_at END,
         status = CASE WHEN open_count - ? <= 0 AND status IN ('OPEN', 'ACKNOWLEDGED') THEN 'RESOLVED' ELSE status END,
         open_count = CASE WHEN open_count - ? < 0 THEN 0 ELSE open_count - ? END
       WHERE id = ?`,
      [closed, toDbTimestamp(at), closed, closed, closed, groupId],
    );
  }

  private async upsert(manager: EntityManager, rows: GroupIncrement[]): Promise<void> {
    const d = this.dialect;
    const values = rows.map(() => "(?, ?, ?, ?, ?, ?, 'OPEN', 0, ?, ?, ?, ?, ?)").join(', ');
    const params = rows.flatMap((r) => [
      r.groupId,
      r.serviceId,
      r.fingerprint,
      r.taskType,
      r.errorType,
      r.messageTemplate,
      r.count,
      r.count,
      r.maxSeverity,
      toDbTimestamp(r.firstSeenAt),
      toDbTimestamp(r.lastSeenAt),
    ]);
    const reopen = `status = '${FailureGroupStatus.RESOLVED}'`;
    await manager.query(
      `INSERT INTO failure_groups
         (id, service_id, fingerprint, task_type, error_type, message_template, status, regressed, count, open_count, max_severity, first_seen_at, last_seen_at)
       VALUES ${values}
       ${d.onConflictUpdate(['fingerprint'])}
         regressed = CASE WHEN ${reopen} THEN 1 ELSE regressed END,
         resolved_at = CASE WHEN ${reopen} THEN NULL ELSE resolved_at END,
         status = CASE WHEN ${reopen} THEN 'OPEN' ELSE status END,
         count = count + ${d.inserted('count')},
         open_count = open_count + ${d.inserted('open_count')},
         max_severity = ${d.greatest('max_severity', d.inserted('max_severity'))},
         first_seen_at = ${d.least('first_seen_at', d.inserted('first_seen_at'))},
         last_seen_at = ${d.greatest('last_seen_at', d.inserted('last_seen_at'))}`,
      params,
    );
  }
}
