import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { toDbTimestamp } from '../platform/db';
import type { AuditSubjectType } from './audit-entry.entity';

/** The actor name of Failure Desk's own decisions (timeouts, auto-resolve, give-ups). */
export const SYSTEM_ACTOR = 'failure-desk';
const NOTE_MAX_CHARS = 4_000;

/** Appends audit entries inside the caller's transaction: the entry exists iff the action committed. */
export class AuditLog {
  async record(manager: EntityManager, entry: { subjectType: AuditSubjectType; subjectId: string; action: string; actor: string; note: string | null; at: Date }): Promise<void> {
    await manager.query('INSERT INTO audit_entries (id, subject_type, subject_id, action, actor, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      randomUUID(),
      entry.subjectType,
      entry.subjectId,
      entry.action,
      entry.actor.slice(0, 200),
      entry.note?.slice(0, NOTE_MAX_CHARS) ?? null,
      toDbTimestamp(entry.at),
    ]);
  }
}
