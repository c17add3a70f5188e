import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { FailureStatus } from './failure.state';

export const TaskPattern = { MESSAGE_QUEUE: 'MESSAGE_QUEUE', EVENT_BUS: 'EVENT_BUS', DB_POLLING: 'DB_POLLING', OTHER: 'OTHER' } as const;
export type TaskPattern = (typeof TaskPattern)[keyof typeof TaskPattern];

/** Ordered from most to least severe; the index is the rank. */
export const Severity = { CRITICAL: 'CRITICAL', ERROR: 'ERROR', WARNING: 'WARNING', INFO: 'INFO' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Severity as a number: higher is worse. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { CRITICAL: 4, ERROR: 3, WARNING: 2, INFO: 1 };
export const SEVERITY_BY_RANK: Readonly<Record<number, Severity>> = { 4: 'CRITICAL', 3: 'ERROR', 2: 'WARNING', 1: 'INFO' };

/** One failed execution of one task, as reported (after redaction and bounding). */
@Entity('failures')
export class FailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'service_id', type: 'varchar', length: 36 })
  serviceId: string;

  @Column({ name: 'group_id', type: 'varchar', length: 36 })
  groupId: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255 })
  idempotencyKey: string;

  @Column({ name: 'task_type', type: 'varchar', length: 200 })
  taskType: string;

  @Column({ name: 'task_id', type: 'varchar', length: 255 })
  taskId: string;

  @Column({ type: 'varchar', length: 16 })
  pattern: TaskPattern;

  @Column({ type: 'varchar', length: 255, nullable: true })
  source: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: FailureStatus;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'varchar', length: 16 })
  severity: Severity;

  @Column({ name: 'error_type', type: 'varchar', length: 255 })
  errorType: string;

  @Column({ name: 'error_message', type: 'text' })
  errorMessage: string;

  @Column({ name: 'stack_trace', type: 'text', nullable: true })
  stackTrace: string | null;

  /** Redacted JSON text of the task's payload. */
  @Column({ name: 'payload', type: 'text', nullable: true })
  payloadJson: string | null;

  /** Redacted JSON text of the flat attribute map. */
  @Column({ name: 'attributes', type: 'text' })
  attributesJson: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt: Date;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
